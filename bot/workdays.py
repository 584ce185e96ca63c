"""The office's working calendar and the order's reporting deadline.

Order No. 159-P, item 4: a department head reports an event «не позднее следующего дня». The
office counts that day in its working calendar: the next working day after the event, so an event
on Friday is due on Monday and a public holiday (or the days off moved next to it) moves it again.
Russian holidays and the government's transfers of days off come from the `holidays` library
(`holidays.RU`: public holidays, substituted days off, and the Saturdays made working days, kept
in `weekend_workdays`); its `is_working_day` combines them with the weekend.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import holidays

from bot.dates import MONTHS

WEEKDAYS = ["понедельник", "вторник", "среда", "четверг", "пятница", "суббота", "воскресенье"]
WEEKDAYS_SHORT = ["Пн", "Вт", "Ср", "Чт", "Пт", "Сб", "Вс"]


def day_month(day: date) -> str:
    return f"{day.day} {MONTHS[day.month - 1]}"


@dataclass(frozen=True)
class Deadline:
    event: date
    due: date
    skipped: tuple[tuple[date, str], ...]  # the days passed over on the way, and why

    def explain(self) -> str:
        """The rule in people's words, and why this date."""
        rule = (
            "По порядку о мероприятии нужно сообщить не позднее следующего рабочего дня после него"
        )
        text = f"{rule}: для {day_month(self.event)} это {WEEKDAYS[self.due.weekday()]}, "
        text += f"{day_month(self.due)}"
        if len(self.skipped) > 3:
            first, last = self.skipped[0][0], self.skipped[-1][0]
            text += f" (с {day_month(first)} по {day_month(last)} — праздники и выходные)"
        elif self.skipped:
            reasons = ", ".join(f"{day_month(d)} — {why}" for d, why in self.skipped)
            text += f" ({reasons})"
        return text + "."


class WorkCalendar:
    """Russian working days; `country` is kept configurable for tests and other offices."""

    def __init__(self, country: str = "RU") -> None:
        self._days = holidays.country_holidays(country, language="ru")

    def is_working_day(self, day: date) -> bool:
        return self._days.is_working_day(day)

    def why_not_working(self, day: date) -> str:
        name = self._days.get(day) or "выходной"
        return "в" + name[1:] if name.startswith("Выходной") else name

    def next_working_day(self, day: date) -> date:
        return self._days.get_nth_working_day(day, 1)

    def deadline(self, event: date) -> Deadline:
        due = self.next_working_day(event)
        skipped = tuple(
            (event + timedelta(days=n), self.why_not_working(event + timedelta(days=n)))
            for n in range(1, (due - event).days)
        )
        return Deadline(event, due, skipped)

    def is_late(self, event: date, reported_on: date) -> bool:
        return reported_on > self.deadline(event).due
