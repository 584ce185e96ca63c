"""/drafts and /queue: what waits for a decision and what is scheduled."""

from __future__ import annotations

from aiogram import Router
from aiogram.filters import Command
from aiogram.types import Message

from bot.editorial import Desk
from bot.ports import Card, CardRef
from bot.textsize import TEXT_LIMIT, fit
from handlers.notify import RoutingNotifier
from handlers.telegram.common import MENU_DRAFTS
from handlers.telegram.filters import PRIVATE, text_is
from handlers.telegram.render import keyboard
from storage.models import Person

router = Router(name="lists")
NO_DRAFTS = "Черновиков, ждущих решения, нет."
EMPTY_QUEUE = "В графике публикаций пока пусто."
router.message.filter(PRIVATE)
SHOWN_AT_ONCE = 20


async def send_cards(message: Message, cards: list[Card], desk: Desk, empty: str) -> None:
    if not cards:
        await message.answer(empty)
        return
    if len(cards) > SHOWN_AT_ONCE:
        await message.answer(f"Всего {len(cards)}, показываю первые {SHOWN_AT_ONCE}.")
    for card in cards[:SHOWN_AT_ONCE]:
        sent = await message.answer(card.text, reply_markup=keyboard(card))
        post_id = next((b.ref for row in card.buttons for b in row), 0)
        if post_id:
            await desk.remember_card(post_id, CardRef(f"tg:{sent.chat.id}", sent.message_id))


@router.message(Command("drafts"))
@router.message(text_is(MENU_DRAFTS))
async def drafts(message: Message, desk: Desk, person: Person) -> None:
    await send_cards(message, await desk.drafts(person), desk, NO_DRAFTS)


@router.message(Command("queue"))
async def queue(
    message: Message, desk: Desk, person: Person, delivery: RoutingNotifier | None = None
) -> None:
    cards = await desk.queue(person)  # checks the role first
    if delivery is not None and (waiting := await delivery.backlog_text()):
        await message.answer(fit(waiting, TEXT_LIMIT))
    await send_cards(message, cards, desk, EMPTY_QUEUE)
