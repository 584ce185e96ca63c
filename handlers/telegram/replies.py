"""Citizens' tickets over Telegram: the card's buttons, /tickets, and the texts people write
(an editor's reply, a department head's answer). Each becomes one call into bot.replies."""

from __future__ import annotations

from aiogram import Bot, F, Router
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.fsm.storage.base import BaseStorage, StorageKey
from aiogram.types import CallbackQuery, Message

from bot.ports import Action, Card, CardRef
from bot.replies.core import TICKET_ACTIONS as CORE_TICKET_ACTIONS
from bot.replies.core import require_editor
from bot.replies.service import Replies
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import HAS_TEXT, PRIVATE
from handlers.telegram.render import keyboard
from handlers.telegram.report import NOT_COMMAND
from handlers.telegram.states import TicketDialog
from storage.models import Person

router = Router(name="replies")

TICKET_ACTIONS = CORE_TICKET_ACTIONS | {Action.ticket_answer}  # and a head's «Ответить»
SHOWN_AT_ONCE = 20


async def private_state(
    bot: Bot, storage: BaseStorage, user_id: int, state: TicketDialog | None, ticket_id: int = 0
) -> None:
    """The dialog of the person's private chat with the bot (a button may be pressed in the
    editors' group: the text is then written privately)."""
    context = FSMContext(storage, StorageKey(bot_id=bot.id, chat_id=user_id, user_id=user_id))
    await context.set_state(state)
    await context.set_data({"ticket_id": ticket_id} if state else {})


async def show(bot: Bot, chat_id: int, card: Card, replies: Replies, ticket_id: int = 0) -> None:
    sent = await bot.send_message(chat_id, card.text, reply_markup=keyboard(card))
    if ticket_id:
        await replies.remember_card(ticket_id, CardRef(f"tg:{sent.chat.id}", sent.message_id))


@router.callback_query(DeskCB.filter(F.action.in_(TICKET_ACTIONS)))
async def on_button(
    query: CallbackQuery,
    callback_data: DeskCB,
    replies: Replies,
    person: Person,
    bot: Bot,
    fsm_storage: BaseStorage,
) -> None:
    action, ticket_id, arg = callback_data.action, callback_data.ref, callback_data.arg
    user = query.from_user.id
    if action == Action.ticket_answer:  # the department head's own button
        prompt = await replies.start_answer(ticket_id, person)
        await private_state(bot, fsm_storage, user, TicketDialog.answer, ticket_id)
        await query.answer()
        await bot.send_message(user, prompt)
        return
    require_editor(person)
    match action:
        case Action.ticket_reply | Action.ticket_edit:
            prompt = await replies.start_reply(ticket_id, person)
            await private_state(bot, fsm_storage, user, TicketDialog.reply, ticket_id)
            await query.answer("Напишите ответ в личном чате с ботом.")
            await bot.send_message(user, prompt)
        case Action.ticket_template:
            card = await replies.templates(ticket_id, person)
            await query.answer()
            await show(bot, user, card, replies)
        case Action.ticket_use:
            card = await replies.use_template(ticket_id, person, int(arg or -1))
            await query.answer("Черновик готов: проверьте и отправьте.")
            await show(bot, user, card, replies, ticket_id)
        case Action.ticket_forward:
            card = await replies.departments(ticket_id, person)
            await query.answer()
            await show(bot, user, card, replies)
        case Action.ticket_to:
            await query.answer(await replies.forward(ticket_id, person, int(arg or 0)))
        case Action.ticket_dismiss:
            await query.answer(await replies.dismiss(ticket_id, person))
        case Action.ticket_send:
            await query.answer(await replies.send(ticket_id, person))
        case Action.open_tickets:
            await query.answer()
            await send_open(bot, user, replies, person)


@router.message(Command("tickets"), PRIVATE)
async def tickets_command(message: Message, replies: Replies, person: Person, bot: Bot) -> None:
    await send_open(bot, message.chat.id, replies, person)


async def send_open(bot: Bot, chat_id: int, replies: Replies, person: Person) -> None:
    tickets = await replies.open_tickets(person)
    if not tickets:
        await bot.send_message(chat_id, "Обращений жителей, ждущих ответа, нет.")
        return
    if len(tickets) > SHOWN_AT_ONCE:
        await bot.send_message(
            chat_id, f"Всего {len(tickets)}, показываю {SHOWN_AT_ONCE} с ближайшим сроком."
        )
    for ticket_id, card in tickets[:SHOWN_AT_ONCE]:
        await show(bot, chat_id, card, replies, ticket_id)


@router.message(PRIVATE, StateFilter(TicketDialog.reply), HAS_TEXT, NOT_COMMAND)
async def reply_text(
    message: Message, state: FSMContext, replies: Replies, person: Person, bot: Bot
) -> None:
    ticket_id = (await state.get_data()).get("ticket_id", 0)
    card = await replies.set_draft(ticket_id, person, message.text or "")
    await state.clear()
    await show(bot, message.chat.id, card, replies, ticket_id)


@router.message(PRIVATE, StateFilter(TicketDialog.answer), HAS_TEXT, NOT_COMMAND)
async def answer_text(
    message: Message, state: FSMContext, replies: Replies, person: Person
) -> None:
    ticket_id = (await state.get_data()).get("ticket_id", 0)
    answer = await replies.head_answer(ticket_id, person, message.text or "")
    await state.clear()
    await message.answer(answer)
