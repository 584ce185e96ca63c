"""Comments under the Telegram channel's posts: replies in the linked discussion group.

The channel's post reaches the group as an automatic forward; comments are replies to it
(or to each other, in its thread). The bot must be an admin of the group with privacy off.
Telegram lets a bot delete only messages younger than 48 hours and keeps no history a bot
could re-read, so there is no catch-up here.
"""

from __future__ import annotations

import logging
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.exceptions import ClientDecodeError, TelegramAPIError, TelegramBadRequest
from aiogram.types import Message, MessageOriginChannel

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed

log = logging.getLogger(__name__)

DELETE_WINDOW = timedelta(hours=48)
PUBLIC_LINK_RE = re.compile(r"t\.me/([A-Za-z0-9_]{4,})/(\d+)\?(?:[^#\s]*&)?comment=(\d+)")
PRIVATE_LINK_RE = re.compile(r"t\.me/c/(\d+)/(\d+)(?:\?(?:[^#\s]*&)?(?:thread|comment)=(\d+))?")


class TelegramComments:
    network = Network.telegram
    can_hide = False
    can_restore = False  # a deleted message is gone for good

    def __init__(self, bot: Bot, channel_username: str = "") -> None:
        self._bot = bot
        self._username = channel_username.lstrip("@")
        self.discussion_id: int | None = None
        self.problem = ""  # why comments are off, in Russian, when they are
        self.channel_id: int | None = None
        self._threads: dict[int, int] = {}  # forward's id in the group -> channel post id

    async def resolve(self, channel_id: int | str) -> None:
        """Find the channel's discussion group (getChat → linked_chat_id)."""
        try:
            chat = await self._bot.get_chat(channel_id)
        except (TelegramAPIError, ClientDecodeError, TimeoutError) as exc:
            # ClientDecodeError: an answer that is not the Bot API's (a proxy's page, a field
            # of the wrong type); a temporary failure, never a reason to stop the bot.
            log.warning("channel %s not reachable, comments are off: %s", channel_id, exc)
            self.problem = (
                "Telegram ответил непонятно на запрос о канале"
                if isinstance(exc, ClientDecodeError)
                else "канал недоступен боту (проверьте channel_id и права бота)"
            )
            return
        self.channel_id = chat.id
        self.discussion_id = chat.linked_chat_id
        self._username = self._username or (chat.username or "")
        if self.discussion_id is None:
            log.warning("channel %s has no discussion group: comments are off", channel_id)
            self.problem = "у канала нет группы обсуждения, или бот не видит её"

    # ---- incoming ---------------------------------------------------------------------------
    def from_message(self, message: Message) -> IncomingComment | None:
        """A comment in the discussion group, or None for anything else there."""
        if self.discussion_id is None or message.chat.id != self.discussion_id:
            return None
        if message.is_automatic_forward:
            origin = message.forward_origin
            if isinstance(origin, MessageOriginChannel):
                self._threads[message.message_id] = origin.message_id
            return None
        user = message.from_user
        if user is None or user.is_bot or message.sender_chat is not None:
            return None  # the channel itself or an anonymous admin speaking for the group
        reply = message.reply_to_message
        if reply is None and message.message_thread_id is None:
            return None  # a message in the group, not a comment under a post
        post_ref, parent_ref = "", ""
        if (
            reply is not None
            and reply.is_automatic_forward
            and isinstance(reply.forward_origin, MessageOriginChannel)
        ):
            post_ref = str(reply.forward_origin.message_id)
        elif message.message_thread_id in self._threads:
            post_ref = str(self._threads[message.message_thread_id])
        elif reply is not None:
            parent_ref = self.external_id(reply.message_id)
        name = " ".join(x for x in (user.first_name, user.last_name) if x) or (user.username or "")
        return IncomingComment(
            network=Network.telegram,
            external_id=self.external_id(message.message_id),
            post_ref=post_ref,
            author_id=user.id,
            text=message.text or message.caption or "",
            written_at=message.date,
            author_name=name,
            author_url=f"https://t.me/{user.username}" if user.username else "",
            url=self._link(post_ref, message.message_id),
            post_url=f"https://t.me/{self._username}/{post_ref}"
            if self._username and post_ref
            else "",
            parent_ref=parent_ref,
        )

    def external_id(self, message_id: int) -> str:
        return f"{self.discussion_id}_{message_id}"

    def _link(self, post_ref: str, message_id: int) -> str:
        if self._username and post_ref:
            return f"https://t.me/{self._username}/{post_ref}?comment={message_id}"
        return f"https://t.me/c/{str(self.discussion_id).removeprefix('-100')}/{message_id}"

    # ---- what Telegram allows ---------------------------------------------------------------
    def can_ban(self, comment: IncomingComment) -> bool:
        return comment.author_id > 0

    def deletable_until(self, written_at: datetime) -> datetime | None:
        return written_at + DELETE_WINDOW

    async def delete(self, comment: IncomingComment) -> None:
        chat, message_id = self._split(comment.external_id)
        try:
            await self._bot.delete_message(chat, message_id)
        except TelegramBadRequest as exc:
            if "not found" in exc.message:
                raise ModerationFailed(
                    "комментария уже нет", gone=True, detail=exc.message
                ) from exc
            if "can't be deleted" in exc.message:
                raise ModerationFailed(
                    "Telegram не даёт удалять сообщения старше 48 часов — удалите его вручную "
                    "в группе обсуждения",
                    detail=exc.message,
                ) from exc
            raise ModerationFailed(f"Telegram отказал: {exc.message}", detail=exc.message) from exc
        except TelegramAPIError as exc:
            raise self._failed(exc) from exc

    async def ban(self, comment: IncomingComment) -> None:
        chat, _ = self._split(comment.external_id)
        try:
            await self._bot.ban_chat_member(chat, comment.author_id)
        except TelegramAPIError as exc:
            raise self._failed(exc) from exc

    async def hide(self, comment: IncomingComment) -> None:
        raise ModerationFailed("Telegram не умеет скрывать комментарии, их можно только удалить")

    async def restore(self, comment: IncomingComment) -> None:
        raise ModerationFailed("удалённое сообщение Telegram вернуть нельзя")

    def parse_link(self, url: str) -> str | None:
        if self.discussion_id is None:
            return None
        public = PUBLIC_LINK_RE.search(url)
        if public and public[1].lower() == self._username.lower():
            return self.external_id(int(public[3]))
        private = PRIVATE_LINK_RE.search(url)
        if private and private[1] == str(self.discussion_id).removeprefix("-100"):
            return self.external_id(int(private[2]))
        return None

    async def fetch(self, external_id: str) -> IncomingComment | None:
        """The Bot API cannot read an old message: the comment is known by its id only."""
        _, message_id = self._split(external_id)
        return IncomingComment(
            network=Network.telegram,
            external_id=external_id,
            post_ref="",
            author_id=0,
            text="",
            written_at=datetime.now().astimezone(),
            url=self._link("", message_id),
        )

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", ""  # names come with every Telegram message

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        return
        yield  # an async generator that yields nothing: Telegram keeps no history for bots

    async def close(self) -> None:
        """The Bot's session belongs to the application."""

    @staticmethod
    def _split(external_id: str) -> tuple[int, int]:
        chat, _, message_id = external_id.rpartition("_")
        return int(chat), int(message_id)

    @staticmethod
    def _failed(exc: TelegramAPIError) -> ModerationFailed:
        return ModerationFailed(f"Telegram не ответил как нужно: {exc.message}", detail=repr(exc))
