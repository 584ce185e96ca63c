"""What keeps tickets moving after intake: reminders before a deadline, escalation at it, the
morning digest's line, the monthly control section, and the retention purge (152-FZ)."""

from __future__ import annotations

import statistics
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import or_, update
from sqlmodel import col

from bot.control import Context, Section
from bot.dates import calendar_when
from bot.people import audit
from bot.ports import Action, Button, DigestPart, Notifier
from bot.replies import cards
from bot.replies.detect import KIND_TITLES
from bot.replies.service import Replies
from storage.tickets import Ticket, due_of
from storage.uow import UnitOfWork

# Personal data a ticket holds: who wrote, where, and what (the text may name them too).
BLANK = {"citizen_id": 0, "citizen_name": "", "thread_ref": "", "url": "", "text": "", "draft": ""}


class Followups:
    def __init__(
        self,
        replies: Replies,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        clock: Callable[[], datetime],
    ) -> None:
        self._replies = replies
        self._uow = uow
        self._notifier = notifier
        self._clock = clock

    async def sweep(self) -> tuple[int, int]:
        """Reminders to whoever holds a ticket before its deadline, escalation to the editors
        at it; each once per deadline. Returns (reminded, escalated)."""
        now = self._clock()
        tz = self._replies.tz
        before = timedelta(hours=self._replies.settings.remind_before_hours)
        reminded = escalated = 0
        async with self._uow() as uow:
            tickets = [t for t in await uow.tickets.open() if t.state != "sending"]
        for ticket in tickets:
            due = due_of(ticket)
            if now >= due and ticket.escalated_at is None:
                async with self._uow() as uow:
                    # Still not escalated: two instances sweeping at once escalate it once.
                    if not await uow.tickets.move(
                        ticket.id,
                        (ticket.state,),
                        {"escalated_at": None},
                        escalated_at=now,
                        overdue=True,
                    ):
                        continue
                    holder = await uow.people.get(ticket.holder_id) if ticket.holder_id else None
                    await audit(uow, now, "ticket.escalated", obj=f"ticket:{ticket.id}")
                    await uow.commit()
                await self._replies.tell_room(cards.escalation_card(ticket, holder, now, tz))
                escalated += 1
            elif now >= due - before and now < due and ticket.reminded_at is None:
                async with self._uow() as uow:
                    if not await uow.tickets.move(
                        ticket.id, (ticket.state,), {"reminded_at": None}, reminded_at=now
                    ):
                        continue
                    who = ticket.assignee_id if ticket.state == "forwarded" else ticket.holder_id
                    person = await uow.people.get(who) if who else None
                    await audit(uow, now, "ticket.reminded", obj=f"ticket:{ticket.id}")
                    await uow.commit()
                card = cards.reminder_card(ticket, now, tz)
                if person is not None and person.active:
                    await self._notifier.send(person, card)
                else:
                    await self._replies.tell_room(card)
                reminded += 1
        return reminded, escalated

    async def digest_part(self, now: datetime) -> DigestPart | None:
        """The morning digest's lines: overdue tickets, and how many wait."""
        async with self._uow() as uow:
            tickets = await uow.tickets.open()
        if not tickets:
            return None
        tz = self._replies.tz
        late = [t for t in tickets if due_of(t) <= now]
        lines = []
        if late:
            numbers = ", ".join(f"№ {t.id}" for t in late[:10])
            lines.append(f"просрочены ответы жителям: {len(late)} ({numbers})")
        waiting = [t for t in tickets if due_of(t) > now]
        if waiting:
            nearest = calendar_when(due_of(waiting[0]), now, tz)
            lines.append(
                f"ждут ответа обращения жителей: {len(waiting)}, ближайший срок — {nearest}"
            )
        return DigestPart(tuple(lines), ((Button("Обращения", Action.open_tickets, 0),),))

    async def purge(self, days: int) -> int:
        """Tickets older than `days`: the citizen's name, id, where and what blanked; the row
        (kind, department, times) stays for the figures. Returns how many were blanked."""
        if not days:
            return 0
        now = self._clock()
        before = now - timedelta(days=days)
        async with self._uow() as uow:
            result = await uow.session.exec(
                update(Ticket)
                .where(
                    Ticket.created_at < before,
                    col(Ticket.anonymised_at).is_(None),
                    or_(Ticket.citizen_id != 0, Ticket.citizen_name != "", Ticket.text != ""),
                )
                .values(**BLANK, anonymised_at=now)
            )
            count = result.rowcount or 0
            if count:
                await audit(uow, now, "ticket.anonymised", details=f"{count} tickets")
            await uow.commit()
        return count


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _median(values: list[float]) -> str:
    if not values:
        return "—"
    return f"{statistics.median(values):.1f} ч"


async def replies_section(uow: UnitOfWork, ctx: Context) -> Section:
    """The monthly report's replies: tickets per kind and department, median hours to the first
    response and to the answer, how many went past a deadline."""
    tickets = await uow.tickets.created_between(ctx.start, ctx.end)
    per: dict[tuple[str, str], list[Ticket]] = {}
    for ticket in tickets:
        per.setdefault((KIND_TITLES.get(ticket.kind, ticket.kind), ticket.department), []).append(
            ticket
        )
    first = [_hours(t.first_response_at - t.created_at) for t in tickets if t.first_response_at]
    answered = [
        _hours(t.answered_at - t.created_at)
        for t in tickets
        if t.answered_at and t.state == "answered"
    ]
    overdue = sum(
        1 for t in tickets if t.overdue or (t.state != "answered" and due_of(t) < ctx.now)
    )
    rows = [
        (
            kind,
            department or "не указан",
            len(group),
            sum(1 for t in group if t.state == "answered"),
            sum(1 for t in group if t.overdue),
        )
        for (kind, department), group in sorted(per.items())
    ]
    section = Section(
        "Ответы жителям",
        header=("Вид", "Отдел", "Обращений", "Отвечено", "Просрочено"),
        rows=rows,
    )
    section.lines.append(
        f"обращений: {len(tickets)}, отвечено: {len(answered)}, с нарушением срока: {overdue}"
    )
    section.lines.append(
        f"медиана до первого ответа: {_median(first)}, до ответа по существу: {_median(answered)}"
    )
    return section
