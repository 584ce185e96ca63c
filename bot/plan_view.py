"""The week of the plan as one chat message, readable on a phone.

The text is Telegram's HTML subset (links under network names instead of long addresses); it is
measured as Telegram does, in UTF-16 code units of the text after entity parsing, and kept under
the message limit (bot.textsize) by dropping detail (free slots first, then the tail of a long
day) rather than by cutting the text.
"""

from __future__ import annotations

import html
import re
from datetime import date

from bot.plan import LEGEND, Day, Entry, Week
from bot.textsize import TEXT_LIMIT, utf16_len
from bot.workdays import WEEKDAYS_SHORT, day_month

BUDGET = TEXT_LIMIT - 196  # room for a line the transport may add
_TAG = re.compile(r"<[^>]+>")


def visible_len(markup: str) -> int:
    """The length Telegram checks: of the text left after its HTML entities are parsed."""
    return utf16_len(html.unescape(_TAG.sub("", markup)))


def e(text: str) -> str:
    return html.escape(text, quote=False)


def entry_line(entry: Entry) -> str:
    when = f"{entry.time} " if entry.time else ""
    line = f"{when}{entry.mark} «{e(entry.title)}»"
    if entry.kind == "announced":
        who = f" ({e(entry.department)})" if entry.department else ""
        return f"{line}{who} — ждём сообщение"
    if entry.links:
        links = ", ".join(f'<a href="{html.escape(url)}">{e(t)}</a>' for t, url in entry.links)
        missing = [n for n in entry.networks if n not in {t for t, _ in entry.links}]
        return f"{line} — {links}" + (f", {e(', '.join(missing))}" if missing else "")
    if entry.networks:
        return f"{line} — {e(', '.join(entry.networks))}"
    return line


def free_line(day: Day, all_networks: int) -> str:
    parts = []
    for at, networks in day.free:
        parts.append(at if len(networks) == all_networks else f"{at} ({', '.join(networks)})")
    return "свободно: " + ", ".join(parts)


def day_title(day: date) -> str:
    return f"{WEEKDAYS_SHORT[day.weekday()]}, {day_month(day)}"


def week_text(week: Week, today: date, titles: dict[str, str], *, detail: int = 2) -> str:
    """detail 2: everything; 1: no free slots; 0: at most three lines a day."""
    head = f"<b>График публикаций</b> · {day_month(week.first)} – {day_month(week.last)}"
    lines = [head]
    distinct = {times for times in week.slots.values()}
    if len(distinct) == 1:
        lines.append(f"Слоты: {', '.join(next(iter(distinct)))}")
    else:
        lines.append(
            "Слоты: "
            + "; ".join(f"{titles.get(n, n)} {', '.join(t)}" for n, t in week.slots.items())
        )
    for day in week.days:
        mark = " · сегодня" if day.day == today else ("" if day.working else " · выходной")
        lines.append("")
        lines.append(f"<b>{day_title(day.day)}</b>{mark}")
        shown = day.entries if detail else day.entries[:3]
        lines += [entry_line(x) for x in shown]
        if len(shown) < len(day.entries):
            lines.append(f"… и ещё {len(day.entries) - len(shown)}")
        if detail == 2 and day.free and day.working:
            free = [(at, tuple(titles.get(n, n) for n in nets)) for at, nets in day.free]
            lines.append(free_line(Day(day.day, free=free), len(week.slots)))
        elif not day.entries:
            lines.append("—")
    lines += ["", LEGEND]
    return "\n".join(lines)


def week_message(week: Week, today: date, titles: dict[str, str]) -> str:
    for detail in (2, 1, 0):
        text = week_text(week, today, titles, detail=detail)
        if visible_len(text) <= BUDGET:
            return text
    return text  # three lines a day and a header always fit
