"""The reporting duty end to end: «Анонс» in Telegram, the reminder the day after at the
configured hour, the editors' «who is late» at the deadline, and the digest's «Напомнить».

Time comes from a clock the test sets (real time plus an offset, so the emulators' own
timing keeps working); the daily sweeps are the scheduler's jobs, called at their moments.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox.stage import Stage
from storage.models import Announcement
from tests.e2e.conftest import Chat, buttons, join


class Clock:
    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()


@pytest.fixture
def clock() -> Clock:
    clock = Clock()
    clock.set(datetime(2026, 12, 1, 3, 0, tzinfo=UTC))  # Tuesday, 10:00 in Tomsk
    return clock


@pytest.fixture
async def stage(tmp_path: Path, clock: Clock) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, clock=clock)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


def trigger_time(stage: Stage, job_id: str) -> tuple[str, str]:
    job = stage.app.scheduler.scheduler.get_job(job_id)
    return str(job.trigger.fields[5]), str(job.trigger.fields[6])


async def test_announced_event_reminder_late_notice_and_digest(
    stage: Stage, clock: Clock, admin: Chat
) -> None:
    head = await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел культуры"
    )
    head.send("/announce")
    await head.expect("Как оно называется?")
    head.send("Ёлка")
    await head.expect("Когда оно будет?")
    head.send("02.12")  # Wednesday
    await head.expect("Где?")
    head.send("Дом культуры")
    done = await head.expect("Анонс № 1")
    assert "для 2 декабря это четверг, 3 декабря" in done["text"]
    assert "в 10:00 я напомню" in done["text"]

    # The day after the event at the configured hour (10:00 local) the head is reminded.
    assert trigger_time(stage, "duty:reminders") == ("10", "0")
    assert trigger_time(stage, "duty:late") == ("9", "30")
    clock.set(datetime(2026, 12, 2, 3, 0, tzinfo=UTC))  # the event's own day: nothing yet
    assert await stage.app.duty.send_reminders() == 0
    clock.set(datetime(2026, 12, 3, 3, 0, tzinfo=UTC))  # Thursday 10:00
    assert await stage.app.duty.send_reminders() == 1
    assert await stage.app.duty.send_reminders() == 0  # once
    reminder = await head.expect("Напоминаю: вчера прошло мероприятие «Ёлка»")
    assert "сегодня" in reminder["text"]
    assert buttons(reminder) == ["Сообщить сейчас"]

    # The morning digest names it, with «Напомнить» that reminds at once.
    digest = await stage.app.moderation.digest_card()
    assert "• Не прислали: Отдел культуры — «Ёлка» (вчера)" in digest.text
    await stage.app.moderation.send_digest()
    card = await admin.expect("Не прислали: Отдел культуры — «Ёлка» (вчера)")
    assert "Напомнить" in buttons(card)
    query = admin.press(card, "Напомнить")
    assert await admin.alert(query) == "Напомнил: Иван Иванов."
    again = await head.expect("Напоминаю: вчера прошло мероприятие «Ёлка»")

    # No report by the end of Thursday: on Friday at 09:30 the editors learn who is late.
    clock.set(datetime(2026, 12, 3, 16, 0, tzinfo=UTC))  # Thursday 23:00: still in time
    assert await stage.app.duty.notice_late() == 0
    clock.set(datetime(2026, 12, 4, 2, 30, tzinfo=UTC))
    assert await stage.app.duty.notice_late() == 1
    assert await stage.app.duty.notice_late() == 0  # once
    late = await admin.expect("Не прислали сообщения в срок")
    assert "Отдел культуры — «Ёлка» (2 декабря, срок был 3 декабря)" in late["text"]
    assert buttons(late) == ["Напомнить"]

    # «Сообщить сейчас» opens the report with the announcement's answers filled in.
    head.press(again, "Сообщить сейчас")
    await head.expect("Коротко опишите")
    head.send("Зажгли ёлку, пришли 300 человек.")
    ask = await head.expect("Пришлите фото или видео")
    head.press(ask, "Без вложений")
    summary = await head.expect("Проверьте:")
    assert "«Ёлка», 2 декабря, Дом культуры" in summary["text"]
    head.press(summary, "Отправить")
    await head.edited(summary, "принято")  # a day late: the gentle note
    async with stage.app.uow() as uow:
        assert await uow.announcements.is_answered(1)
        assert (await uow.session.exec(select(Announcement))).one().late_noticed_at
    assert await stage.app.duty.overdue() == []
    assert "Не прислали" not in (await stage.app.moderation.digest_card()).text


async def test_announcing_a_past_date_points_to_the_report(stage: Stage, admin: Chat) -> None:
    admin.send("/announce")
    await admin.expect("Как оно называется?")
    admin.send("Субботник")
    await admin.expect("Когда оно будет?")
    admin.send("вчера")
    refusal = await admin.expect("уже прошло")
    assert "/report" in refusal["text"]
    admin.send("завтра")
    await admin.expect("Где?")


async def test_announce_and_report_now_in_vk(stage: Stage, clock: Clock, admin: Chat) -> None:
    from tests.e2e.test_vk_reporter import join_vk, labels

    head = await join_vk(stage, admin)
    head.press(head.bot_messages()[-1], "Анонс")  # the menu's text button: its payload says so
    await head.expect("Как оно называется?")
    head.send("Концерт")
    await head.expect("Когда оно будет?")
    head.send("04.12")  # Friday: due on Monday
    await head.expect("Где?")
    head.send("Дом культуры")
    done = await head.expect("Анонс № 1")
    assert "для 4 декабря это понедельник, 7 декабря" in done["text"]

    clock.set(datetime(2026, 12, 5, 3, 0, tzinfo=UTC))  # Saturday: not yet
    assert await stage.app.duty.send_reminders() == 0
    clock.set(datetime(2026, 12, 7, 3, 0, tzinfo=UTC))  # Monday 10:00
    assert await stage.app.duty.send_reminders() == 1
    reminder = await head.expect("Напоминаю: 4 декабря прошло мероприятие «Концерт»")
    assert labels(reminder) == ["Сообщить сейчас"]
    head.press(reminder, "Сообщить сейчас")
    await head.expect("Коротко опишите")


async def test_a_restart_after_the_reminder_time_still_reminds_once(
    stage: Stage, clock: Clock, admin: Chat
) -> None:
    head = await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )
    head.send("/announce")
    await head.expect("Как оно называется?")
    head.send("Эстафета")
    await head.expect("Когда оно будет?")
    head.send("02.12")
    await head.expect("Где?")
    head.send("Стадион")
    await head.expect("Анонс № 1")
    await stage.stop_app()  # the bot is off at 10:00 on the due day
    clock.set(datetime(2026, 12, 3, 5, 0, tzinfo=UTC))  # Thursday 12:00
    await stage.start_app()
    await head.expect("Напоминаю: вчера прошло мероприятие «Эстафета»")
    await stage.stop_app()
    await stage.start_app()  # again: the mark in the database keeps it to one
    await stage.app._duty_catch_up
    assert await stage.app.duty.send_reminders() == 0
    reminders = [m for m in head.bot_messages() if "Напоминаю" in (m.get("text") or "")]
    assert len(reminders) == 1
    async with stage.app.uow() as uow:
        assert (await uow.announcements.get(1)).reminded_at is not None
