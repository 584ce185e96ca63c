from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.dates import human_date, human_when, parse_date, parse_when

TOMSK = ZoneInfo("Asia/Tomsk")
TODAY = date(2026, 11, 28)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("сегодня", date(2026, 11, 28)),
        ("Вчера", date(2026, 11, 27)),
        ("25.11", date(2026, 11, 25)),
        ("25.11.2026", date(2026, 11, 25)),
        ("25.11.25", date(2025, 11, 25)),
        ("3 декабря", date(2026, 12, 3)),
        ("25 ноября 2025", date(2025, 11, 25)),
        ("28.02", date(2026, 2, 28)),
    ],
)
def test_event_dates_as_people_write_them(text: str, expected: date) -> None:
    assert parse_date(text, TODAY) == expected


@pytest.mark.parametrize("text", ["позже", "31.02", "32.01", "", "25/13"])
def test_unreadable_dates(text: str) -> None:
    assert parse_date(text, TODAY) is None


def test_a_date_far_ahead_without_year_means_last_year() -> None:
    assert parse_date("20.12", date(2026, 1, 5)) == date(2025, 12, 20)


def test_typed_times_are_local_and_in_the_future() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)  # 17:00 in Tomsk
    assert parse_when("завтра 09:00", now, TOMSK) == datetime(2026, 11, 29, 2, 0, tzinfo=UTC)
    assert parse_when("18:00", now, TOMSK) == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert parse_when("16:00", now, TOMSK) == datetime(2026, 11, 29, 9, 0, tzinfo=UTC)
    assert parse_when("25.01 14:00", now, TOMSK).year == 2027
    assert parse_when("сегодня в 18:30", now, TOMSK) == datetime(2026, 11, 28, 11, 30, tzinfo=UTC)
    assert parse_when("когда-нибудь", now, TOMSK) is None
    assert parse_when("25:00", now, TOMSK) is None


@pytest.mark.parametrize("text", ["вчера 10:00", "30.11 10:00", "25.11 14:00", "30 ноября 10:00"])
def test_a_time_just_past_stays_in_the_past(text: str) -> None:
    """On 1 December «30.11 10:00» is yesterday (refused as past), not 30 November next year."""
    now = datetime(2026, 12, 1, 5, 0, tzinfo=UTC)  # 12:00 in Tomsk
    moment = parse_when(text, now, TOMSK)
    assert moment is not None and moment < now and moment.year == 2026


def test_human_times() -> None:
    now = datetime(2026, 11, 28, 10, 0, tzinfo=UTC)
    assert human_when(datetime(2026, 11, 29, 2, 0, tzinfo=UTC), now, TOMSK) == "завтра в 09:00"
    assert human_date(date(2026, 11, 25), TODAY) == "25 ноября"
    assert human_date(date(2025, 11, 25), TODAY) == "25 ноября 2025 г."
