"""The monthly control report for the deputy head (order No. 159-P, item 6).

The report is a list of section providers: each reads its figures from the database, one query
per family of figures, and returns a Section (summary lines, a table, charts as data). The
desk's own sections are departments (announced / on time / late / missing), publications (per
network and per format), moderation and engagement; another feature (the replies to citizens,
when it exists) appends its own provider to `Control.sections` and needs nothing else here.
Rendering to PNG charts, XLSX and HTML is bot/control_render.py.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.config import Config
from bot.dates import MONTHS
from bot.domain import Role
from bot.errors import Denied, Invalid
from bot.ports import StatsSource
from bot.workdays import WorkCalendar
from storage.models import (
    Person,
)
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MONTHS_NOMINATIVE = [
    "январь",
    "февраль",
    "март",
    "апрель",
    "май",
    "июнь",
    "июль",
    "август",
    "сентябрь",
    "октябрь",
    "ноябрь",
    "декабрь",
]
OTHER_MONTH = "Другой месяц: /month 11.2026 или /month ноябрь."
DELETED = ("delete", "ban", "auto_delete")
HIDDEN = ("hide", "auto_hide")


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def next(self) -> Month:
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> Month:
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def last(self) -> date:
        return self.next.first - timedelta(days=1)

    @property
    def title(self) -> str:
        return f"{MONTHS_NOMINATIVE[self.month - 1]} {self.year}"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The month as UTC moments [start, end) of the office's local days."""
        start = datetime.combine(self.first, time(), tz).astimezone(UTC)
        end = datetime.combine(self.next.first, time(), tz).astimezone(UTC)
        return start, end

    @classmethod
    def of(cls, day: date) -> Month:
        return cls(day.year, day.month)

    @classmethod
    def parse(cls, text: str, today: date) -> Month:
        """«11.2026», «2026-11», «ноябрь», «ноябрь 2026», or nothing: the current month."""
        value = " ".join(text.lower().replace("ё", "е").split())
        if not value:
            return cls.of(today)
        if m := re.fullmatch(r"(\d{1,2})[./](\d{4})", value):
            month, year = int(m[1]), int(m[2])
        elif m := re.fullmatch(r"(\d{4})-(\d{1,2})", value):
            year, month = int(m[1]), int(m[2])
        else:
            words = value.split()
            month = next(
                (
                    i + 1
                    for i, (name, genitive) in enumerate(
                        zip(MONTHS_NOMINATIVE, MONTHS, strict=True)
                    )
                    if words[0] in (name, genitive)
                    or (len(words[0]) >= 3 and name.startswith(words[0]))
                ),
                0,
            )
            year = int(words[1]) if len(words) > 1 and words[1].isdigit() else today.year
            if month and len(words) == 1 and date(year, month, 1) > today:
                year -= 1  # «декабрь» in January: the December just gone
        if not 1 <= month <= 12 or not 2000 <= year <= 2100:
            raise Invalid("Не понял месяц. Напишите, например: /month 11.2026 или /month ноябрь.")
        return cls(year, month)


@dataclass(frozen=True)
class Chart:
    """A bar chart as data: categories along the axis, one or more named series."""

    name: str  # file name stem
    title: str
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[float, ...]], ...]
    stacked: bool = False


@dataclass
class Section:
    title: str
    lines: list[str] = field(default_factory=list)  # the summary in chat
    header: tuple[str, ...] = ()
    rows: list[tuple] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Context:
    month: Month
    start: datetime
    end: datetime
    now: datetime
    today: date
    tz: ZoneInfo


class SectionProvider(Protocol):
    async def __call__(self, uow: UnitOfWork, ctx: Context) -> Section | None: ...


@dataclass
class MonthlyReport:
    month: Month
    sections: list[Section]
    generated_at: datetime

    def summary(self) -> str:
        lines = [f"Отчёт о работе за {self.month.title}"]
        for section in self.sections:
            if section.lines:
                lines.append("")
                lines.append(f"{section.title}:")
                lines += [f"• {x}" for x in section.lines]
        charts = any(section.charts for section in self.sections)
        files = "Графики — на картинках, подробности" if charts else "Подробности"
        lines += ["", f"{files} — в файлах XLSX и HTML.", OTHER_MONTH]
        return "\n".join(lines)


class Control:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        config: Config,
        clock: Callable[[], datetime],
        stats: Sequence[StatsSource] = (),
    ) -> None:
        self._uow = uow
        self._tz = config.desk.tz
        self._clock = clock
        self._settings = config.control
        # Imported here: the sections take the report's shapes (Section, Chart) from this module.
        from bot.control_sections import Engagement, departments, moderation, publications

        calendar = WorkCalendar(config.duty.calendar)
        # In this order in the report; other features append theirs (e.g. the replies).
        self.sections: list[SectionProvider] = [
            lambda uow, ctx: departments(uow, ctx, calendar),
            publications,
            moderation,
            Engagement(stats),
        ]
        self.deliver: Callable[[Person, MonthlyReport], Awaitable[None]] | None = None

    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    @property
    def tz(self) -> ZoneInfo:
        return self._tz

    def month(self, text: str) -> Month:
        return Month.parse(text, self.today())

    async def build(self, month: Month) -> MonthlyReport:
        now = self._clock()
        start, end = month.bounds(self._tz)
        ctx = Context(month, start, end, now, self.today(), self._tz)
        sections = []
        async with self._uow() as uow:
            for provider in self.sections:
                section = await provider(uow, ctx)
                if section is not None:
                    sections.append(section)
        return MonthlyReport(month, sections, now)

    async def for_person(self, actor: Person, month: Month) -> MonthlyReport:
        if not actor.active or actor.role != Role.admin:
            raise Denied("Отчёт за месяц получают администраторы.")
        return await self.build(month)

    async def send_monthly(self) -> int:
        """The 1st of the month: last month's report to every admin; how many got it."""
        if self.today().day != 1 or self.deliver is None:
            return 0
        report = await self.build(Month.of(self.today()).previous)
        async with self._uow() as uow:
            admins = await uow.people.with_roles([Role.admin])
        sent = 0
        for admin in admins:
            try:
                await self.deliver(admin, report)
                sent += 1
            except Exception:  # one admin's chat failing must not keep it from the others
                log.exception("monthly report to person %s failed", admin.id)
        return sent
