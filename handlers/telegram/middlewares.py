"""Who is writing: the registered person reaches handlers as `person`; strangers stop here.
And what goes out: no request leaves before the dialog state it follows is on disk."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiogram import BaseMiddleware, Bot
from aiogram.client.default import Default
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.methods import (
    EditMessageCaption,
    EditMessageText,
    GetUpdates,
    SendMediaGroup,
    SendMessage,
    TelegramMethod,
)
from aiogram.methods.base import Response, TelegramType
from aiogram.types import Chat, TelegramObject, Update, User

from bot.access import FloodGuard
from bot.errors import Denied, DeskError
from bot.people import Account, PeopleService
from bot.reporting import CLOSED, STRANGER
from bot.textsize import CAPTION_LIMIT, TEXT_LIMIT, fit, utf16_len
from storage.fsm import DatabaseStorage

FLOOD = "Слишком много сообщений подряд. Подождите минуту и повторите, пожалуйста."


def full_name(user: User) -> str:
    return " ".join(x for x in (user.first_name, user.last_name) if x) or (user.username or "")


class PersonMiddleware(BaseMiddleware):
    def __init__(self, people: PeopleService, flood: FloodGuard | None = None) -> None:
        self.people = people
        self.flood = flood

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        user: User | None = data.get("event_from_user")
        chat: Chat | None = data.get("event_chat")
        if user is None or not isinstance(event, Update):
            return await handler(event, data)
        account = Account("tg", user.id)
        person = await self.people.identify(account, full_name(user))
        data["person"] = person
        if (
            person is not None
            and self.flood is not None
            and chat is not None
            and chat.type == "private"
        ):
            allowed, tell = self.flood.allow(account.ref)
            if not allowed:
                if tell:
                    await self.people.refuse(account, "flood", action="access.flood")
                if event.callback_query:
                    await event.callback_query.answer(FLOOD, show_alert=True)
                elif tell and event.message:
                    await event.message.answer(FLOOD)
                return None
        # Strangers may still be read in groups (comments under posts), but never press buttons.
        in_group = chat is None or chat.type != "private"
        if person is not None or (in_group and event.callback_query is None):
            return await handler(event, data)
        if event.message and (event.message.text or "").startswith("/start "):
            return await handler(event, data)  # an invite link is the one way in
        await self.people.refuse(account, what=event.event_type)
        text = CLOSED if await self.people.was_closed(account) else STRANGER
        if event.callback_query:
            await event.callback_query.answer(text, show_alert=True)
        elif event.message:
            await event.message.answer(text)
        return None


class Refusals(BaseMiddleware):
    """The core's refusals reach the person in Russian; denials also go to the audit log.

    A middleware inside aiogram's per-chat lock, not an error handler: error handlers run
    after the lock is released, so a slow audit write let the person's next message be
    answered before the refusal of the one before it."""

    def __init__(self, people: PeopleService) -> None:
        self.people = people

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        try:
            return await handler(event, data)
        except DeskError as error:
            if not isinstance(event, Update):
                raise
            query, message = event.callback_query, event.message
            if isinstance(error, Denied) and (query or message):
                user = (query or message).from_user
                await self.people.refuse(
                    Account("tg", user.id), error.message, action="access.denied"
                )
            if query:
                await query.answer(error.message, show_alert=True)
            elif message:
                await message.answer(error.message)
            return None


class StateOnDiskFirst(BaseRequestMiddleware):
    """Before the bot says anything, the dialog steps written so far are committed.

    A restart can then never leave a person answering a question whose step was not saved,
    and the writes of one step (state, data) share one commit instead of one each."""

    def __init__(self, storage: DatabaseStorage) -> None:
        self.storage = storage

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if not isinstance(method, GetUpdates):
            await self.storage.flushed()
        return await make_request(bot, method)


log = logging.getLogger(__name__)


def _plain(obj: Any, bot: Bot) -> bool:
    """Cut only plain text: a cut through markup would break its entities."""
    mode = getattr(obj, "parse_mode", None)
    if isinstance(mode, Default):
        mode = bot.default[mode.name]
    return mode is None and not (
        getattr(obj, "entities", None) or getattr(obj, "caption_entities", None)
    )


def _fit_field(obj: Any, name: str, limit: int, bot: Bot) -> None:
    value = getattr(obj, name, None)
    if isinstance(value, str) and utf16_len(value) > limit and _plain(obj, bot):
        log.warning(
            "%s: %s of %d UTF-16 units cut to %d", type(obj).__name__, name, utf16_len(value), limit
        )
        setattr(obj, name, fit(value, limit))


class FitText(BaseRequestMiddleware):
    """The last guard on length: a text or caption over Telegram's limit (UTF-16 units) is cut
    with «…» rather than refused, so a person gets the message. Builders fit their texts
    first (bot.textsize); this catches what they missed, and says so in the log."""

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, SendMessage | EditMessageText):
            _fit_field(method, "text", TEXT_LIMIT, bot)
        elif isinstance(method, SendMediaGroup):
            for item in method.media:
                _fit_field(item, "caption", CAPTION_LIMIT, bot)
        elif isinstance(method, EditMessageCaption) or hasattr(method, "caption"):
            _fit_field(method, "caption", CAPTION_LIMIT, bot)
        return await make_request(bot, method)
