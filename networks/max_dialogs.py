"""Citizens who write to the office's MAX bot in a private dialogue, and the bot's answers
(bot/replies): GET /updates for message_created in dialogues, POST /messages?user_id=… back.

Through the official client `maxapi` (its `get_updates` and `send_message(user_id=…)`, which cite
dev.max.ru/docs-api/methods/GET/updates and POST/messages). NOT confirmed from MAX's own pages:
that a bot may write to a person only after they wrote to it (the emulator refuses with 403
chat.denied, as the client's docs suggest), and the marker's exact semantics (the next update
to read, as maxapi's long-polling loop uses it). Long polling is limited (2 requests a second,
events kept 24 hours): the desk reads with timeout 0 every `check_comments_every_seconds`.
The marker is kept in the desk's database (`cursor`, storage/cursors.py) and saved only after
the batch it ends became tickets (`advance()`), so a restart neither re-reads a message into a
waiting ticket nor skips one. A crash inside a batch may still re-read that batch: new tickets
are kept once by their message id, and a message joins a waiting ticket once (its
ticket.appended audit line names it, bot/replies/intake.py).
Question comments under channel posts are answered by a reply comment from the channel: POST
/messages/{messageId}/comments («Отправляет комментарий к посту в канале», text up to 4000,
`link` of type reply only; dev.max.ru/docs-api/methods/POST/messages/-messageId-/comments and
docs-api/use-cases/comment-moderation), maxapi's `send_comment`. The bot must be the channel's
admin with the right to write (the emulator refuses 403 otherwise).
MAX has no idempotency key: the ticket's own state (draft -> sending -> answered) sends once.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

from maxapi import Bot
from maxapi.enums.message_link_type import MessageLinkType
from maxapi.exceptions.max import InvalidToken, MaxApiError
from maxapi.types.message import NewMessageLink

from bot.domain import Network
from bot.ports import CitizenMessage, Cursor, IncomingComment, Published, PublishError
from networks.max_comments import max_retry_after
from networks.ratelimit import Pace

log = logging.getLogger(__name__)
TEXT_LIMIT = 3999


class MaxDialogs:
    network = Network.max

    def __init__(self, bot: Bot, pace: Pace, timeout: float, every_seconds: float) -> None:
        self._bot = bot
        self._pace = pace
        self._timeout = timeout
        self.every_seconds = every_seconds
        self._marker: int | None = None
        self._next: int | None = None
        self._loaded = False
        self.cursor: Cursor | None = None  # set by the wiring (bot/app_replies.py)

    def comment_thread(self, comment: IncomingComment) -> str:
        """Where the answer goes: under the post, a reply to "<post mid>/<comment mid>"."""
        post, _, mid = comment.external_id.partition("/")
        return comment.external_id if post and mid else ""

    async def reply(self, channel: str, thread_ref: str, text: str, key: str) -> Published:
        if len(text) > TEXT_LIMIT:
            raise PublishError("rejected", f"ответ длиннее {TEXT_LIMIT} знаков")
        try:
            if channel == "comment":
                post, _, mid = thread_ref.partition("/")
                link = NewMessageLink(type=MessageLinkType.REPLY, mid=mid)
                answer = await self._call(
                    lambda: self._bot.send_comment(message_id=post, text=text, link=link)
                )
                return Published(answer.message.body.mid or "", "")
            user_id = int(thread_ref)
            sent = await self._call(lambda: self._bot.send_message(user_id=user_id, text=text))
        except InvalidToken as exc:
            raise PublishError("auth", "ключ бота MAX не действует", None, repr(exc)) from exc
        except MaxApiError as exc:
            if exc.code == 403:
                reason = (
                    "бот не администратор канала MAX с правом писать"
                    if channel == "comment"
                    else "житель закрыл диалог с ботом MAX"
                )
                raise PublishError("rejected", reason, None, repr(exc)) from exc
            if exc.code == 404:
                raise PublishError(
                    "rejected", "комментарий или публикация в MAX удалены", None, repr(exc)
                ) from exc
            if exc.code == 429 or exc.code >= 500:
                raise PublishError("temporary", "MAX временно не отвечает", 1.0, repr(exc)) from exc
            raise PublishError("rejected", "MAX не принял ответ", None, repr(exc)) from exc
        except (TimeoutError, OSError) as exc:
            raise PublishError("uncertain", "MAX не ответил вовремя", None, repr(exc)) from exc
        mid = sent.message.body.mid if sent is not None and sent.message.body else ""
        return Published(mid, "")

    async def poll(self) -> list[CitizenMessage]:
        """New messages people wrote to the bot in private dialogues since the last read
        (the last `advance()`: until then the same batch is read again)."""
        if not self._loaded and self.cursor is not None:
            self._marker = await self.cursor.load()  # a restart goes on where it stopped
        self._loaded = True
        try:
            answer: dict[str, Any] = await self._call(
                lambda: self._bot.get_updates(
                    marker=self._marker, timeout=0, types=["message_created"]
                )
            )
        except (MaxApiError, InvalidToken, TimeoutError, OSError) as exc:
            log.warning("MAX updates not read: %r", exc)
            return []
        self._next = answer.get("marker", self._marker)
        found = []
        for update in answer.get("updates") or []:
            message = update.get("message") or {}
            sender = message.get("sender") or {}
            recipient = message.get("recipient") or {}
            body = message.get("body") or {}
            if sender.get("is_bot") or recipient.get("chat_type") != "dialog":
                continue
            name = sender.get("name") or " ".join(
                x for x in (sender.get("first_name"), sender.get("last_name")) if x
            )
            found.append(
                CitizenMessage(
                    network=Network.max,
                    channel="message",
                    external_id=str(body.get("mid") or ""),
                    thread_ref=str(sender["user_id"]),
                    author_id=int(sender["user_id"]),
                    text=body.get("text") or "",
                    written_at=datetime.fromtimestamp((message.get("timestamp") or 0) / 1000, UTC),
                    author_name=name,
                )
            )
        return found

    async def advance(self) -> None:
        """The last batch became tickets: read on from its end, also after a restart."""
        if self._next is None or self._next == self._marker:
            return
        if self.cursor is not None:
            await self.cursor.save(self._next)
        self._marker = self._next

    async def _call(self, request: Any) -> Any:
        async with asyncio.timeout(self._timeout * 3):
            return await self._pace.call(request, retry_after=max_retry_after)
