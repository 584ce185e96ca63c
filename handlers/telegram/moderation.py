"""Comment moderation over Telegram: discussion-group comments in, editors' taps to the core.

Thin: each update becomes one call into bot.moderation.service.Moderation.
"""

from __future__ import annotations

import logging

from aiogram import Bot, F, Router
from aiogram.dispatcher.event.bases import SkipHandler
from aiogram.exceptions import TelegramAPIError
from aiogram.filters import Command, StateFilter
from aiogram.types import CallbackQuery, Message

from bot.domain import Role
from bot.errors import Denied
from bot.moderation.service import SHOWN_AT_ONCE, Moderation
from bot.ports import Action, Card, CardRef
from handlers.telegram.callbacks import DeskCB
from handlers.telegram.filters import GROUP, PRIVATE, Inline
from handlers.telegram.render import keyboard
from networks.telegram_comments import TelegramComments
from storage.models import Person

log = logging.getLogger(__name__)

router = Router(name="moderation")

DECISIONS = {
    Action.comment_delete: "delete",
    Action.comment_keep: "keep",
    Action.comment_ban: "ban",
    Action.comment_hide: "hide",
    Action.comment_dismiss: "dismiss",
}
MODERATION_ACTIONS = {*DECISIONS, Action.comment_restore, Action.open_comments}
LINK_HINT = ("vk.com/wall", "t.me/")


class TelegramRoom:
    """Sends cards to a group chat (the editors' moderation chat)."""

    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send_to(self, chat: str, card: Card) -> CardRef | None:
        kind, _, chat_id = chat.partition(":")
        if kind != "tg":
            return None
        try:
            sent = await self._bot.send_message(
                int(chat_id), card.text, reply_markup=keyboard(card)
            )
        except TelegramAPIError as exc:
            log.warning("could not post to the moderation chat %s: %s", chat_id, exc)
            return None
        return CardRef(f"tg:{sent.chat.id}", sent.message_id)


@router.message(GROUP)
async def discussion_comment(
    message: Message, moderation: Moderation, tg_comments: TelegramComments
) -> None:
    incoming = tg_comments.from_message(message)
    if incoming is not None:
        await moderation.ingest([incoming])


@router.edited_message(GROUP)
async def discussion_edit(
    message: Message, moderation: Moderation, tg_comments: TelegramComments
) -> None:
    incoming = tg_comments.from_message(message)
    if incoming is not None:
        await moderation.edited(incoming)


@router.callback_query(DeskCB.filter(F.action.in_(MODERATION_ACTIONS)))
async def on_button(
    query: CallbackQuery, callback_data: DeskCB, moderation: Moderation, person: Person
) -> None:
    if not Role(person.role).can_edit():  # before the answer below: the refusal is the answer
        raise Denied("Решать судьбу комментариев могут только редакторы пресс-службы.")
    action, comment_id = callback_data.action, callback_data.ref
    if action == Action.open_comments:
        if not person.active or not Role(person.role).can_edit():  # checked before any answer
            raise Denied("Комментарии на проверке открывают только редакторы пресс-службы.")
        await query.answer()
        await send_waiting(query.message, moderation, person)
        return
    if action == Action.comment_restore:
        answer = await moderation.restore(comment_id, person)
    else:
        answer = await moderation.decide(comment_id, person, DECISIONS[action])
    await query.answer(answer)


@router.message(Command("comments"), PRIVATE)
async def comments_command(message: Message, moderation: Moderation, person: Person) -> None:
    await send_waiting(message, moderation, person)


@router.message(
    PRIVATE,
    StateFilter(None),
    Inline(F.text.func(lambda text: any(hint in text for hint in LINK_HINT))),
)
async def comment_link(message: Message, moderation: Moderation, person: Person | None) -> None:
    """An editor sends a link to a comment the bot missed; anything else goes on to others."""
    if person is None or not Role(person.role).can_edit() or (message.text or "").startswith("/"):
        raise SkipHandler  # not an editor, or a command (/forget <link>): for other handlers
    found = await moderation.from_link(person, message.text)
    if found is None:
        await message.answer(
            "По этой ссылке я не нашёл комментария под публикациями администрации. "
            "Пришлите ссылку на сам комментарий (в ВКонтакте — «Скопировать ссылку» у комментария)."
        )
        return
    comment_id, card = found
    sent = await message.answer(card.text, reply_markup=keyboard(card))
    await moderation.remember_card(comment_id, CardRef(f"tg:{sent.chat.id}", sent.message_id))


async def send_waiting(message: Message, moderation: Moderation, person: Person) -> None:
    waiting = await moderation.waiting(person)
    if not waiting:
        await message.answer("Комментариев, ждущих решения, нет.")
        return
    if len(waiting) > SHOWN_AT_ONCE:
        await message.answer(
            f"Всего {len(waiting)}, показываю первые {SHOWN_AT_ONCE}, самые старые."
        )
    for comment_id, card in waiting[:SHOWN_AT_ONCE]:
        sent = await message.answer(card.text, reply_markup=keyboard(card))
        await moderation.remember_card(comment_id, CardRef(f"tg:{sent.chat.id}", sent.message_id))
