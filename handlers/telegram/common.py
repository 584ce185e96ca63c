"""Start, invites by deep link, help, cancel, the menu, and what broke unexpectedly.
(The core's refusals are answered by handlers.telegram.middlewares.Refusals.)"""

from __future__ import annotations

import logging

from aiogram import F, Router
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.fsm.context import FSMContext
from aiogram.types import ErrorEvent, KeyboardButton, Message, ReplyKeyboardMarkup

from bot import reporting
from bot.domain import Role
from bot.people import Account, PeopleService
from handlers.telegram.filters import PRIVATE, Inline
from handlers.telegram.middlewares import full_name
from storage.models import Person

log = logging.getLogger(__name__)
router = Router(name="common")
router.message.filter(PRIVATE)

MENU_REPORT = reporting.MENU_REPORT
MENU_DRAFTS = "Черновики"
MENU_QUEUE = "График публикаций"
MENU_INVITE = "Пригласить"
MENU_ANNOUNCE = reporting.MENU_ANNOUNCE
MENU_LABELS = {MENU_REPORT, MENU_DRAFTS, MENU_QUEUE, MENU_INVITE, MENU_ANNOUNCE}


def is_command(text: str | None) -> bool:
    """A command, or a menu button's text (the keyboard under the input field sends it)."""
    return bool(text) and (text.startswith("/") or text in MENU_LABELS)


def menu(person: Person) -> ReplyKeyboardMarkup:
    rows = [[KeyboardButton(text=MENU_REPORT), KeyboardButton(text=MENU_ANNOUNCE)]]
    if Role(person.role).can_edit():
        rows.append([KeyboardButton(text=MENU_DRAFTS), KeyboardButton(text=MENU_QUEUE)])
    if person.role == Role.admin:
        rows.append([KeyboardButton(text=MENU_INVITE)])
    return ReplyKeyboardMarkup(keyboard=rows, resize_keyboard=True)


def help_text(person: Person) -> str:
    lines = [
        f"Вы — {Role(person.role).title}. Что можно сделать:",
        "/report — сообщить о мероприятии",
        "/announce — анонс: рассказать о предстоящем мероприятии заранее",
    ]
    if Role(person.role).can_edit():
        lines += [
            "/drafts — черновики, ждущие решения",
            "/plan — график публикаций на неделю",
            "/queue — запланированные публикации по одной",
            "/feed — ссылка на график для календаря в телефоне",
            "/tickets — обращения жителей, ждущие ответа",
        ]
    if person.role == Role.admin:
        lines.append("/invite — пригласить сотрудника")
        lines.append("/invites — ждущие приглашения, отозвать")
        lines.append("/people — сотрудники: роль, закрыть или вернуть доступ")
        lines.append("/accounts — реестр аккаунтов, выгрузка для сайта")
        lines.append("/tokens — ключи доступа к сетям, замена")
        lines.append("/doctor — проверить ключи и права")
        lines.append("/audit — журнал действий")
        lines.append("/month — отчёт о работе за месяц")
        lines.append("/forget <ссылка на комментарий> — стереть данные жителя по его просьбе")
    lines.append("/cancel — прервать текущее действие")
    return "\n".join(lines)


@router.message(CommandStart(deep_link=True))
async def start_with_invite(
    message: Message, command: CommandObject, people: PeopleService, person: Person | None
) -> None:
    if person is not None:
        await message.answer(
            f"{reporting.ALREADY_REGISTERED}\n{help_text(person)}", reply_markup=menu(person)
        )
        return
    new = await people.accept_invite(
        command.args or "", Account("tg", message.from_user.id), full_name(message.from_user)
    )
    department = await people.department_name(new.department_id)
    await message.answer(
        f"{reporting.welcome(new, department)}\n\n{help_text(new)}", reply_markup=menu(new)
    )


@router.message(CommandStart())
async def start(message: Message, person: Person | None) -> None:
    if person is None:
        await message.answer(reporting.STRANGER)
        return
    await message.answer(
        f"Здравствуйте, {person.full_name}!\n" + help_text(person), reply_markup=menu(person)
    )


@router.message(Command("help"))
async def help_command(message: Message, person: Person) -> None:
    await message.answer(help_text(person), reply_markup=menu(person))


@router.message(Command("cancel"))
@router.message(Inline(F.text.lower() == "отмена"))
async def cancel(message: Message, state: FSMContext, person: Person) -> None:
    had_state = await state.get_state() is not None
    await state.clear()
    text = reporting.cancelled(had_state)
    await message.answer(text, reply_markup=menu(person))


@router.errors()
async def unexpected(event: ErrorEvent) -> None:
    """Anything else that broke: logged in full, and the person is not left without an answer."""
    log.error("update %s failed", event.update.update_id, exc_info=event.exception)
    text = reporting.FAILED
    update = event.update
    if update.callback_query:
        await update.callback_query.answer(text, show_alert=True)
    elif update.message and update.message.chat.type == "private":
        await update.message.answer(text)
