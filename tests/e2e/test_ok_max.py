"""Odnoklassniki and MAX end to end: one approval publishes there with the edited text and the
photos, failures are told per network, and comments there enter the moderation loop."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import MAX_CHANNEL_ID, MODERATION_CHAT_ID, OK_GROUP_ID, Stage
from storage.models import Comment
from tests.e2e.conftest import (
    PHOTO_A,
    PHOTO_B,
    TIMEOUT,
    Chat,
    audit_lines,
    buttons,
    landed,
    report_event,
)
from tests.e2e.test_moderation import CLEAN, RUDE, card_in, current, rows

EDITED = "В селе Корнилово открыли новую спортивную площадку. #ТомскийРайон"
OK_CITIZEN = "571234567890"
MAX_CITIZEN = 40_000_001


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings={"telegram": {"moderation_chat_id": MODERATION_CHAT_ID}})
    await stage.start_emulators()
    stage.ok.add_user(OK_CITIZEN, "Сергей", "Кузнецов")
    stage.max.add_user(MAX_CITIZEN, "Сергей", "Кузнецов")
    await stage.start_app()
    yield stage
    await stage.stop()


def ok_topics(stage: Stage) -> list[dict]:
    return stage.ok.topics(OK_GROUP_ID)


def max_posts(stage: Stage) -> list[dict]:
    return stage.max.posts(MAX_CHANNEL_ID)


async def edit_and_approve(reporter: Chat, editor: Chat, photos: tuple = (PHOTO_A, PHOTO_B)):
    await report_event(reporter, photos=photos)
    card = await editor.expect("Новое сообщение № 1")
    assert "Одноклассники" in card["text"] and "MAX" in card["text"]  # each network's verdict
    editor.press(card, "Редактировать")
    await editor.expect("Пришлите новый текст")
    editor.send(EDITED)
    preview = await editor.expect(EDITED[:40])
    editor.press(preview, "Одобрить")
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    assert {"✓ Одноклассники", "✓ MAX"} <= set(buttons(where))
    editor.press(where, "Готово")


async def test_one_approval_publishes_to_ok_and_max_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.max.not_ready_for = 1  # MAX answers attachment.not.ready once: the client waits
    await edit_and_approve(reporter, editor)
    published = {"text": await landed(editor, "Одноклассники", "MAX")}
    [topic] = ok_topics(stage)
    [post] = max_posts(stage)
    assert f"https://ok.ru/group/{OK_GROUP_ID}/topic/{topic['id']}" in published["text"]
    assert post["url"] in published["text"]
    told = {"text": await landed(reporter, "Одноклассники", "MAX")}
    assert "ok.ru/group" in told["text"] and "max.ru/c/" in told["text"]

    assert topic["text"] == EDITED
    photos = {stage.ok.state.photo_data[p["photo_id"]] for p in topic["photos"]}
    assert photos == {PHOTO_A, PHOTO_B}
    assert post["body"]["text"] == EDITED
    tokens = [a["payload"]["token"] for a in post["body"]["attachments"]]
    assert {stage.max.tokens[t]["data"] for t in tokens} == {PHOTO_A, PHOTO_B}
    assert all(a["type"] == "image" for a in post["body"]["attachments"])
    # signed calls only, the MAX token never in a query string
    assert all(call.get("sig") for call in stage.ok.calls("mediatopic.post"))
    assert all("access_token" not in q for _, _, q in stage.max.requests)
    # each fresh photo answered attachment.not.ready once; the third call posted
    assert len(stage.max.calls("/messages")) == 3


async def test_a_5xx_then_recovery_publishes_once(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.ok.inject_fault("mediatopic.post", "500")
    stage.max.inject_fault("/messages", "500")
    await edit_and_approve(reporter, editor, photos=())
    await landed(editor, "Одноклассники", "MAX")
    assert len(ok_topics(stage)) == 1 and len(max_posts(stage)) == 1
    assert len(stage.ok.calls("mediatopic.post")) == 2


async def test_auth_errors_are_told_per_network_with_retry(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    stage.max.revoke(stage.max_token)
    stage.ok.state.apps[stage.ok_app_key] = "ANOTHER-SECRET"  # the signature no longer matches
    await edit_and_approve(reporter, editor, photos=())
    failures: list[dict] = []  # one card per network that failed, each with its own «Повторить»
    while not (
        any("Одноклассники не приняли подпись запроса" in f["text"] for f in failures)
        and any("ключ бота MAX не действует" in f["text"] for f in failures)
    ):
        failures.append(await editor.expect("Не удалось опубликовать", within=30))
    for failure in failures:
        assert "Повторить" in buttons(failure)
    assert ok_topics(stage) == [] and max_posts(stage) == []

    # the keys are mended; «Повторить» publishes only where it failed
    stage.ok.state.apps[stage.ok_app_key] = stage.ok_app_secret
    stage.max.bots[stage.max_token] = {"user_id": 10_000_001, "first_name": "Пресс-служба"}
    for failure in failures:
        editor.press(failure, "Повторить")
    await landed(editor, "Одноклассники", "MAX")
    assert len(ok_topics(stage)) == 1 and len(max_posts(stage)) == 1
    assert len(stage.tg.chat_messages(-1001000000001)) == 1  # the channel got it only once


async def test_comments_in_ok_and_max_flagged_deleted_and_clean_ones_quiet(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await edit_and_approve(reporter, editor, photos=())
    await landed(editor, "Одноклассники", "MAX")
    [topic] = ok_topics(stage)
    [post] = max_posts(stage)
    mid = post["body"]["mid"]
    stage.ok.post_comment(topic["id"], OK_CITIZEN, CLEAN)
    rude_ok = stage.ok.post_comment(topic["id"], OK_CITIZEN, RUDE)
    stage.max.post_comment(mid, MAX_CITIZEN, CLEAN)
    rude_max = stage.max.post_comment(mid, MAX_CITIZEN, RUDE)

    ok_card = await card_in(stage, MODERATION_CHAT_ID, "Одноклассники")
    max_card = await card_in(stage, MODERATION_CHAT_ID, "· MAX")
    for card in (ok_card, max_card):
        assert "Комментарий на проверке" in card["text"] and "Сергей Кузнецов" in card["text"]
        assert buttons(card) == ["Удалить", "Оставить"]  # neither network lets a bot ban
    # the clean comments were stored and raised nothing
    stored = await rows(stage, Comment)
    assert sorted(c.state for c in stored) == ["clean", "clean", "flagged", "flagged"]
    assert len(stage.tg.chat_messages(MODERATION_CHAT_ID)) == 2

    admin = 1001  # registered by the editor fixture
    for card in (ok_card, max_card):
        stage.tg.press(admin, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    await stage.ok.wait_until(
        lambda: (
            [c["id"] for c in stage.ok.comments(topic["id"])] != [rude_ok["id"]]
            and len(stage.ok.comments(topic["id"])) == 1
        ),
        timeout=TIMEOUT,
    )
    await stage.max.wait_until(
        lambda: (
            [c["body"]["mid"] for c in stage.max.comments(mid)]
            and rude_max["body"]["mid"] not in [c["body"]["mid"] for c in stage.max.comments(mid)]
        ),
        timeout=TIMEOUT,
    )
    for card in (ok_card, max_card):
        await stage.tg.wait_until(
            lambda card=card: (
                "Удалён: Анна Петрова"
                in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
            ),
            timeout=TIMEOUT,
        )
    deleted = [line.details for line in await audit_lines(stage, "comment.delete")]
    assert any(d.startswith("ok ") for d in deleted) and any(d.startswith("max ") for d in deleted)
