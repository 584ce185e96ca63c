"""A published post's «Изменить текст» and «Удалить везде»: each press or message is one call
into bot/corrections.py."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.corrections import Corrections
from bot.ports import Action
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.render import keyboard
from handlers.telegram.report import NOT_COMMAND
from handlers.telegram.states import EditorDialog
from storage.models import Person

router = Router(name="corrections")
router.message.filter(PRIVATE)

ACTIONS = {Action.edit_published, Action.delete_published, Action.delete_confirmed}


@router.callback_query(DeskCB.filter(F.action.in_(ACTIONS)))
async def on_press(
    query: CallbackQuery,
    callback_data: DeskCB,
    corrections: Corrections,
    person: Person,
    state: FSMContext,
) -> None:
    post_id, message = callback_data.ref, query.message
    match callback_data.action:
        case Action.edit_published:
            card = await corrections.start_edit(post_id, person)
            await state.set_state(EditorDialog.published_text)
            await state.update_data(post_id=post_id)
            await message.answer(card.text)
        case Action.delete_published:
            card = await corrections.ask_delete(post_id, person)
            await message.answer(card.text, reply_markup=keyboard(card))
        case Action.delete_confirmed:
            card = await corrections.delete(post_id, person)
            await message.edit_text(card.text)  # the question loses its buttons
    await query.answer()


@router.message(StateFilter(EditorDialog.published_text), HAS_TEXT, NOT_COMMAND)
async def new_text(
    message: Message, state: FSMContext, corrections: Corrections, person: Person
) -> None:
    post_id = (await state.get_data())["post_id"]
    await state.clear()
    card = await corrections.edit(post_id, person, message.text)
    await message.answer(card.text)


@router.message(StateFilter(EditorDialog.published_text), NOT_COMMAND)
async def need_text(message: Message) -> None:
    await message.answer("Пришлите, пожалуйста, текстом. Прервать: /cancel")
