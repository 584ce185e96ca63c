"""Editors' buttons on publishing outcomes: «Повторить» for one network, and «Да, вышло» /
«Опубликовать снова» on «Возможно, опубликовано». Each press is one call into the outbox."""

from __future__ import annotations

from aiogram import F, Router
from aiogram.types import CallbackQuery

from bot.ports import Action
from bot.publishing import Outbox
from handlers.telegram.callbacks import DeskCB
from storage.models import Person

router = Router(name="publishing")

OUTCOME_ACTIONS = {Action.retry, Action.confirm_out, Action.publish_again}


@router.callback_query(DeskCB.filter(F.action.in_(OUTCOME_ACTIONS)))
async def on_outcome(
    query: CallbackQuery, callback_data: DeskCB, outbox: Outbox, person: Person
) -> None:
    post_id, network = callback_data.ref, callback_data.arg
    match callback_data.action:
        case Action.retry:
            card = await outbox.retry(post_id, person, network)
        case Action.confirm_out:
            card = await outbox.confirm_out(post_id, person, network)
        case _:
            card = await outbox.publish_again(post_id, person, network)
    # The card had the buttons: its new text says what was done, so they cannot act twice.
    await query.message.edit_text(card.text)
    await query.answer()
