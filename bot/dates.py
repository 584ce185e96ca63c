"""Dates and times as people in a Russian office type and read them."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
RELATIVE = {"сегодня": 0, "вчера": -1, "позавчера": -2, "завтра": 1, "послезавтра": 2}
_DATE = re.compile(r"^(\d{1,2})[./-](\d{1,2})(?:[./-](\d{2}|\d{4}))?$")
_WORD_DATE = re.compile(r"^(\d{1,2})\s+([а-яё]+)(?:\s+(\d{4}))?(?:\s*г\.?)?$")
_TIME = re.compile(r"^(\d{1,2})[:.](\d{2})(?::(\d{2}))?$")


def utcnow() -> datetime:
    return datetime.now(UTC)


def parse_date(text: str, today: date) -> date | None:
    """«сегодня», «вчера», «25.11», «25.11.2026», «25 ноября»; None when it is not a date."""
    value = _normal(text)
    if value in RELATIVE:
        return today + timedelta(days=RELATIVE[value])
    day = month = year = None
    if m := _DATE.match(value):
        day, month = int(m[1]), int(m[2])
        year = int(m[3]) if m[3] else None
    elif (m := _WORD_DATE.match(value)) and (month := _month(m[2])):
        day, year = int(m[1]), int(m[3]) if m[3] else None
    if day is None or month is None:
        return None
    if year is not None and year < 100:
        year += 2000
    try:
        if year is None:
            # «25.11» means the nearest such date not far in the future (reports are mostly past).
            guess = date(today.year, month, day)
            return (
                guess if guess <= today + timedelta(days=31) else date(today.year - 1, month, day)
            )
        return date(year, month, day)
    except ValueError:
        return None


def _month(word: str) -> int | None:
    word = word.replace("ё", "е")
    for index, name in enumerate(MONTHS, start=1):
        if word == name or (len(word) >= 3 and name.startswith(word)):
            return index
    return None


def parse_when(text: str, now: datetime, tz: ZoneInfo) -> datetime | None:
    """«завтра 10:30», «25.11 14:00», «18:00»: an aware UTC datetime, or None if unreadable."""
    local_now = now.astimezone(tz)
    parts = " ".join(text.lower().replace(",", " ").replace(" в ", " ").split()).split(" ")
    if not parts or not (m := _TIME.match(parts[-1])):
        return None
    hour, minute, second = int(m[1]), int(m[2]), int(m[3] or 0)
    if hour > 23 or minute > 59 or second > 59:
        return None
    day_text = " ".join(parts[:-1])
    if day_text:
        day = _parse_future_date(day_text, local_now.date())
        if day is None:
            return None
    else:
        day = local_now.date()
        if time(hour, minute, second) <= local_now.time():
            day += timedelta(days=1)
    return datetime.combine(day, time(hour, minute, second), tzinfo=tz).astimezone(UTC)


def _parse_future_date(text: str, today: date) -> date | None:
    """The day a time is planned for. «25.11» with no year is the nearest 25 November: in
    December that is next year's, but a day of the last half year is just past (and refused
    by the caller), never moved a year ahead; «вчера» and a written year mean what they say."""
    value = parse_date(text, today)
    if value is None or value >= today or _has_year(text) or _normal(text) in RELATIVE:
        return value
    try:
        this_year = value.replace(year=today.year)
        if this_year < today - timedelta(days=183):
            return this_year.replace(year=today.year + 1)
    except ValueError:  # 29 February
        return None
    return this_year


def _normal(text: str) -> str:
    return " ".join(text.lower().replace("ё", "е").split()).strip(" .")


def _has_year(text: str) -> bool:
    value = _normal(text)
    m = _DATE.match(value) or _WORD_DATE.match(value)
    return bool(m and m[3])


def human_date(day: date, today: date) -> str:
    delta = (day - today).days
    for word, offset in RELATIVE.items():
        if delta == offset and word in ("сегодня", "вчера", "завтра"):
            return word
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year} г."


def human_when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """«сегодня в 18:00», «завтра в 09:00», «25 ноября в 14:00»."""
    local = moment.astimezone(tz)
    return f"{human_date(local.date(), now.astimezone(tz).date())} в {local:%H:%M}"


def calendar_date(day: date, today: date) -> str:
    """«27 ноября», «27 ноября 2025 г.»: for texts that stay in a chat, where «вчера» would be
    wrong by tomorrow."""
    text = f"{day.day} {MONTHS[day.month - 1]}"
    return text if day.year == today.year else f"{text} {day.year} г."


def calendar_when(moment: datetime, now: datetime, tz: ZoneInfo) -> str:
    """«2 декабря в 10:30», for cards that stay in a chat."""
    local = moment.astimezone(tz)
    return f"{calendar_date(local.date(), now.astimezone(tz).date())} в {local:%H:%M}"


def stamp(moment: datetime, tz: ZoneInfo) -> str:
    """A decision's time on a card: «28 ноября 16:05»."""
    local = moment.astimezone(tz)
    return f"{local.day} {MONTHS[local.month - 1]} {local:%H:%M}"
