"""The preview per network and the per-network texts: each press or message is one call into
bot/preview.py."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.filters import StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery, Message

from bot.ports import Action
from bot.preview import Previews
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.render import keyboard
from handlers.telegram.report import NOT_COMMAND
from handlers.telegram.states import EditorDialog
from storage.models import Person

router = Router(name="preview")
router.message.filter(PRIVATE)

PREVIEW_ACTIONS = {Action.preview, Action.accept_fit, Action.network_text, Action.common_text}


@router.callback_query(DeskCB.filter(F.action.in_(PREVIEW_ACTIONS)))
async def on_preview(
    query: CallbackQuery,
    callback_data: DeskCB,
    previews: Previews,
    person: Person,
    state: FSMContext,
) -> None:
    post_id, arg, message = callback_data.ref, callback_data.arg, query.message
    match callback_data.action:
        case Action.preview:
            for card in await previews.show(post_id, person):
                await message.answer(card.text, reply_markup=keyboard(card))
        case Action.accept_fit:
            card = await previews.accept(post_id, person, arg)
            await message.edit_text(card.text, reply_markup=keyboard(card))
        case Action.network_text:
            card = await previews.start_text(post_id, person, arg)
            await state.set_state(EditorDialog.network_text)
            await state.update_data(post_id=post_id, network=arg)
            await message.answer(card.text)
        case Action.common_text:
            card = await previews.common_text(post_id, person, arg)
            await message.edit_text(card.text, reply_markup=keyboard(card))
    await query.answer()


@router.message(StateFilter(EditorDialog.network_text), HAS_TEXT, NOT_COMMAND)
async def network_text(
    message: Message, state: FSMContext, previews: Previews, person: Person
) -> None:
    data = await state.get_data()
    card = await previews.set_text(data["post_id"], person, data["network"], message.text)
    await state.clear()
    await message.answer(card.text, reply_markup=keyboard(card))


@router.message(StateFilter(EditorDialog.network_text), NOT_COMMAND)
async def need_text(message: Message) -> None:
    await message.answer("Пришлите, пожалуйста, текстом. Прервать: /cancel")
