"""The house style per network (bot/style.py) and the preview's cut (bot/preview.py)."""

from __future__ import annotations

from bot.config import Config
from bot.preview import cut
from bot.style import HouseStyle
from bot.textsize import utf16_len


def style(**sections: object) -> HouseStyle:
    raw = {"desk": {"hashtags": ["#ТомскийРайон"], "signature": "Пресс-служба"}, **sections}
    return HouseStyle(Config.model_validate(raw))


def test_each_network_gets_its_own_hashtags_and_the_signature() -> None:
    house = style(style={"vk": {"hashtag_suffix": "@tomsk"}, "max": {"hashtags": []}})
    assert house.apply("vk", "Текст") == "Текст\n\n#ТомскийРайон@tomsk\nПресс-служба"
    assert house.apply("max", "Текст") == "Текст\n\nПресс-служба"
    assert house.apply("telegram", "Текст") == "Текст\n\n#ТомскийРайон\nПресс-служба"


def test_what_the_text_already_carries_is_not_added_twice() -> None:
    house = style(style={"vk": {"hashtag_suffix": "@tomsk"}})
    kept = "Текст #ТомскийРайон.\n\nПресс-служба"
    assert house.apply("telegram", kept) == kept
    assert house.apply("vk", "Текст #томскийрайон") == "Текст #томскийрайон\n\nПресс-служба"


def test_links_take_the_network_format_and_sentence_ends_stay_outside() -> None:
    house = style(style={"telegram": {"link_format": "Подробнее: {url}"}})
    assert house.apply("telegram", "См. https://tomsk.ru/a.").startswith(
        "См. Подробнее: https://tomsk.ru/a."
    )
    assert house.apply("vk", "См. https://tomsk.ru/a.").startswith("См. https://tomsk.ru/a.")


def test_a_network_without_own_keys_takes_the_style_then_the_desk() -> None:
    house = style(style={"hashtags": ["#Район"], "ok": {"signature": ""}})
    assert house.apply("ok", "Текст") == "Текст\n\n#Район"
    assert house.apply("vk", "Текст") == "Текст\n\n#Район\nПресс-служба"


def test_cut_ends_at_a_sentence_within_the_limit_as_measured() -> None:
    text = "Первое предложение. Второе предложение 😀😀. Третье, длинное предложение текста."
    short = cut(text, 45, utf16_len)
    assert utf16_len(short) <= 45 and short.endswith("…")
    assert short == "Первое предложение. Второе предложение 😀😀.…"
    assert cut(text, 1000, utf16_len) == text
