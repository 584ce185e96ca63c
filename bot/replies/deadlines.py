"""Reply deadlines counted in the office's working time: working hours of working days.

A citizen who writes on Friday evening is answered by the working hours of Monday; the Russian
holidays and moved days off come from bot/workdays.py (the `holidays` library).
"""

from __future__ import annotations

from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.workdays import WorkCalendar


def _hhmm(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


class WorkingTime:
    def __init__(self, calendar: WorkCalendar, tz: ZoneInfo, start: str, end: str) -> None:
        self._calendar = calendar
        self._tz = tz
        self._start = _hhmm(start)
        self._end = _hhmm(end)

    def _at(self, day: object, moment: time) -> datetime:
        return datetime.combine(day, moment, self._tz)  # type: ignore[arg-type]

    def next_working_moment(self, when: datetime) -> datetime:
        """`when` if it falls in working hours, else the start of the next working hours."""
        local = when.astimezone(self._tz)
        day = local.date()
        if self._calendar.is_working_day(day):
            if local < self._at(day, self._start):
                return self._at(day, self._start)
            if local < self._at(day, self._end):
                return local
        day = self._calendar.next_working_day(day)
        return self._at(day, self._start)

    def add_hours(self, when: datetime, hours: float) -> datetime:
        """The moment `hours` working hours after `when`."""
        left = timedelta(hours=hours)
        moment = self.next_working_moment(when)
        while True:
            end_of_day = self._at(moment.date(), self._end)
            if moment + left <= end_of_day:
                return moment + left
            left -= end_of_day - moment
            moment = self._at(self._calendar.next_working_day(moment.date()), self._start)

    def add_days(self, when: datetime, days: int) -> datetime:
        """The end of the working hours of the `days`-th working day after `when`'s day."""
        day = when.astimezone(self._tz).date()
        for _ in range(days):
            day = self._calendar.next_working_day(day)
        return self._at(day, self._end)
