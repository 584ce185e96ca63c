"""Words on the moderation cards (issue 9, item 16): a post's title is cut at a word, with «…»,
and a spam reason does not say the same word twice."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from bot.cards import shorten
from bot.moderation.cards import comment_body
from bot.moderation.classifier import joined, load_default
from storage.models import Comment

TITLE = "Открытие спортивной площадки в с. Корнилово и награждение лучших спортсменов района"


def test_a_long_title_is_cut_between_words() -> None:
    short = shorten(TITLE)
    assert short.endswith("спортсменов…") and len(short) <= 81
    assert TITLE.startswith(short[:-1])
    assert shorten("Ремонт дороги") == "Ремонт дороги"


def test_the_moderation_card_names_the_post_by_whole_words() -> None:
    comment = Comment(
        network="vk",
        external_id="1",
        post_ref="1",
        text="Заработок от 5000 рублей в день без вложений, пишите в лс",
        written_at=datetime(2026, 11, 28, 7, 32, tzinfo=UTC),
        reasons="спам: обещание заработка",
    )
    body = comment_body(comment, TITLE, ZoneInfo("Asia/Tomsk"))
    assert "под публикацией «Открытие спортивной площадки" in body
    assert "спортсменов…»" in body and "спортсменов р" not in body


def test_a_spam_reason_says_each_thing_once() -> None:
    verdict = load_default().classify("Заработок от 5000 рублей в день без вложений, пишите в лс")
    [reason] = [r for r in verdict.reasons if r.startswith("спам")]
    assert reason.count("заработка") == 1, reason
    assert joined(["обещание заработка", "суммы заработка"]) == "обещание и суммы заработка"
    assert joined(["ссылка", "номер телефона"]) == "ссылка и номер телефона"
