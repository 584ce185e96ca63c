"""«Анонс»: a head tells about an upcoming event; «Сообщить сейчас» and «Напомнить» buttons.

The words and rules are the core's (bot/duty.py); this router only collects three answers.
"""

from __future__ import annotations

from datetime import date

from aiogram import F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot import reporting
from bot.duty import ASK_DATE, ASK_PLACE, ASK_TITLE, Duty
from bot.errors import Invalid
from bot.ports import Action
from handlers.telegram import report
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.common import MENU_ANNOUNCE, menu
from handlers.telegram.filters import HAS_TEXT, PRIVATE, text_is
from handlers.telegram.states import AnnounceDialog
from storage.models import Person

router = Router(name="announce")
router.message.filter(PRIVATE)


@router.message(Command("announce"))
@router.message(text_is(MENU_ANNOUNCE))
async def start(message: Message, state: FSMContext) -> None:
    await state.clear()
    await state.set_state(AnnounceDialog.title)
    await message.answer(ASK_TITLE)


@router.message(StateFilter(AnnounceDialog.title), HAS_TEXT)
async def got_title(message: Message, state: FSMContext) -> None:
    await state.update_data(title=reporting.title(message.text))
    await state.set_state(AnnounceDialog.date)
    await message.answer(ASK_DATE)


@router.message(StateFilter(AnnounceDialog.date), HAS_TEXT)
async def got_date(message: Message, state: FSMContext, duty: Duty) -> None:
    try:
        when = duty.event_date(message.text)
    except Invalid as exc:
        await message.answer(exc.message)
        return
    await state.update_data(date=when.isoformat())
    await state.set_state(AnnounceDialog.place)
    await message.answer(ASK_PLACE)


@router.message(StateFilter(AnnounceDialog.place), HAS_TEXT)
async def got_place(message: Message, state: FSMContext, duty: Duty, person: Person) -> None:
    data = await state.get_data()
    card = await duty.announce(
        person, data["title"], date.fromisoformat(data["date"]), message.text
    )
    await state.clear()
    await message.answer(card.text, reply_markup=menu(person))


@router.message(StateFilter(AnnounceDialog))
async def need_text(message: Message) -> None:
    await message.answer(f"{reporting.NEED_TEXT} Прервать: /cancel")


@router.callback_query(DeskCB.filter(F.action == Action.report_now))
async def report_now(
    query: CallbackQuery, callback_data: DeskCB, state: FSMContext, duty: Duty, person: Person
) -> None:
    """The reminder's button: the report dialog with the announcement's answers filled in."""
    answers = await duty.report_now(callback_data.ref, person)
    await state.clear()
    await state.update_data(**answers)
    await query.answer()
    await query.message.answer(f"«{answers['title']}» — осталось немного.")
    await report.ask(query.message, state, "description", person)


@router.callback_query(DeskCB.filter(F.action == Action.remind))
async def remind(query: CallbackQuery, callback_data: DeskCB, duty: Duty, person: Person) -> None:
    await query.answer(await duty.remind_now(callback_data.ref, person), show_alert=True)
