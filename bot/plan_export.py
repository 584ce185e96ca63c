"""The plan outside the chat: an ICS calendar feed, an HTML page and an XLSX file.

ICS is built with `icalendar` (one VEVENT per item, a stable UID so a phone's calendar updates an
event instead of duplicating it); the page is a Jinja2 template (autoescaped); the workbook is
openpyxl's. All three take the same entries as the chat's week (bot/plan.py).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, select_autoescape

from bot.plan import LEGEND, Entry, Week
from bot.plan_view import day_title
from bot.workdays import day_month

KIND_TITLES = {
    "published": "вышло",
    "scheduled": "запланировано",
    "publishing": "публикуется",
    "failed": "не вышло",
    "planned": "в плане",
    "announced": "анонс, ждём сообщение",
}
_templates = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html", "j2"]),
)


def _uid(entry: Entry) -> str:
    if entry.post_id:
        return f"post-{entry.post_id}@pressdesk"
    return f"{entry.kind}-{entry.ref}@pressdesk"


def ics(entries: list[Entry], tz: ZoneInfo, name: str = "График публикаций") -> bytes:
    from icalendar import Calendar, Event  # on first use: most starts never build a feed

    calendar = Calendar()
    calendar.add("prodid", "-//pressdesk//plan//RU")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(tz))
    stamp = datetime.now(tz)
    for entry in entries:
        event = Event()
        event.add("uid", _uid(entry))
        event.add("dtstamp", stamp)
        summary = f"{entry.mark} {entry.title}"
        if entry.networks:
            summary += f" ({', '.join(entry.networks)})"
        event.add("summary", summary)
        if entry.time:
            start = datetime.combine(entry.day, datetime.strptime(entry.time, "%H:%M").time(), tz)
            event.add("dtstart", start)
            event.add("dtend", start + timedelta(minutes=30))
        else:
            event.add("dtstart", entry.day)
            event.add("dtend", entry.day + timedelta(days=1))
        lines = [KIND_TITLES.get(entry.kind, entry.kind)]
        if entry.department:
            lines.append(entry.department)
        lines += [f"{title}: {url}" for title, url in entry.links]
        event.add("description", "\n".join(lines))
        if entry.links:
            event.add("url", entry.links[0][1])
        calendar.add_component(event)
    # RFC 5545 wants a VTIMEZONE for every TZID used; phones' calendars rely on it.
    calendar.add_missing_timezones()
    return calendar.to_ical()


def html_page(week: Week, titles: dict[str, str], nav: list[tuple[str, str]] = ()) -> str:
    days = []
    for day in week.days:
        free = ""
        if day.free and day.working:
            parts = [
                at
                if len(nets) == len(week.slots)
                else f"{at} ({', '.join(titles.get(n, n) for n in nets)})"
                for at, nets in day.free
            ]
            free = "свободно: " + ", ".join(parts)
        days.append(
            {
                "title": day_title(day.day),
                "working": day.working,
                "entries": day.entries,
                "free_text": free,
            }
        )
    slots = "; ".join(f"{titles.get(n, n)}: {', '.join(t)}" for n, t in week.slots.items())
    return _templates.get_template("plan.html.j2").render(
        first=day_month(week.first),
        last=day_month(week.last),
        days=days,
        slots=slots,
        legend=LEGEND,
        nav=list(nav),
    )


def xlsx(entries: list[Entry], first: date, last: date) -> bytes:
    from openpyxl import Workbook  # on first use, as above
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = "График"
    sheet.append([f"График публикаций: {day_month(first)} – {day_month(last)} {last.year}"])
    sheet["A1"].font = Font(bold=True, size=13)
    header = ["Дата", "День", "Время", "Что", "Состояние", "Сети", "Подразделение", "Ссылки"]
    sheet.append(header)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
    for entry in entries:
        sheet.append(
            [
                entry.day,
                day_title(entry.day).split(",")[0],
                entry.time or "весь день",
                entry.title,
                KIND_TITLES.get(entry.kind, entry.kind),
                ", ".join(entry.networks),
                entry.department,
                " ".join(url for _, url in entry.links),
            ]
        )
        sheet.cell(sheet.max_row, 1).number_format = "DD.MM.YYYY"
    for column, width in zip("ABCDEFGH", (12, 6, 10, 48, 22, 26, 26, 48), strict=True):
        sheet.column_dimensions[column].width = width
    sheet.freeze_panes = "A3"
    out = BytesIO()
    book.save(out)
    return out.getvalue()
