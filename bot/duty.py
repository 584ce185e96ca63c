"""The reporting duty (order No. 159-P, item 4): announcements ahead, deadlines, reminders.

A department head announces an event («Анонс»); the report is due on the next working day after
it (bot/workdays.py). On that day at `[duty] reminder_time` a head who has not reported gets a
reminder with «Сообщить сейчас»; on the working day after the deadline at `late_notice_time` the
editors learn who is late, each with «Напомнить»; the morning digest lists the events that passed
with no report yet. Both jobs are daily sweeps over the database (what was sent is marked on the
announcement, once, by compare-and-set), so a restart loses nothing: at start the sweeps whose
time already came today run once (`catch_up`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time

from bot import reporting
from bot.config import Config
from bot.dates import RELATIVE, _parse_future_date, human_date, parse_date
from bot.domain import Role
from bot.errors import Denied, Invalid, NotFound
from bot.people import audit
from bot.ports import Action, Button, Card, DigestPart, Notifier
from bot.workdays import WorkCalendar, day_month
from storage.models import Announcement, Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ASK_TITLE = "Расскажите о предстоящем мероприятии. Как оно называется?"
ASK_DATE = "Когда оно будет? Например: «завтра», «12.12» или «12 декабря»."
ASK_PLACE = "Где?"
SHOWN_IN_DIGEST = 5  # events with their own «Напомнить» button in the digest


@dataclass(frozen=True)
class Overdue:
    """An announced event whose report has not come, as the editors see it."""

    announcement: Announcement
    department: str
    author: Person | None


class Duty:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._settings = config.duty
        self._tz = config.desk.tz
        self._clock = clock
        self.calendar = WorkCalendar(config.duty.calendar)

    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    # ---- announcing ---------------------------------------------------------------------------
    def event_date(self, text: str) -> date:
        """A date ahead («12.12» in December is this year's, in January next year's)."""
        today = self.today()
        word = " ".join(text.lower().replace("ё", "е").split()).strip(" .")
        # «вчера» is yesterday; only a bare «12.12» is read as the next such date
        value = parse_date(word, today) if word in RELATIVE else _parse_future_date(text, today)
        if value is None:
            raise Invalid("Не понял дату. Напишите, например: «завтра», «12.12» или «12 декабря».")
        if value < today:
            raise Invalid(
                "Это мероприятие уже прошло — о нём можно сразу сообщить: /report. "
                "Или напишите дату предстоящего."
            )
        return value

    async def announce(self, actor: Person, title: str, event_date: date, place: str) -> Card:
        if not actor.active:
            raise Denied("Ваш доступ к боту закрыт. Обратитесь к администратору.")
        title, place = reporting.title(title), reporting.place(place)
        now = self._clock()
        async with self._uow() as uow:
            item = await uow.announcements.add(
                Announcement(
                    author_id=actor.id,
                    department_id=actor.department_id,
                    title=title,
                    event_date=event_date,
                    place=place,
                    created_at=now,
                )
            )
            await audit(uow, now, "announcement.add", actor=actor, obj=f"announcement:{item.id}")
            await uow.commit()
        deadline = self.calendar.deadline(event_date)
        when = human_date(event_date, self.today())
        return Card(
            f"Спасибо! Анонс № {item.id} в графике: «{title}», {when}, {place}.\n\n"
            f"{deadline.explain()} "
            f"Если сообщения не будет, в этот день в {self._settings.reminder_time} я напомню."
        )

    # ---- the head's side ----------------------------------------------------------------------
    def reminder_card(self, item: Announcement) -> Card:
        deadline = self.calendar.deadline(item.event_date)
        today = self.today()
        when = human_date(item.event_date, today)
        if today <= deadline.due:
            due = "сегодня" if today == deadline.due else f"до {day_month(deadline.due)}"
            ask = f"Расскажите, пожалуйста, как оно прошло — {due}, это займёт пару минут."
        else:
            ask = f"Срок был {day_month(deadline.due)}, но расскажите, пожалуйста, и сейчас."
        text = f"Напоминаю: {when} прошло мероприятие «{item.title}». {ask}\n{deadline.explain()}"
        return Card(text, ((Button("Сообщить сейчас", Action.report_now, item.id or 0),),))

    async def report_now(self, announcement_id: int, actor: Person) -> dict[str, str]:
        """The report dialog's first answers, taken from the announcement («Сообщить сейчас»)."""
        async with self._uow() as uow:
            item = await uow.announcements.get(announcement_id)
            if item is None or item.cancelled:
                raise NotFound("Этого анонса больше нет. Сообщить о мероприятии: /report")
            if item.author_id != actor.id and (
                item.department_id is None or item.department_id != actor.department_id
            ):
                raise Denied("Это напоминание о мероприятии другого подразделения.")
        return {"title": item.title, "date": item.event_date.isoformat(), "place": item.place}

    async def announcement_card(self, announcement_id: int) -> Card:
        """An announced event opened from the plan: what, when, who, and its deadline."""
        async with self._uow() as uow:
            item = await uow.announcements.get(announcement_id)
            if item is None or item.cancelled:
                raise NotFound("Этого анонса больше нет.")
            answered = await uow.announcements.is_answered(announcement_id)
            author = await uow.people.get(item.author_id)
            department = await uow.departments.get(item.department_id)
        today = self.today()
        who = ", ".join(
            x
            for x in (department.name if department else "", author.full_name if author else "")
            if x
        )
        lines = [
            f"📣 Анонс № {item.id}: «{item.title}», "
            f"{human_date(item.event_date, today)}, {item.place}",
            f"Сообщил: {who}" if who else "",
        ]
        deadline = self.calendar.deadline(item.event_date)
        if answered:
            lines.append("Сообщение о мероприятии уже пришло.")
            return Card("\n".join(x for x in lines if x))
        lines.append(deadline.explain())
        buttons: tuple = ()
        if item.event_date < today:
            lines.append("Сообщения пока нет.")
            buttons = ((Button("Напомнить", Action.remind, item.id or 0),),)
        return Card("\n".join(x for x in lines if x), buttons)

    # ---- the daily sweeps -----------------------------------------------------------------------
    async def overdue(self, *, before_today: bool = True) -> list[Overdue]:
        """Open announcements whose event has passed (before today) with no report yet."""
        today = self.today()
        async with self._uow() as uow:
            items = await uow.announcements.open_()
            people = {p.id: p for p in await uow.people.with_roles([r.value for r in Role])}
            departments = {d.id: d.name for d in await uow.departments.all()}
        return [
            Overdue(a, departments.get(a.department_id, ""), people.get(a.author_id))
            for a in items
            if a.event_date < today or (not before_today and a.event_date == today)
        ]

    async def send_reminders(self) -> int:
        """Each head whose report is due today (or past due) and not yet reminded: once."""
        today, now, sent = self.today(), self._clock(), 0
        for entry in await self.overdue():
            item = entry.announcement
            if item.reminded_at is not None or self.calendar.deadline(item.event_date).due > today:
                continue
            if await self._remind(item, entry.author, now, "announcement.reminded"):
                sent += 1
        return sent

    async def remind_now(self, announcement_id: int, actor: Person) -> str:
        """An editor's «Напомнить»: the reminder at once; the answer for the editor."""
        if not Role(actor.role).can_edit() or not actor.active:
            raise Denied("Это могут делать только редакторы пресс-службы.")
        async with self._uow() as uow:
            item = await uow.announcements.get(announcement_id)
            if item is None:
                raise NotFound("Этого анонса больше нет.")
            if await uow.announcements.is_answered(announcement_id):
                return "Сообщение об этом мероприятии уже пришло."
            author = await uow.people.get(item.author_id)
        if author is None or not author.active:
            return "Автора анонса больше нет среди сотрудников."
        if not await self._remind(item, author, self._clock(), "announcement.remind_now", actor):
            return "Не удалось доставить напоминание — редакторы получат подробности."
        return f"Напомнил: {author.full_name}."

    async def _remind(
        self,
        item: Announcement,
        author: Person | None,
        now: datetime,
        action: str,
        actor: Person | None = None,
    ) -> bool:
        if author is None or not author.active:
            return False
        async with self._uow() as uow:
            first = await uow.announcements.mark(item.id, "reminded_at", now)
            if actor is None and not first:
                return False  # another sweep sent it
            await audit(uow, now, action, actor=actor, obj=f"announcement:{item.id}")
            await uow.commit()
        return await self._notifier.send(author, self.reminder_card(item)) is not None

    async def notice_late(self) -> int:
        """On working days: the editors learn whose reports are past the deadline (each once)."""
        today, now = self.today(), self._clock()
        if not self.calendar.is_working_day(today):
            return 0
        late = [
            entry
            for entry in await self.overdue()
            if entry.announcement.late_noticed_at is None
            and self.calendar.deadline(entry.announcement.event_date).due < today
        ]
        fresh = []
        async with self._uow() as uow:
            for entry in late:
                if await uow.announcements.mark(entry.announcement.id, "late_noticed_at", now):
                    fresh.append(entry)
            if fresh:
                await audit(uow, now, "announcement.late", details=f"{len(fresh)} late")
            await uow.commit()
            editors = await uow.people.editors()
        if not fresh:
            return 0
        card = self.late_card(fresh)
        for editor in editors:
            await self._notifier.send(editor, card)
        return len(fresh)

    def late_card(self, late: list[Overdue]) -> Card:
        lines = ["Не прислали сообщения в срок:"]
        rows = []
        for entry in late:
            item = entry.announcement
            deadline = self.calendar.deadline(item.event_date)
            lines.append(
                f"• {self._who(entry)} — «{item.title}» ({day_month(item.event_date)}, "
                f"срок был {day_month(deadline.due)})"
            )
            label = "Напомнить" if len(late) == 1 else f"Напомнить: «{item.title[:30]}»"
            rows.append((Button(label, Action.remind, item.id or 0),))
        lines.append(
            "Срок — следующий рабочий день после мероприятия, по производственному календарю."
        )
        return Card("\n".join(lines), tuple(rows))

    def _who(self, entry: Overdue) -> str:
        if entry.department:
            return entry.department
        return entry.author.full_name if entry.author else "без отдела"

    # ---- the morning digest (plugged into Moderation.digest_sections) -------------------------
    async def digest_part(self, now: datetime) -> DigestPart | None:
        waiting = await self.overdue()
        if not waiting:
            return None
        today = self.today()
        names = [
            f"{self._who(e)} — «{e.announcement.title}» "
            f"({human_date(e.announcement.event_date, today)})"
            for e in waiting
        ]
        shown = waiting[:SHOWN_IN_DIGEST]
        rows = tuple(
            (
                Button(
                    "Напомнить"
                    if len(waiting) == 1
                    else f"Напомнить: «{e.announcement.title[:30]}»",
                    Action.remind,
                    e.announcement.id or 0,
                ),
            )
            for e in shown
        )
        return DigestPart((f"Не прислали: {'; '.join(names)}",), rows)

    # ---- jobs -----------------------------------------------------------------------------------
    def jobs(self) -> list[tuple[str, Callable, str]]:
        """(job id, the sweep, local time HH:MM) for the scheduler's daily jobs."""
        return [
            ("duty:reminders", self.send_reminders, self._settings.reminder_time),
            ("duty:late", self.notice_late, self._settings.late_notice_time),
        ]

    async def catch_up(self) -> None:
        """At start: the sweeps whose time already came today run now (each sends once)."""
        local = self._clock().astimezone(self._tz).time()
        for job_id, sweep, at in self.jobs():
            if local >= time.fromisoformat(at):
                try:
                    await sweep()
                except Exception:
                    log.exception("%s at start failed", job_id)
