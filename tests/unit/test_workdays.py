"""The reporting deadline in the Russian working calendar (holidays.RU with transfers)."""

from __future__ import annotations

from datetime import date

from bot.workdays import WorkCalendar

calendar = WorkCalendar("RU")


def test_an_ordinary_weekday_is_due_the_next_day() -> None:
    deadline = calendar.deadline(date(2026, 12, 2))  # Wednesday
    assert deadline.due == date(2026, 12, 3)
    assert deadline.skipped == ()
    assert deadline.explain().endswith("для 2 декабря это четверг, 3 декабря.")


def test_friday_is_due_on_monday_and_the_rule_is_explained() -> None:
    deadline = calendar.deadline(date(2026, 12, 4))  # Friday
    assert deadline.due == date(2026, 12, 7)
    text = deadline.explain()
    assert "не позднее следующего рабочего дня" in text
    assert "понедельник, 7 декабря" in text
    assert "5 декабря — выходной, 6 декабря — выходной" in text
    assert not calendar.is_late(date(2026, 12, 4), date(2026, 12, 7))
    assert calendar.is_late(date(2026, 12, 4), date(2026, 12, 8))


def test_a_public_holiday_moves_it_again() -> None:
    # 4 November (Unity Day) is a Wednesday in 2026: Tuesday's event is due on Thursday.
    deadline = calendar.deadline(date(2026, 11, 3))
    assert deadline.due == date(2026, 11, 5)
    assert "4 ноября — День народного единства" in deadline.explain()
    # Friday 6 March 2026: the weekend, then Monday 9 March, the day off for 8 March.
    deadline = calendar.deadline(date(2026, 3, 6))
    assert deadline.due == date(2026, 3, 10)
    assert "вторник, 10 марта" in deadline.explain()


def test_transfers_count_both_ways() -> None:
    # 31 December 2026 is a day off moved from 4 January: 30 December's event waits for
    # the end of the New Year holidays, and the explanation sums the run up.
    deadline = calendar.deadline(date(2026, 12, 30))
    assert deadline.due == date(2027, 1, 11)
    assert "с 31 декабря по 10 января — праздники и выходные" in deadline.explain()
    # Saturday 1 November 2025 was made a working day: Friday's event was due that Saturday.
    assert calendar.deadline(date(2025, 10, 31)).due == date(2025, 11, 1)
