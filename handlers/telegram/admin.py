"""/people and /audit: the administrator sees who has access, closes it, and reads the audit log."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery, InlineKeyboardButton, InlineKeyboardMarkup, Message

from bot.dates import stamp
from bot.domain import Role
from bot.people import PeopleService
from handlers.telegram.filters import PRIVATE
from storage.models import Person

router = Router(name="admin")
router.message.filter(PRIVATE)


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
async def audit_log(message: Message, people: PeopleService, person: Person) -> None:
    tz = people.timezone
    lines = [
        f"{stamp(line.at, tz)} · {who} · {line.action} {line.object_ref}".rstrip()
        for line, who in await people.recent_audit(person)
    ]
    await message.answer("Журнал действий (последние записи):\n" + "\n".join(lines or ["пусто"]))
