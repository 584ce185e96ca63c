"""Comment moderation on the Facebook Page and the Instagram account: read every few minutes
from the Graph emulator, flagged cards in the editors' group, «Удалить» / «Скрыть» / «Оставить»."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import ADMIN_ID, FB_PAGE_ID, IG_USER_ID, MODERATION_CHAT_ID, Stage
from storage.models import Comment
from tests.e2e.conftest import TIMEOUT, buttons
from tests.e2e.test_moderation import (
    CLEAN,
    RUDE,
    audit_actions,
    bot_texts,
    card_in,
    current,
    rows,
)

SPAM = "Заработок от 5000 в день, пиши в лс"


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(
        tmp_path,
        settings={
            "telegram": {"moderation_chat_id": MODERATION_CHAT_ID},
            "facebook": {"enabled": True},
            "instagram": {"enabled": True},
        },
    )
    await stage.start_emulators()
    await stage.start_app()
    stage.tg.user_sends_text(ADMIN_ID, "/start")
    await stage.tg.wait_until(lambda: bot_texts(stage, ADMIN_ID), timeout=TIMEOUT)
    yield stage
    await stage.stop()


async def decided(stage: Stage, card: dict, fragment: str) -> dict:
    await stage.tg.wait_until(
        lambda: fragment in (current(stage, MODERATION_CHAT_ID, card).get("text") or ""),
        timeout=TIMEOUT,
    )
    return current(stage, MODERATION_CHAT_ID, card)


async def test_facebook_comment_flagged_deleted_and_audited(stage: Stage) -> None:
    post = stage.graph.page_post(FB_PAGE_ID, "Ремонт дороги на ул. Ленина")
    comment = stage.graph.post_comment(post["id"], "4001", "Сергей Кузнецов", RUDE)

    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    assert "Facebook" in card["text"] and "Сергей Кузнецов" in card["text"]
    assert "нецензурная брань" in card["text"]
    assert buttons(card) == ["Удалить", "Оставить", "Скрыть"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    await stage.graph.wait_until(lambda: stage.graph.comment(comment["id"]).get("deleted"))
    done = await decided(stage, card, "Удалён: Анна Петрова")
    assert buttons(done) == []
    assert "comment.delete" in await audit_actions(stage)
    [stored] = await rows(stage, Comment, Comment.external_id == comment["id"])
    assert stored.state == "deleted" and stored.network == "facebook"


async def test_facebook_hide_and_clean_comment_sends_nothing(stage: Stage) -> None:
    post = stage.graph.page_post(FB_PAGE_ID, "График вывоза мусора")
    clean = stage.graph.post_comment(post["id"], "4002", "Ольга Белова", CLEAN)
    spam = stage.graph.post_comment(post["id"], "4001", "Сергей Кузнецов", SPAM)

    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    assert "спам" in card["text"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Скрыть")
    await stage.graph.wait_until(lambda: stage.graph.comment(spam["id"])["is_hidden"])
    await decided(stage, card, "Скрыт: Анна Петрова")
    assert "comment.hide" in await audit_actions(stage)
    [kept] = await rows(stage, Comment, Comment.external_id == clean["id"])
    assert kept.state == "clean"
    assert len(bot_texts(stage, MODERATION_CHAT_ID)) == 1  # only the spam reached the editors
    assert stage.graph.comment(clean["id"])["is_hidden"] is False


async def test_instagram_comment_hidden_then_another_deleted(stage: Stage) -> None:
    media = stage.graph.ig_post(IG_USER_ID, "Субботник в парке")
    rude = stage.graph.post_comment(media["id"], "9001", "kuznetsov_s", RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    assert "Instagram" in card["text"] and "@kuznetsov_s" in card["text"]
    assert buttons(card) == ["Удалить", "Оставить", "Скрыть"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Скрыть")
    await stage.graph.wait_until(lambda: stage.graph.comment(rude["id"])["hidden"])
    await decided(stage, card, "Скрыт")

    reply = stage.graph.post_comment(rude["id"], "9002", "spammer_01", SPAM)  # a reply
    second = await card_in(stage, MODERATION_CHAT_ID, "спам")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, second["message_id"], "Удалить")
    await stage.graph.wait_until(lambda: stage.graph.comment(reply["id"]).get("deleted"))
    await decided(stage, second, "Удалён")
    actions = await audit_actions(stage)
    assert "comment.hide" in actions and "comment.delete" in actions


async def test_instagram_clean_comment_and_keep(stage: Stage) -> None:
    media = stage.graph.ig_post(IG_USER_ID, "Открытие катка")
    stage.graph.post_comment(media["id"], "9003", "olga_b", CLEAN)
    stage.graph.post_comment(media["id"], "9001", "kuznetsov_s", RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Оставить")
    await decided(stage, card, "Оставлен")
    stored = await rows(stage, Comment, Comment.network == "instagram")
    assert sorted(c.state for c in stored) == ["clean", "kept"]
    assert len(bot_texts(stage, MODERATION_CHAT_ID)) == 1


async def test_expired_token_while_reading_comments_reaches_the_editors(stage: Stage) -> None:
    stage.graph.expire_token(stage.graph_token)  # Facebook's; Instagram has its own
    note = await card_in(stage, ADMIN_ID, "не получается читать комментарии")
    assert note["text"].startswith("Facebook:") and "истёк" in note["text"]
    stage.graph.state.tokens[stage.graph_token].expired = False
    await card_in(stage, ADMIN_ID, "комментарии снова читаются")
    # told once, not at every round, and only about the network that failed
    notes = [m for m in bot_texts(stage, ADMIN_ID) if "читать комментарии" in (m["text"] or "")]
    assert len(notes) == 1
    about = [m["text"] for m in bot_texts(stage, ADMIN_ID) if "комментарии" in (m["text"] or "")]
    assert len(about) == 2 and all(text.startswith("Facebook:") for text in about)
