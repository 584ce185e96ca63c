"""The Telegram bot's token and rights: getMe, and getChatMember of the bot in the channel, its
discussion group and the editors' moderation group (Bot API: getChatMember returns a
ChatMemberAdministrator with can_post_messages / can_delete_messages / can_restrict_members).

The bot's own token cannot be replaced from a chat: the moment @BotFather issues a new one the
old one stops, so the bot would no longer hear the message carrying it. It is changed in the
environment (PRESSDESK_TELEGRAM_TOKEN) and the desk restarted; `pressdesk doctor` then checks it.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import TelegramAPIError, TelegramNetworkError, TelegramUnauthorizedError

from bot.domain import Network
from bot.ports import AccessProblem, AccountFacts

FIX_TOKEN = (
    "Получите новый ключ у @BotFather (/mybots → бот → API Token), задайте его в переменной "
    "PRESSDESK_TELEGRAM_TOKEN и перезапустите бота."
)
CHANNEL_RIGHTS = {
    "can_post_messages": "публиковать сообщения",
    "can_edit_messages": "редактировать сообщения",
    "can_delete_messages": "удалять сообщения",
}
GROUP_RIGHTS = {
    "can_delete_messages": "удалять сообщения",
    "can_restrict_members": "блокировать участников",
}


class TelegramAccess:
    network = Network.telegram
    token = "telegram"
    title = "Telegram: ключ бота"
    rotatable = False

    def __init__(
        self,
        bot: Bot,
        channel_id: int | str,
        moderation_chat_id: int = 0,
        comments: bool = True,
        timeout: float = 20,
    ) -> None:
        self._bot = bot
        self._channel_id = channel_id
        self._moderation_chat_id = moderation_chat_id
        self._comments = comments
        self._timeout = timeout

    async def check_access(self) -> list[AccessProblem]:
        try:
            async with asyncio.timeout(self._timeout):
                return await self._check()
        except TelegramUnauthorizedError:
            return [
                AccessProblem(
                    "ключ бота больше не действует (отозван или заменён)", FIX_TOKEN, True
                )
            ]
        except (TelegramNetworkError, TimeoutError):
            return [
                AccessProblem(
                    "Telegram не ответил на проверку",
                    "Проверьте доступ сервера к api.telegram.org и повторите проверку позже.",
                )
            ]

    async def _check(self) -> list[AccessProblem]:
        me = await self._bot.me()
        problems: list[AccessProblem] = []
        if not self._channel_id:
            return problems
        try:
            channel = await self._bot.get_chat(self._channel_id)
        except TelegramAPIError:
            return [
                AccessProblem(
                    f"канал {self._channel_id} не найден или бот в нём не состоит",
                    "Проверьте [telegram] channel_id и добавьте бота в канал администратором.",
                )
            ]
        problems += await self._rights(me.id, channel.id, "канале", CHANNEL_RIGHTS)
        if self._comments:
            if channel.linked_chat_id is None:
                problems.append(
                    AccessProblem(
                        "к каналу не привязана группа обсуждения — бот не видит комментарии",
                        "В настройках канала: Обсуждение → привяжите группу и добавьте в неё "
                        "бота администратором.",
                    )
                )
            else:
                problems += await self._rights(
                    me.id, channel.linked_chat_id, "группе обсуждения", GROUP_RIGHTS
                )
        if self._moderation_chat_id:
            problems += await self._rights(me.id, self._moderation_chat_id, "группе модерации", {})
        return problems

    async def _rights(
        self, bot_id: int, chat_id: int, where: str, rights: dict[str, str]
    ) -> list[AccessProblem]:
        try:
            member = await self._bot.get_chat_member(chat_id, bot_id)
        except TelegramAPIError:
            return [AccessProblem(f"бот не состоит в {where}", f"Добавьте бота в {where}.")]
        if not rights:
            if member.status in ("left", "kicked"):
                return [AccessProblem(f"бот не состоит в {where}", f"Добавьте бота в {where}.")]
            return []
        if member.status != "administrator":
            return [
                AccessProblem(
                    f"бот не администратор в {where}",
                    f"Сделайте бота администратором в {where} с правами: "
                    + ", ".join(rights.values())
                    + ".",
                )
            ]
        missing = [text for name, text in rights.items() if not getattr(member, name, False)]
        if not missing:
            return []
        return [
            AccessProblem(
                f"у бота в {where} нет прав: " + ", ".join(missing),
                f"Настройки {where} → Администраторы → бот: включите " + ", ".join(missing) + ".",
            )
        ]

    async def describe(self) -> AccountFacts | None:
        if not self._channel_id:
            return None
        try:
            async with asyncio.timeout(self._timeout):
                chat = await self._bot.get_chat(self._channel_id)
                followers = await self._bot.get_chat_member_count(chat.id)
        except (TelegramAPIError, TimeoutError):
            return None
        url = f"https://t.me/{chat.username}" if chat.username else ""
        return AccountFacts(Network.telegram, str(chat.id), chat.title or "", url, followers)

    async def try_token(self, value: str) -> list[AccessProblem]:
        return [AccessProblem("ключ бота из чата не меняют", FIX_TOKEN, True)]

    def use_token(self, value: str) -> None:
        raise NotImplementedError("the bot's own token changes only with a restart")
