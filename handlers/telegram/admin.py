"""/people and /audit: the administrator sees who has access, closes it, and reads the audit log."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command, CommandObject
from aiogram.filters.callback_data import CallbackData
from aiogram.types import (
    BufferedInputFile,
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
)

from bot.dates import stamp
from bot.domain import Role
from bot.journal import Journal, parse_filter
from bot.people import PeopleService
from handlers.telegram.filters import PRIVATE
from storage.models import Person

router = Router(name="admin")
router.message.filter(PRIVATE)
AUDIT_HELP = (
    "Фильтры: /audit Петрова — по человеку, /audit 25.11 или /audit 20.11-25.11 — по дате, "
    "/audit публикация 2 — по объекту; /audit csv — файл для таблицы (с теми же фильтрами)."
)


class RevokeCB(CallbackData, prefix="p1"):
    person: int


async def people_card(people: PeopleService, actor: Person) -> tuple[str, InlineKeyboardMarkup]:
    rows, lines = [], ["С доступом к боту:"]
    for person, department in await people.people(actor):
        where = "Telegram" if person.telegram_id else "ВКонтакте"
        unit = f", {department}" if department else ""
        lines.append(f"• {person.full_name} — {Role(person.role).title}{unit} ({where})")
        if person.id != actor.id:
            data = RevokeCB(person=person.id).pack()
            label = f"Закрыть доступ: {person.full_name}"
            rows.append([InlineKeyboardButton(text=label, callback_data=data)])
    lines.append("\nНовых сотрудников приглашайте командой /invite.")
    return "\n".join(lines), InlineKeyboardMarkup(inline_keyboard=rows)


@router.message(Command("people"))
async def list_people(message: Message, people: PeopleService, person: Person) -> None:
    text, markup = await people_card(people, person)
    await message.answer(text, reply_markup=markup)


@router.callback_query(RevokeCB.filter())
async def revoke(
    query: CallbackQuery, callback_data: RevokeCB, people: PeopleService, person: Person
) -> None:
    gone = await people.revoke(person, callback_data.person)
    text, markup = await people_card(people, person)
    await query.message.edit_text(
        f"Доступ закрыт: {gone.full_name}.\n\n{text}", reply_markup=markup
    )
    await query.answer()


@router.message(Command("audit"))
async def audit_log(
    message: Message, command: CommandObject, journal: Journal, person: Person
) -> None:
    args = (command.args or "").strip()
    as_file = args.lower().split()[:1] == ["csv"]
    if as_file:
        args = args[3:].strip()
    today = message.date.astimezone(journal.tz).date()
    where = parse_filter(args, today, journal.tz)
    if as_file:
        data = await journal.csv(person, where)
        await journal.exported(person)
        await message.answer_document(
            BufferedInputFile(data, filename="журнал-действий.csv"),
            caption="Журнал действий" + (" (с фильтром)" if not where.empty else ""),
        )
        return
    head = "Журнал действий (последние записи):" if where.empty else "Журнал действий, по фильтру:"
    lines: list[str] = []
    room = MESSAGE_ROOM - _utf16(head + AUDIT_HELP)
    for e in await journal.entries(person, where):  # newest first: the oldest are cut
        line = f"{stamp(e.at, journal.tz)} · {e.text}"
        room -= _utf16(line) + 1
        if room < 0:
            break
        lines.append(line)
    body = "\n".join(reversed(lines)) if lines else "Записей нет."
    await message.answer(f"{head}\n{body}\n\n{AUDIT_HELP}")


MESSAGE_ROOM = 4000  # of Telegram's 4096 UTF-16 units


def _utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2
