"""Last resort: damaged or outdated buttons, and messages nothing else understood."""

from __future__ import annotations

from aiogram import Router
from aiogram.types import CallbackQuery, Message

from bot.people import Account, PeopleService
from handlers.telegram.filters import PRIVATE

router = Router(name="fallback")


@router.callback_query()
async def unknown_button(query: CallbackQuery, people: PeopleService) -> None:
    # Data that no factory parses is either a very old button or a forged one: say so, keep a trace.
    await people.refuse(
        Account("tg", query.from_user.id),
        f"unknown button data {query.data!r:.80}",
        action="callback.invalid",
    )
    await query.answer(
        "Эта кнопка устарела. Откройте /drafts или /queue, чтобы увидеть актуальное.",
        show_alert=True,
    )


@router.message(PRIVATE)
async def not_understood(message: Message) -> None:
    await message.answer("Не понял. Наберите /help, чтобы увидеть, что я умею.")
