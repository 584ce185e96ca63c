"""/report: a department head tells about an event, step by step (aiogram FSM).

This router asks the questions and takes the summary's buttons; the attachments step is
handlers/telegram/report_media.py, the questions, keyboards and summary report_dialog.py."""

from __future__ import annotations

import asyncio

from aiogram import Bot, F, Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import reporting
from bot.editorial import Desk
from bot.errors import Invalid
from handlers.telegram.callbacks import ReportCB
from handlers.telegram.common import MENU_REPORT, menu
from handlers.telegram.filters import HAS_TEXT, PRIVATE, text_is
from handlers.telegram.report_dialog import (
    CHANGE_BUTTONS,
    DATE_KEYBOARD,
    NOT_COMMAND,
    PROMPTS,
    RESTART_BUTTONS,
    ResumeAfterCommand,
    ask,
    next_step,
    resume,
)
from handlers.telegram.report_media import attachment_of, kept
from handlers.telegram.states import ReportDialog
from storage.models import Person

__all__ = ["NOT_COMMAND", "ResumeAfterCommand", "ask", "attachment_of", "rest", "router"]

router = Router(name="report")
router.message.filter(PRIVATE)
# What answers anything else in the dialog (a stale button, a file where text is asked): after
# report_media.router, which comes after this one (handlers/telegram/__init__.py).
rest = Router(name="report_rest")
rest.message.filter(PRIVATE)


@router.message(Command("report"))
@router.message(text_is(MENU_REPORT))
async def start_report(message: Message, state: FSMContext, person: Person) -> None:
    """A new report; one half filled in is not thrown away without asking."""
    if await state.get_state() in ReportDialog.__all_states_names__:
        if reporting.is_half_filled(await state.get_data()):
            await message.answer(
                reporting.restart_question(await state.get_data()), reply_markup=RESTART_BUTTONS
            )
            return
    await state.clear()
    await ask(message, state, "title", person)


@router.callback_query(StateFilter(ReportDialog), ReportCB.filter(F.step == "restart"))
async def restart_or_resume(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, desk: Desk, person: Person
) -> None:
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    if callback_data.arg == "yes":
        await state.clear()
        await ask(query.message, state, "title", person)
    else:
        await resume(query.message, state, desk, person)


@router.message(StateFilter(ReportDialog.title), HAS_TEXT, NOT_COMMAND)
async def got_title(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(title=reporting.title(message.text))
    await next_step(message, state, "date", desk, person)


async def set_date(
    message: Message, state: FSMContext, text: str, desk: Desk, person: Person
) -> None:
    try:
        event_date = reporting.event_date(text, desk.today())
    except Invalid as exc:
        await message.answer(exc.message, reply_markup=DATE_KEYBOARD)
        return
    await state.update_data(date=event_date.isoformat())
    if (await state.get_data()).get("changing"):
        # The summary's buttons can't bring the menu back: this short line does.
        line = reporting.date_line(event_date, desk.today())
        await message.answer(line, reply_markup=menu(person))
    await next_step(message, state, "place", desk, person)


@router.message(StateFilter(ReportDialog.date), HAS_TEXT, NOT_COMMAND)
async def got_date(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await set_date(message, state, message.text, desk, person)


@router.callback_query(StateFilter(ReportDialog.date), ReportCB.filter(F.step == "date"))
async def pressed_date(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, desk: Desk, person: Person
) -> None:
    """The inline date buttons of questions sent before the update to the keyboard ones."""
    await query.answer()
    await set_date(query.message, state, callback_data.arg, desk, person)


@router.message(StateFilter(ReportDialog.place), HAS_TEXT, NOT_COMMAND)
async def got_place(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(place=reporting.place(message.text))
    await next_step(message, state, "description", desk, person)


@router.message(StateFilter(ReportDialog.description), HAS_TEXT, NOT_COMMAND)
async def got_description(message: Message, state: FSMContext, desk: Desk, person: Person) -> None:
    await state.update_data(description=message.text.strip())
    await next_step(message, state, "media", desk, person)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "change"))
async def change(query: CallbackQuery, state: FSMContext) -> None:
    await query.answer()
    await state.update_data(asked_change=True)
    await query.message.answer(reporting.ASK_CHANGE, reply_markup=CHANGE_BUTTONS)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "goto"))
async def change_field(
    query: CallbackQuery, callback_data: ReportCB, state: FSMContext, person: Person
) -> None:
    await query.answer()
    if callback_data.arg not in PROMPTS:
        return
    await state.update_data(**reporting.change(callback_data.arg))
    await ask(query.message, state, callback_data.arg, person)


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "cancel"))
async def cancel_report(query: CallbackQuery, state: FSMContext, person: Person) -> None:
    await state.clear()
    await query.answer()
    await query.message.edit_reply_markup(reply_markup=None)
    await query.message.answer(reporting.CANCELLED, reply_markup=menu(person))


@router.callback_query(StateFilter(ReportDialog.confirm), ReportCB.filter(F.step == "send"))
async def send_report(
    query: CallbackQuery, state: FSMContext, person: Person, desk: Desk, bot: Bot
) -> None:
    # Telegram shows the button busy until the query is answered: that is the feedback while
    # the report is saved, and the answer goes out together with the receipt (or, on a
    # refusal, with the reason, from the errors handler).
    data = await state.get_data()
    media = [await kept(desk, bot, m) for m in data.get("media", [])]
    result = await desk.submit_report(person, reporting.report_input(data, media))
    await state.clear()
    await state.set_data({"sent": result.report_id})  # a second tap hears it went already
    # The summary itself becomes the receipt: the number and status above what was sent, and
    # no buttons left to press twice. The menu keyboard is back since the question after the
    # date (or the «Дата: …» line).
    receipt = reporting.receipt(result, data, desk.today())
    await asyncio.gather(bot(query.answer()), show_receipt(query.message, receipt, person))


async def show_receipt(summary: Message, receipt: str, person: Person) -> None:
    try:
        await summary.edit_text(receipt, reply_markup=None)
    except TelegramBadRequest:  # the summary was deleted meanwhile
        await summary.answer(receipt, reply_markup=menu(person))


@rest.callback_query(ReportCB.filter())
async def stale_report_button(query: CallbackQuery, state: FSMContext) -> None:
    step = (await state.get_state() or "").partition(":")[2] or None
    if step not in (*PROMPTS, "confirm"):
        step = None
    text = reporting.stale_button(step, await state.get_data())
    await query.answer(text, show_alert=True)


@rest.message(
    StateFilter(ReportDialog.title, ReportDialog.date, ReportDialog.place),
    NOT_COMMAND,
)
@rest.message(StateFilter(ReportDialog.description), NOT_COMMAND)
async def need_text(message: Message) -> None:
    await message.answer(f"{reporting.NEED_TEXT} Прервать: /cancel")


@rest.message(StateFilter(ReportDialog.confirm), NOT_COMMAND)
async def waiting_confirm(message: Message, state: FSMContext) -> None:
    await message.answer(reporting.waiting_confirm(await state.get_data()))
