"""The preview per network, an adaptation accepted with one tap, a network's own text, and the
house style per network (issue 11)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.textsize import utf16_len
from sandbox.stage import MAX_CHANNEL_ID, Stage
from tests.e2e.conftest import (
    Chat,
    approve_now,
    audit_line,
    buttons,
    channel_posts,
    invite,
    landed,
    report_event,
    wall,
)
from tests.e2e.test_vk_reporter import VKPerson

LONG = " ".join(
    f"Предложение номер {n} о том, как в селе Корнилово открыли спортивную площадку."
    for n in range(70)
)  # about 5,500 characters: over Telegram's 4,096 and MAX's 4,000, within VK's 16,384
SUFFIX = "@tomsk_district_demo"
VK_EDITOR = 700077


@pytest.fixture
async def stage(tmp_path: Path) -> AsyncIterator[Stage]:
    """The stage with a house style per network: VK hashtags link to the community, MAX gets
    none, every network a signature."""
    settings = {
        "desk": {"signature": "Пресс-служба администрации"},
        "style": {"vk": {"hashtag_suffix": SUFFIX}, "max": {"hashtags": []}},
    }
    stage = Stage(tmp_path, settings=settings)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def replace_text(editor: Chat, card: dict, text: str) -> dict:
    editor.press(card, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send(text)
    card = await editor.expect(text[:40])
    assert "Предпросмотр по сетям" in buttons(card)
    return card


async def previews(editor: Chat, card: dict, *networks: str) -> dict[str, dict]:
    editor.press(card, "Предпросмотр по сетям")
    found = {}
    for network in networks:
        found[network] = await editor.expect(f"{network} · «")
    return found


async def test_preview_shows_each_verdict_and_the_cut_text_and_a_cut_is_one_tap(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter)
    card = await editor.expect("Новое сообщение № 1")
    card = await replace_text(editor, card, LONG)

    shown = await previews(editor, card, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    telegram = shown["Telegram"]["text"]
    assert "✗ Не пройдёт: текст длиннее 4096" in telegram
    assert "Альбом: 2 фото, без подписи" in telegram and "Текст отдельным сообщением" in telegram
    assert "✓ Пройдёт" in shown["ВКонтакте"]["text"]
    assert "Запись на стене, 2 фото" in shown["ВКонтакте"]["text"]
    assert "✗ Не пройдёт: текст длиннее 3999" in shown["MAX"]["text"]
    assert "Сократить до 4096" in buttons(shown["Telegram"])
    assert "Сократить до 1024 — подписью к фото" in buttons(shown["Telegram"])
    assert "Сократить до 3999" in buttons(shown["MAX"])
    assert not any(b.startswith("Сократить") for b in buttons(shown["ВКонтакте"]))

    # One tap: Telegram's text becomes the post's cut to fit, signature and hashtags kept.
    editor.press(shown["Telegram"], "Сократить до 1024 — подписью к фото")
    accepted = await editor.edited(shown["Telegram"], "Принято для Telegram")
    assert (
        "✓ Пройдёт" in accepted["text"]
        and "Свой текст для сети (принятая адаптация)" in (accepted["text"])
    )
    assert "Альбом: 2 фото, текст — подпись к первому" in accepted["text"]
    line = await audit_line(stage, "post.adapt")
    assert "Telegram" in line.details

    editor.press(shown["ВКонтакте"], "Одобрить")
    await approve_now(editor)  # MAX refuses the long text: not ticked
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", within=30)

    album = channel_posts(stage)
    caption = album[0]["caption"]
    assert len(album) == 2 and utf16_len(caption) <= 1024
    assert caption.endswith("…\n\n#ТомскийРайон\nПресс-служба администрации")
    assert LONG.startswith(caption.split("…")[0])
    [vk_post] = wall(stage)  # VK takes the whole text, its hashtag linked to the community
    assert vk_post["text"] == f"{LONG}\n\n#ТомскийРайон{SUFFIX}\nПресс-служба администрации"
    assert stage.max.posts(MAX_CHANNEL_ID) == []


async def test_a_network_text_reaches_only_that_network_and_the_style_survives_a_new_text(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    # The editor's new text has no hashtags and no signature: each network still gets its own.
    card = await replace_text(editor, card, "Площадку открыли в субботу.")
    shown = await previews(editor, card, "ВКонтакте")
    vk_card = shown["ВКонтакте"]
    assert f"#ТомскийРайон{SUFFIX}\nПресс-служба администрации" in vk_card["text"]

    editor.press(vk_card, "Текст для ВКонтакте")
    await editor.expect("Пришлите текст для ВКонтакте")
    editor.send("Для ВКонтакте: площадку открыли в субботу, приходите!")
    saved = await editor.expect("Текст для ВКонтакте сохранён")
    assert "Свой текст для сети (задан редактором)" in saved["text"]
    await audit_line(stage, "post.network_text")

    editor.press(saved, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX", within=30)

    [vk_post] = wall(stage)
    assert vk_post["text"] == (
        f"Для ВКонтакте: площадку открыли в субботу, приходите!\n\n#ТомскийРайон{SUFFIX}\n"
        "Пресс-служба администрации"
    )
    [telegram] = channel_posts(stage)
    assert telegram["text"] == (
        "Площадку открыли в субботу.\n\n#ТомскийРайон\nПресс-служба администрации"
    )
    [ok_topic] = stage.ok.state.topics.values()
    [max_post] = stage.max.posts(MAX_CHANNEL_ID)  # no hashtags in MAX, the signature stays
    assert max_post["body"]["text"] == "Площадку открыли в субботу.\n\nПресс-служба администрации"
    assert ok_topic["text"] == telegram["text"]  # the common text, in OK's (default) style


async def test_an_editor_in_vk_messages_previews_and_sets_a_network_text(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    stage.vk.add_user(VK_EDITOR, "Ольга", "Белова")
    code = await invite(admin, "Редактор", "Пресс-служба")
    vk_editor = VKPerson(stage, VK_EDITOR)
    vk_editor.send(f"Начать {code}")
    await vk_editor.expect("Добро пожаловать")

    await report_event(reporter, photos=())
    card = await vk_editor.expect("Новое сообщение № 1")
    vk_editor.press(card, "Предпросмотр по сетям")
    vk_card = await vk_editor.expect("ВКонтакте · «")
    assert "✓ Пройдёт" in vk_card["text"] and f"#ТомскийРайон{SUFFIX}" in vk_card["text"]
    vk_editor.press(vk_card, "Текст для ВКонтакте")
    await vk_editor.expect("Пришлите текст для ВКонтакте")
    vk_editor.send("Текст только для стены сообщества.")
    saved = await vk_editor.expect("Текст для ВКонтакте сохранён")
    assert "Свой текст для сети (задан редактором)" in saved["text"]

    telegram_card = await editor.expect("Новое сообщение № 1")
    editor.press(telegram_card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", within=30)
    [vk_post] = wall(stage)
    assert vk_post["text"].startswith("Текст только для стены сообщества.\n\n#ТомскийРайон")
    [telegram] = channel_posts(stage)
    assert telegram["text"].startswith("Открытие спортивной площадки")
