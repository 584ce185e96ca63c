"""Ticket deadlines with a controlled clock across a weekend and a holiday (reminder, escalation,
the morning digest's line, /tickets), the monthly figures, and the retention purge (152-FZ)."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.control import Month
from sandbox.stage import MODERATION_CHAT_ID, VK_GROUP_ID, Stage
from storage.tickets import Ticket
from tests.e2e.conftest import TIMEOUT, Chat, audit_lines, wait_for
from tests.e2e.test_replies import CITIZEN, QUESTION, SETTINGS, room, room_card
from tests.e2e.test_vk_reporter import VKPerson

TOMSK = ZoneInfo("Asia/Tomsk")
# Friday 5 March 2027, 16:00 in Tomsk: Saturday, Sunday and Monday 8 March (a holiday) follow.
FRIDAY = datetime(2027, 3, 5, 16, 0, tzinfo=TOMSK)


class Clock:
    """Real time plus an offset the test moves (the emulators' rate windows keep working)."""

    def __init__(self, start: datetime) -> None:
        self.offset = start.timestamp() - time.time()

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()


@pytest.fixture
def clock() -> Clock:
    return Clock(FRIDAY)


@pytest.fixture
async def stage(
    tmp_path: Path, clock: Clock, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, clock=clock, settings=SETTINGS)
    await stage.start_emulators()
    stage.vk.add_user(CITIZEN, "Сергей", "Кузнецов")
    await stage.start_app()
    yield stage
    await stage.stop()


async def the_ticket(stage: Stage) -> Ticket:
    async with stage.app.uow() as uow:
        return (await uow.session.exec(select(Ticket))).one()


def minute(moment: datetime) -> datetime:
    return moment.astimezone(TOMSK).replace(second=0, microsecond=0)


def texts(stage: Stage) -> list[str]:
    return [m.get("text") or "" for m in room(stage)]


async def test_deadlines_across_a_weekend_and_a_holiday(
    stage: Stage, admin: Chat, clock: Clock
) -> None:
    citizen = VKPerson(stage, CITIZEN)
    citizen.send(QUESTION)
    ack = await citizen.expect("передано в администрацию")
    assert "Ответим до 17 марта" in ack["text"]  # 7 working days: 9–12 and 15–17 March
    await room_card(stage, "Обращение № 1")
    ticket = await the_ticket(stage)
    # 3 working hours from Friday 16:00: two on Friday, one on Tuesday (Monday is 8 March)
    # (the clock runs on from Friday 16:00 while the test plays: to the minute)
    assert minute(ticket.first_due) == datetime(2027, 3, 9, 10, 0, tzinfo=TOMSK)
    assert ticket.answer_due.astimezone(TOMSK) == datetime(2027, 3, 17, 18, 0, tzinfo=TOMSK)

    followups = stage.app.followups
    clock.set(datetime(2027, 3, 6, 12, 0, tzinfo=TOMSK))  # Saturday: nothing is due
    assert await followups.sweep() == (0, 0)
    clock.set(datetime(2027, 3, 9, 9, 15, tzinfo=TOMSK))  # Tuesday, within the hour before
    assert await followups.sweep() == (1, 0)
    await room_card(stage, "Напоминание: обращение № 1")
    assert await followups.sweep() == (0, 0)  # once per deadline
    clock.set(datetime(2027, 3, 9, 10, 5, tzinfo=TOMSK))
    assert await followups.sweep() == (0, 1)
    escalation = await room_card(stage, "Срок первого ответа на обращение № 1")
    assert "вышел 9 марта в 10:00" in escalation["text"]
    assert await followups.sweep() == (0, 0)
    assert len(await audit_lines(stage, "ticket.escalated")) == 1

    digest = await stage.app.moderation.digest_card()
    assert "просрочены ответы жителям: 1 (№ 1)" in digest.text
    admin.send("/tickets")
    listed = await admin.expect("Обращение № 1")
    assert "срок вышел" in listed["text"]
    assert len([t for t in texts(stage) if "Срок первого ответа" in t]) == 1


async def test_retention_blanks_the_citizen_and_keeps_the_figures(
    stage: Stage, admin: Chat, clock: Clock
) -> None:
    citizen = VKPerson(stage, CITIZEN)
    citizen.send(QUESTION)
    card = await room_card(stage, "Обращение № 1")
    stage.tg.press(admin.user_id, MODERATION_CHAT_ID, card["message_id"], "Без ответа")

    async def closed() -> bool:
        return (await the_ticket(stage)).state == "dismissed"

    await wait_for(stage, closed)
    report = await stage.app.control.build(Month(2027, 3))
    [section] = [s for s in report.sections if s.title == "Ответы жителям"]
    assert section.rows == [("жалоба", "Отдел ЖКХ", 1, 0, 0)]

    clock.set(datetime(2027, 7, 1, 12, 0, tzinfo=TOMSK))  # 118 days: still kept
    await stage.app.retention.purge()
    assert (await the_ticket(stage)).citizen_id == CITIZEN
    clock.set(datetime(2027, 9, 10, 12, 0, tzinfo=TOMSK))  # past the 180 days
    purged = await stage.app.retention.purge()
    assert purged.tickets == 1
    ticket = await the_ticket(stage)
    assert (ticket.citizen_id, ticket.citizen_name, ticket.thread_ref, ticket.text) == (
        0, "", "", ""
    )  # fmt: skip
    assert (ticket.kind, ticket.department, ticket.state) == ("complaint", "Отдел ЖКХ", "dismissed")
    again = await stage.app.control.build(Month(2027, 3))
    [section] = [s for s in again.sections if s.title == "Ответы жителям"]
    assert section.rows == [("жалоба", "Отдел ЖКХ", 1, 0, 0)]  # the figures remain
    assert "Сергей" not in str(await audit_lines(stage, "ticket.opened"))
    assert len(await audit_lines(stage, "ticket.anonymised")) == 1
    assert VK_GROUP_ID and TIMEOUT
