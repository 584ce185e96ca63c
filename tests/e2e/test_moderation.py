"""Comment moderation end to end: real aiogram and vkbottle against the emulators.

The tests play citizens and editors and wait on conditions with timeouts; time jumps come
from a controllable clock, never from sleeping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.domain import Role
from sandbox.stage import (
    ADMIN_ID,
    CHANNEL_ID,
    DISCUSSION_ID,
    MODERATION_CHAT_ID,
    VK_GROUP_ID,
    Stage,
)
from storage.models import AuditLog, Comment, Person
from storage.versions import CommentVersion
from tests.e2e.conftest import TIMEOUT, audit_line, buttons, wait_for

CITIZEN = 5001
VK_CITIZEN = 800001
RUDE = "вы там все xуйнёй занимаетесь, когда дорогу сделаете"
CLEAN = "Спасибо, что сообщили! Когда откроют движение?"


class Clock:
    """Real time plus an offset the test can move forward (VK's rate window keeps working)."""

    def __init__(self, start: float | None = None) -> None:
        self.offset = 0.0 if start is None else start - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset

    def advance(self, hours: float) -> None:
        self.offset += hours * 3600


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def stage(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)  # nothing the libraries write may land in the project
    stage = Stage(
        tmp_path, clock=clock, settings={"telegram": {"moderation_chat_id": MODERATION_CHAT_ID}}
    )
    await stage.start_emulators()
    stage.tg.add_user(CITIZEN, "Сергей", "Кузнецов")
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    yield stage
    await stage.stop()


async def start(stage: Stage) -> None:
    await stage.start_app()
    # the first admin registers by writing /start; the VK long poll must be listening
    stage.tg.user_sends_text(ADMIN_ID, "/start")
    await stage.tg.wait_until(lambda: bot_texts(stage, ADMIN_ID), timeout=TIMEOUT)
    await stage.vk.wait_until(
        lambda: any(m == "groups.getLongPollServer" for m, _ in stage.vk.requests), timeout=TIMEOUT
    )
    # and the start-up catch-up is over: a comment a test writes later is not read by it
    await asyncio.wait_for(asyncio.shield(stage.app._catch_up), TIMEOUT)


def bot_texts(stage: Stage, chat_id: int) -> list[dict]:
    return [m for m in stage.tg.chat_messages(chat_id) if m.get("from", {}).get("is_bot")]


async def card_in(stage: Stage, chat_id: int, fragment: str, after: int = 0) -> dict:
    def found() -> dict | None:
        for message in bot_texts(stage, chat_id)[after:]:
            if fragment in (message.get("text") or ""):
                return message
        return None

    return await stage.tg.wait_until(found, timeout=TIMEOUT)


def current(stage: Stage, chat_id: int, message: dict) -> dict:
    return next(
        m for m in stage.tg.chat_messages(chat_id) if m["message_id"] == message["message_id"]
    )


async def vk_post(stage: Stage, text: str = "Ремонт дороги на ул. Ленина") -> int:
    """A post on the community wall, made past the HTTP layer so it costs no rate budget."""
    token = stage.vk.state.tokens[stage.vk_user_token]
    params = {"owner_id": str(-VK_GROUP_ID), "from_group": "1", "message": text, "v": "5.199"}
    answer = await stage.vk.dispatcher.invoke("wall.post", params, token)
    return answer["post_id"]


async def tg_post(stage: Stage, text: str = "Ремонт дороги на ул. Ленина") -> dict:
    sent = await stage.app.bot.send_message(CHANNEL_ID, text)
    return stage.tg.discussion_message_for(CHANNEL_ID, sent.message_id)


async def rows(stage: Stage, model: Any, *where: Any) -> list[Any]:
    async with stage.app.uow() as uow:
        return list((await uow.session.exec(select(model).where(*where))).all())


async def stored_count(stage: Stage, n: int) -> list[Comment]:
    """Wait (with a timeout) until n comments are stored; the database can't announce it."""
    async with asyncio.timeout(TIMEOUT):
        while len(found := await rows(stage, Comment)) < n:
            await stage.vk.state.wait_changed(0.05)
    return found


async def audit_actions(stage: Stage) -> list[str]:
    return [a.action for a in await rows(stage, AuditLog, AuditLog.action.startswith("comment."))]


async def add_editor(stage: Stage, telegram_id: int, name: str) -> Person:
    first, _, last = name.partition(" ")
    stage.tg.add_user(telegram_id, first, last)
    async with stage.app.uow() as uow:
        person = await uow.people.add(
            Person(
                full_name=name,
                role=Role.editor,
                telegram_id=telegram_id,
                created_at=datetime.now(UTC),
            )
        )
        await uow.commit()
    return person


async def test_vk_comment_flagged_and_deleted(stage: Stage) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    comment = stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)

    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    text = card["text"]
    assert "ВКонтакте" in text and "Сергей Кузнецов" in text
    assert "‹xуйнёй›" in text and "нецензурная брань" in text
    assert f"wall-{VK_GROUP_ID}_{post_id}" in text
    assert buttons(card) == ["Удалить", "Оставить", "Удалить и заблокировать автора"]

    query = stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    await stage.vk.wait_until(
        lambda: stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"],
        timeout=TIMEOUT,
    )
    await stage.tg.wait_until(
        lambda: (
            "Удалён: Анна Петрова" in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
        ),
        timeout=TIMEOUT,
    )
    assert buttons(current(stage, MODERATION_CHAT_ID, card)) == []
    answer = await stage.tg.wait_until(lambda: stage.tg.callback_answer(query), timeout=TIMEOUT)
    assert answer["text"].startswith("Готово")
    assert "comment.delete" in await audit_actions(stage)
    [stored] = await rows(stage, Comment, Comment.external_id == f"{-VK_GROUP_ID}_{comment['id']}")
    assert stored.state == "deleted" and stored.decision == "delete"
    # the wall_reply_delete event that follows changes nothing
    await stage.vk.wait_until(lambda: stage.vk.state.lp_events[VK_GROUP_ID], timeout=TIMEOUT)


async def test_vk_clean_comment_sends_nothing_and_ban(stage: Stage) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, CLEAN)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, "Заработок от 5000 в день, пиши в лс")
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    assert "спам" in card["text"]
    # the clean comment is stored, but only the spam reached the editors
    stored = await stored_count(stage, 2)
    assert {c.state for c in stored} == {"clean", "flagged"}
    assert len([m for m in bot_texts(stage, MODERATION_CHAT_ID)]) == 1

    stage.tg.press(
        ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить и заблокировать автора"
    )
    await stage.vk.wait_until(lambda: stage.vk.banned(VK_GROUP_ID) == [VK_CITIZEN], timeout=TIMEOUT)
    await stage.tg.wait_until(
        lambda: (
            "автор заблокирован" in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
        ),
        timeout=TIMEOUT,
    )
    assert "comment.delete_and_ban" in await audit_actions(stage)


async def test_telegram_discussion_reply_flagged_and_deleted(stage: Stage) -> None:
    await start(stage)
    forward = await tg_post(stage)
    reply = stage.tg.user_sends_text(
        CITIZEN, RUDE, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    stage.tg.user_sends_text(
        CITIZEN, CLEAN, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )

    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    assert "Telegram" in card["text"] and "Сергей Кузнецов" in card["text"]
    assert "‹xуйнёй›" in card["text"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    await stage.tg.wait_until(
        lambda: any(
            m["message_id"] == reply["message_id"] for m in stage.tg.deleted_messages(DISCUSSION_ID)
        ),
        timeout=TIMEOUT,
    )
    await stage.tg.wait_until(
        lambda: (
            "Удалён: Анна Петрова" in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
        ),
        timeout=TIMEOUT,
    )
    assert "comment.delete" in await audit_actions(stage)
    assert len(bot_texts(stage, MODERATION_CHAT_ID)) == 1  # the clean reply raised nothing
    stored = await rows(stage, Comment)
    assert sorted(c.state for c in stored) == ["clean", "deleted"]


async def test_two_editors_tap_at_once(stage: Stage) -> None:
    await start(stage)
    await add_editor(stage, 3001, "Олег Смирнов")
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")

    first = stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    second = stage.tg.press(3001, MODERATION_CHAT_ID, card["message_id"], "Оставить")
    answers = await stage.tg.wait_until(
        lambda: (a := [stage.tg.callback_answer(q) for q in (first, second)]) and all(a) and a,
        timeout=TIMEOUT,
    )
    texts = [a.get("text") or "" for a in answers]
    assert sum(t.startswith("Готово") for t in texts) == 1, texts
    assert sum(t.startswith(("Комментарий уже", "Решение")) for t in texts) == 1, texts
    decisions = [a for a in await audit_actions(stage) if a in ("comment.delete", "comment.keep")]
    assert len(decisions) == 1
    deleted = stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"]
    assert deleted == (decisions == ["comment.delete"])


async def test_catch_up_after_a_gap(stage: Stage) -> None:
    """The bot is down while 300 comments arrive on 20 posts; after start all are found once."""
    posts = [await vk_post(stage, f"Новость {n}") for n in range(20)]
    expected = 0
    for n, post_id in enumerate(posts):
        tops = 3 if n == 0 else 5  # post 0 has a thread longer than VK attaches (10)
        first = stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, f"Вопрос {n}: когда?")
        for k in range(1, tops):
            stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, f"Спасибо за новость {n}.{k}")
        for k in range(15 - tops):
            stage.vk.post_comment(
                -VK_GROUP_ID,
                post_id,
                VK_CITIZEN + k + 1,
                f"Ответ {n}.{k}",
                reply_to_comment=first["id"],
            )
        expected += 15
    assert expected == 300
    refused: list[str] = []
    rate_limit = stage.vk.dispatcher.rate_limit

    def spy(raw_token: str, token: Any) -> None:
        try:
            rate_limit(raw_token, token)
        except Exception:
            refused.append(raw_token)
            raise

    stage.vk.dispatcher.rate_limit = spy
    await start(stage)
    stored = await stored_count(stage, 300)
    assert len(stored) == 300
    assert len({c.external_id for c in stored}) == 300
    assert not refused  # never over VK's 3 requests a second
    executes = [p for m, p in stage.vk.requests if m == "execute"]
    assert len(executes) <= 3  # posts + 20 top levels + 1 long thread fit in few requests


async def test_digest_at_its_time(stage: Stage, clock: Clock) -> None:
    # 09:00 in Tomsk (UTC+7) is 02:00 UTC
    clock.offset = datetime(2026, 11, 30, 2, 0, tzinfo=UTC).timestamp() - time.time()
    await start(stage)
    job = stage.app.scheduler.scheduler.get_job("moderation:digest")
    assert str(job.trigger.fields[5]) == "9" and str(job.trigger.fields[6]) == "0"
    forward = await tg_post(stage)
    stage.tg.user_sends_text(
        CITIZEN, RUDE, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    clock.advance(19)
    before = len(bot_texts(stage, ADMIN_ID))
    frozen = clock()
    stage.app.moderation._clock = lambda: datetime.fromtimestamp(frozen, UTC)
    assert await stage.app.moderation.send_digest() == 1
    digest = await card_in(stage, ADMIN_ID, "Доброе утро", after=before)
    assert "на проверке 1 комментарий" in digest["text"]
    assert "самому старому 19 ч" in digest["text"]
    assert "из Telegram — удалить можно ещё 29 ч" in digest["text"]
    assert "Открыть комментарии" in buttons(digest)
    stage.tg.press(ADMIN_ID, ADMIN_ID, digest["message_id"], "Открыть комментарии")
    await card_in(stage, ADMIN_ID, "Комментарий на проверке", after=before + 1)


async def test_telegram_comment_raised_again_after_40_hours(stage: Stage, clock: Clock) -> None:
    await start(stage)
    forward = await tg_post(stage)
    reply = stage.tg.user_sends_text(
        CITIZEN, RUDE, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    clock.advance(39)
    assert await stage.app.moderation.raise_again() == 0
    clock.advance(2)
    assert await stage.app.moderation.raise_again() == 1
    assert await stage.app.moderation.raise_again() == 0  # once only
    warning = await card_in(stage, MODERATION_CHAT_ID, "⚠️")
    assert "Через 7 часов Telegram не даст его удалить" in warning["text"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, warning["message_id"], "Удалить")
    await stage.tg.wait_until(
        lambda: any(
            m["message_id"] == reply["message_id"] for m in stage.tg.deleted_messages(DISCUSSION_ID)
        ),
        timeout=TIMEOUT,
    )
    # both copies of the card now say who decided
    await stage.tg.wait_until(
        lambda: all(
            "Удалён:" in (m.get("text") or "") for m in bot_texts(stage, MODERATION_CHAT_ID)
        ),
        timeout=TIMEOUT,
    )


async def test_editor_sends_a_link_to_a_missed_comment(stage: Stage) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    comment = stage.vk.post_comment(
        -VK_GROUP_ID, post_id, VK_CITIZEN, "Глава района ничего не делает", emit=False
    )
    before = len(bot_texts(stage, ADMIN_ID))
    stage.tg.user_sends_text(
        ADMIN_ID, f"https://vk.com/wall-{VK_GROUP_ID}_{post_id}?reply={comment['id']}"
    )
    card = await card_in(stage, ADMIN_ID, "Комментарий на проверке", after=before)
    assert "редактор прислал ссылку" in card["text"]
    stage.tg.press(ADMIN_ID, ADMIN_ID, card["message_id"], "Удалить")
    await stage.tg.wait_until(
        lambda: "Удалён: Анна Петрова" in (current(stage, ADMIN_ID, card).get("text") or ""),
        timeout=TIMEOUT,
    )
    assert stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"]
    async with stage.app.uow() as uow:
        examples = await uow.examples.all()
    assert [(e.text, e.label) for e in examples] == [("Глава района ничего не делает", True)]


async def test_keep_becomes_a_clean_example(stage: Stage) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Оставить")
    await stage.tg.wait_until(
        lambda: (
            "Оставлен: Анна Петрова" in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
        ),
        timeout=TIMEOUT,
    )
    async with stage.app.uow() as uow:
        examples = await uow.examples.all()
    assert [(e.head, e.label) for e in examples] == [("toxic", False)]
    assert not stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"]


async def test_auto_delete_by_rule_and_undo(tmp_path: Path, clock: Clock) -> None:
    stage = Stage(
        tmp_path,
        clock=clock,
        settings={
            "telegram": {"moderation_chat_id": MODERATION_CHAT_ID},
            "moderation": {
                "auto_actions": [{"category": "obscenity", "min_score": 0.9, "action": "delete"}]
            },
        },
    )
    await stage.start_emulators()
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    try:
        await start(stage)
        post_id = await vk_post(stage)
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
        await stage.vk.wait_until(
            lambda: stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"],
            timeout=TIMEOUT,
        )
        card = await card_in(stage, MODERATION_CHAT_ID, "Бот удалил его сам")
        assert buttons(card) == ["Вернуть"]
        # VK refuses once: the editor is told, and the comment can be returned again.
        stage.vk.inject_fault("wall.restoreComment", "error", error_code=15)
        query = stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Вернуть")
        answer = await stage.tg.wait_until(lambda: stage.tg.callback_answer(query), timeout=TIMEOUT)
        assert "Не получилось вернуть" in answer["text"]
        stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Вернуть")
        await stage.vk.wait_until(
            lambda: (
                not stage.vk.comments(-VK_GROUP_ID, post_id, include_deleted=True)[0]["deleted"]
            ),
            timeout=TIMEOUT,
        )
        await audit_line(stage, "comment.restore")  # written after VK's answer: waited on
    finally:
        await stage.stop()


async def test_a_broken_moderation_chat_falls_back_to_the_editors(stage: Stage) -> None:
    await start(stage)
    stage.tg.inject_fault("sendMessage", "500", count=1)  # the group refuses the card once
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await card_in(stage, ADMIN_ID, "Комментарий на проверке")
    assert buttons(card) == ["Удалить", "Оставить", "Удалить и заблокировать автора"]


async def test_telegram_comment_past_48_hours_gets_the_dead_end_card(
    stage: Stage, clock: Clock
) -> None:
    await start(stage)
    forward = await tg_post(stage)
    reply = stage.tg.user_sends_text(
        CITIZEN, RUDE, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    await card_remembered(stage)
    clock.advance(47)
    assert await stage.app.moderation.expire_overdue() == 0
    clock.advance(2)
    assert await stage.app.moderation.expire_overdue() == 1
    assert await stage.app.moderation.expire_overdue() == 0  # once only
    await stage.tg.wait_until(
        lambda: "⌛" in (current(stage, MODERATION_CHAT_ID, card).get("text") or ""),
        timeout=TIMEOUT,
    )
    assert buttons(current(stage, MODERATION_CHAT_ID, card)) == ["Убрать из очереди", "Оставить"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Убрать из очереди")
    await stage.tg.wait_until(
        lambda: (
            "Убран из очереди: Анна Петрова"
            in (current(stage, MODERATION_CHAT_ID, card).get("text") or "")
        ),
        timeout=TIMEOUT,
    )
    async with stage.app.uow() as uow:
        assert await uow.examples.all() == []  # taken off the queue: nothing learnt
    assert [c.state for c in await rows(stage, Comment)] == ["dismissed"]
    assert "comment.dismiss" in await audit_actions(stage)
    assert not any(
        m["message_id"] == reply["message_id"] for m in stage.tg.deleted_messages(DISCUSSION_ID)
    )


async def test_delete_tapped_after_48_hours_turns_the_card_into_the_dead_end(
    stage: Stage, clock: Clock
) -> None:
    await start(stage)
    forward = await tg_post(stage)
    stage.tg.user_sends_text(
        CITIZEN, RUDE, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    clock.advance(49)  # the timer has not run yet
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    await stage.tg.wait_until(
        lambda: "⌛" in (current(stage, MODERATION_CHAT_ID, card).get("text") or ""),
        timeout=TIMEOUT,
    )
    assert not any(m.lower() == "deletemessage" for m, _ in stage.tg.calls)
    assert [c.state for c in await rows(stage, Comment)] == ["expired"]
    # the waiting list shows the dead-end card too
    waiting = await stage.app.moderation.waiting(await admin(stage))
    assert [card.buttons[0][0].text for _, card in waiting] == ["Убрать из очереди"]


async def card_remembered(stage: Stage) -> None:
    """The bot stores a card's message id just after sending it: wait for that before a timer."""
    async with asyncio.timeout(TIMEOUT):
        while True:
            async with stage.app.uow() as uow:
                comments = (await uow.session.exec(select(Comment))).all()
                if comments and await uow.cards.of("comment", comments[0].id):
                    return
            await stage.vk.state.wait_changed(0.05)  # as stored_count: a bounded wait


async def admin(stage: Stage) -> Person:
    async with stage.app.uow() as uow:
        return (await uow.people.editors())[0]


async def test_a_taught_example_changes_later_verdicts(stage: Stage) -> None:
    """The nightly retrain learns an editor's decision and the bot uses it without a restart."""
    await start(stage)
    post_id = await vk_post(stage)
    missed = "Глава района опять ничего не делает, позор ему"
    first = stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, missed, emit=False)
    before = len(bot_texts(stage, ADMIN_ID))
    stage.tg.user_sends_text(
        ADMIN_ID, f"https://vk.com/wall-{VK_GROUP_ID}_{post_id}?reply={first['id']}"
    )
    card = await card_in(stage, ADMIN_ID, "Комментарий на проверке", after=before)
    stage.tg.press(ADMIN_ID, ADMIN_ID, card["message_id"], "Удалить")
    await stage.tg.wait_until(
        lambda: "Удалён: Анна Петрова" in (current(stage, ADMIN_ID, card).get("text") or ""),
        timeout=TIMEOUT,
    )
    # the same words from another citizen: still clean before the retrain
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, missed)
    stored = await stored_count(stage, 2)
    assert sorted(c.state for c in stored) == ["clean", "deleted"]
    answer = await stage.app.moderation.retrain()
    assert "дообучена на 1 решениях" in answer, answer
    shown = len(bot_texts(stage, MODERATION_CHAT_ID))
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, missed)
    flagged = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке", after=shown)
    assert missed in flagged["text"]
    assert "moderation.retrained" in [
        a.action for a in await rows(stage, AuditLog, AuditLog.action == "moderation.retrained")
    ]


async def test_a_failed_retrain_reaches_the_editors(
    stage: Stage, monkeypatch: pytest.MonkeyPatch
) -> None:
    from bot.moderation import learning

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("диск заполнен")

    monkeypatch.setattr(learning, "adapt", broken)
    await start(stage)
    before = len(bot_texts(stage, ADMIN_ID))
    answer = await stage.app.moderation.retrain()
    assert "Не получилось дообучить" in answer
    told = await card_in(stage, ADMIN_ID, "Не получилось дообучить", after=before)
    assert "диск заполнен" in told["text"] and "прежней модели" in told["text"]


# ---- every version of a comment, and the audit of deletions -----------------------------
EDITED_RUDE = "вы там все бездельники, когда дорогу сделаете"


async def test_an_edited_comment_deleted_keeps_both_texts_and_teaches_nothing(
    stage: Stage,
) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    comment = stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    stage.vk.edit_comment(-VK_GROUP_ID, comment["id"], EDITED_RUDE)

    async def two_versions() -> bool:
        async with stage.app.uow() as uow:
            return len((await uow.session.exec(select(CommentVersion))).all()) == 2

    await wait_for(stage, two_versions)
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Удалить")
    line = await audit_line(stage, "comment.delete")
    assert line.actor_ref.startswith("tg:") or line.actor_id is not None  # who
    assert line.at is not None  # when
    assert "нецензурная брань" in line.details  # why
    assert EDITED_RUDE in line.details and RUDE in line.details  # what, every version
    async with stage.app.uow() as uow:
        versions = (await uow.session.exec(select(CommentVersion))).all()
        examples = await uow.examples.all()
    assert [v.text for v in sorted(versions, key=lambda v: v.number)] == [RUDE, EDITED_RUDE]
    assert examples == []  # the verdict was for the first text, not the one deleted


async def test_a_comment_deleted_on_vk_by_someone_else_is_in_the_audit(stage: Stage) -> None:
    await start(stage)
    post_id = await vk_post(stage)
    comment = stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    token = stage.vk.state.tokens[stage.vk_user_token]  # an admin deletes it in VK itself
    params = {"owner_id": str(-VK_GROUP_ID), "comment_id": str(comment["id"]), "v": "5.199"}
    await stage.vk.dispatcher.invoke("wall.deleteComment", params, token)
    line = await audit_line(stage, "comment.removed", within=TIMEOUT)
    assert "не через бота" in line.details and RUDE in line.details
