"""The MAX bot's token and its rights in the office's channel.

What it relies on (checked with the search tool):
- GET /me answers the bot itself; a token MAX does not know gets 401 (maxapi: InvalidToken).
- GET /chats/{chatId}/members/me: "the bot's membership in a group chat or channel, general
  information about it and the list of its rights" (dev.max.ru/docs-api/methods/GET/chats/
  -chatId-/members/me); the answer is a ChatMember with `is_admin` and `permissions` (maxapi's
  ChatMember and ChatPermission: write, delete_message, post_edit_delete_message, view_stats…).
- GET /chats/{chatId}: title, link, participants_count (maxapi's Chat; dev.max.ru …/GET/chats/
  -chatId-), for the registry.
NOT confirmed: which of the permissions MAX checks for posting in a channel and for deleting a
comment under a post; the check asks for `write` and for one of the deleting rights (with
moderation on), which is what the names say.

The token can be replaced from chat (/tokens): a trial bot checks the new one first; then the
shared bot's Authorization header is swapped in place, in maxapi's `headers` and in its open
aiohttp session's default headers (the session copies them when it is made), so the channel, its
comments and the dialogues all use it from their next call.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from maxapi import Bot
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts

FIX = (
    "Получите ключ бота на платформе MAX для партнёров (business.max.ru → Чат-боты → бот → "
    "Настройки), задайте его в переменной PRESSDESK_MAX_TOKEN и перезапустите бота."
)
FIX_ADMIN = (
    "Откройте канал в MAX → Настройки → Администраторы, добавьте бота администратором с правом "
    "публиковать сообщения (и удалять их, если бот модерирует комментарии)."
)
UNREACHABLE = AccessProblem(
    "MAX не ответил на проверку",
    "Проверьте доступ сервера к platform-api.max.ru и повторите проверку позже.",
)
DELETE_RIGHTS = {"delete_message", "post_edit_delete_message", "delete"}


class MaxAccess:
    network = Network.max
    token = "max_token"
    title = "MAX: ключ бота"
    rotatable = True

    def __init__(
        self,
        bot: Bot,
        chat_id: int,
        comments: bool,
        timeout: float = 20,
        make_bot: Callable[[str], Bot] | None = None,
    ) -> None:
        self._bot = bot
        self._make_bot = make_bot
        self._chat_id = chat_id
        self._comments = comments
        self._timeout = timeout

    async def check_access(self) -> list[AccessProblem]:
        return await self._guarded(self._bot)

    async def _guarded(self, bot: Bot) -> list[AccessProblem]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._check(bot)
        except InvalidToken:
            return [AccessProblem("ключ больше не действует (неверный или отозван)", FIX, True)]
        except MaxApiError as exc:
            if exc.code == 401:
                return [AccessProblem("ключ больше не действует (неверный или отозван)", FIX, True)]
            if exc.code == 404:
                return [
                    AccessProblem(
                        f"канал {self._chat_id} не найден или бот в нём не состоит",
                        "Проверьте [max] chat_id в настройках. " + FIX_ADMIN,
                        True,
                    )
                ]
            if exc.code == 403:
                return [AccessProblem("бот не состоит в канале", FIX_ADMIN, True)]
            return [UNREACHABLE if exc.code >= 500 else _refused(exc.code)]
        except (MaxConnection, TimeoutError, OSError):
            return [UNREACHABLE]

    async def _check(self, bot: Bot) -> list[AccessProblem]:
        await bot.get_me()
        member = await bot.get_me_from_chat(self._chat_id)
        rights = {str(p) for p in member.permissions or ()}
        if not (member.is_admin or member.is_owner):
            return [
                AccessProblem("бот не администратор канала — публиковать он не может", FIX_ADMIN)
            ]
        problems = []
        if "write" not in rights:
            problems.append(AccessProblem("у бота нет права публиковать сообщения", FIX_ADMIN))
        if self._comments and not rights & DELETE_RIGHTS:
            problems.append(
                AccessProblem(
                    "у бота нет права удалять сообщения (модерация комментариев)", FIX_ADMIN
                )
            )
        return problems

    async def describe(self) -> AccountFacts | None:
        try:
            async with asyncio.timeout(self._timeout):
                chat = await self._bot.get_chat_by_id(self._chat_id)
        except (InvalidToken, MaxApiError, MaxConnection, TimeoutError, OSError):
            return None
        return AccountFacts(
            Network.max,
            str(chat.chat_id),
            chat.title or str(chat.chat_id),
            chat.link or "",
            chat.participants_count,
            None,  # MAX marks verified organisations, but its Bot API does not say so
        )

    async def try_token(self, value: str) -> list[AccessProblem]:
        if self._make_bot is None:
            return [AccessProblem("ключ MAX меняется только в окружении", FIX, True)]
        trial = self._make_bot(value.strip())
        try:
            return await self._guarded(trial)
        finally:
            await trial.close_session()

    def use_token(self, value: str) -> None:
        value = value.strip()
        self._bot.headers["Authorization"] = value
        if self._bot.session is not None and not self._bot.session.closed:
            self._bot.session.headers["Authorization"] = value


def _refused(code: int) -> AccessProblem:
    return AccessProblem(f"MAX отказал в проверке ключа (ошибка {code})", FIX, True)
