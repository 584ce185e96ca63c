"""TelegramEmulator: the state of a fake Telegram plus what people do in it."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from typing import Any, Literal

from aiohttp import web

from ..common import clone
from .core import EmulatorCore
from .entities import format_text
from .state import BotState, ChatState, FileStore

FaultKind = Literal["timeout", "500", "429", "lost_response", "garbage", "wrong_type", "garbled"]


class TelegramEmulator(EmulatorCore):
    """A local Telegram Bot API: aiogram talks to it over HTTP, tests play the people."""

    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        self.clock = clock
        self.bots: dict[int, BotState] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.chats: dict[int, ChatState] = {}
        self.files = FileStore()
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_queries: dict[str, dict[str, Any]] = {}
        self.faults: list[dict[str, Any]] = []
        # How long a "timeout" fault holds the request. It must outlast the client's timeout
        # (aiogram: 60 s), so tests pass a short request_timeout rather than wait that long.
        self.fault_timeout_seconds: float = 30.0
        # Seconds a method's answer is held after it took effect (method name in lower case):
        # a channel that answers slowly, so a crash can fall between the post and its answer.
        self.answer_delays: dict[str, float] = {}
        # Seconds after which answerCallbackQuery says "query is too old".
        self.callback_answer_timeout: float = 15 * 60.0
        # The real API ignores unknown parameters; rejecting them catches typos in our bot.
        self.reject_unknown_params: bool = True
        # Check every answer against aiogram's types; a mismatch is an emulator bug (HTTP 500).
        self.validate_responses: bool = True
        self.wait_recheck_interval: float = 0.05
        # Telegram's flood limits, off unless a test turns them on (enforce_flood_limits).
        self.flood_limits: dict[str, tuple[int, float]] = {}
        self.flood_windows: dict[str, list[float]] = {}
        self.flood_refusals = 0
        self._seq = itertools.count(1)
        self._changed: asyncio.Event | None = None
        self._closing: asyncio.Event | None = None
        self._subscribers: list[asyncio.Queue[dict[str, Any]]] = []
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        from .server import build_app  # server imports this module

        self.app: web.Application = build_app(self)

    # ----- lifecycle -------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self._closing = asyncio.Event()
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        real_port = self._runner.addresses[0][1]  # the OS-chosen port when port=0
        self.base_url = f"http://{host}:{real_port}"
        return self.base_url

    async def stop(self) -> None:
        if self._closing is not None:
            self._closing.set()  # wakes long polls and held requests
        self._notify_change()
        for bot in self.bots.values():
            if bot.webhook is not None:
                await bot.webhook.stop()
                bot.webhook = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    # ----- setup -----------------------------------------------------------------------------

    def add_bot(
        self, token: str, username: str = "pressdesk_bot", first_name: str = "Пресс-служба"
    ) -> dict[str, Any]:
        user = {
            "id": int(token.split(":")[0]),
            "is_bot": True,
            "first_name": first_name,
            "username": username,
            "can_join_groups": True,
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }
        bot = BotState(token=token, user=user)
        self.bots[bot.id] = bot
        for chat in self.chats.values():
            if chat.type != "private":
                chat.bots.add(bot.id)
        return self._public_user(user)

    def add_user(
        self, user_id: int, first_name: str, last_name: str = "", username: str | None = None
    ) -> dict[str, Any]:
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        user["language_code"] = "ru"
        self.users[user_id] = user
        return dict(user)

    def add_channel(
        self,
        chat_id: int,
        title: str,
        username: str | None = None,
        discussion_group_id: int | None = None,
    ) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "channel", "title": title}
        if username:
            chat["username"] = username
        state = ChatState(chat=chat, bots=set(self.bots), discussion_group_id=discussion_group_id)
        self.chats[chat_id] = state
        if discussion_group_id is not None and discussion_group_id in self.chats:
            self.chats[discussion_group_id].linked_channel_id = chat_id
        return dict(chat)

    def add_group(self, chat_id: int, title: str) -> dict[str, Any]:
        chat = {"id": chat_id, "type": "supergroup", "title": title}
        state = ChatState(chat=chat, bots=set(self.bots))
        for channel in self.chats.values():
            if channel.discussion_group_id == chat_id:
                state.linked_channel_id = channel.id
        self.chats[chat_id] = state
        return dict(chat)

    def user_blocks_bot(self, user_id: int, blocked: bool = True) -> None:
        for bot in self.bots.values():
            (bot.blocked_by.add if blocked else bot.blocked_by.discard)(user_id)

    # ----- what people do --------------------------------------------------------------------

    def user_sends_text(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        chat = self._people_chat(user_id, chat_id)
        plain, entities = format_text(text, None, None)
        if not plain:
            raise ValueError("Telegram doesn't send empty messages")
        content: dict[str, Any] = {"text": plain}
        if entities:
            content["entities"] = entities
        msg = self._post(chat, self.users[user_id], None, content, reply_to_message_id)
        return clone(msg)

    def user_sends_photos(
        self,
        user_id: int,
        photos: list[bytes],
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> list[dict[str, Any]]:
        if not 1 <= len(photos) <= 10:
            raise ValueError("an album holds 1..10 photos")
        chat = self._people_chat(user_id, chat_id)
        group = self._media_group_id() if len(photos) > 1 else None
        sent = []
        for i, data in enumerate(photos):
            content = self.files.content(self.files.add_photo(data))
            if group:
                content["media_group_id"] = group
            if caption and i == 0:
                content.update(self._caption(caption))
            sent.append(clone(self._post(chat, self.users[user_id], None, content)))
        return sent

    def user_sends_video(
        self, user_id: int, data: bytes, caption: str | None = None, chat_id: int | None = None
    ) -> dict[str, Any]:
        stored = self.files.add(data, "video", mime_type="video/mp4")
        return self._user_sends_file(user_id, stored, caption, chat_id)

    def user_sends_document(
        self,
        user_id: int,
        data: bytes,
        filename: str,
        mime_type: str,
        caption: str | None = None,
        chat_id: int | None = None,
    ) -> dict[str, Any]:
        stored = self.files.add(data, "document", mime_type=mime_type, file_name=filename)
        return self._user_sends_file(user_id, stored, caption, chat_id)

    def user_sends_sticker(self, user_id: int, chat_id: int | None = None) -> dict[str, Any]:
        stored = self.files.add(b"RIFF-sticker-webp", "sticker", mime_type="image/webp")
        return self._user_sends_file(user_id, stored, None, chat_id)

    def user_presses_button(
        self, user_id: int, chat_id: int, message_id: int, callback_data: str
    ) -> str:
        """Presses a button with this data; the button itself isn't checked (tests forge data)."""
        chat = self._chat(chat_id)
        record = chat.messages.get(message_id)
        if record is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        if record.bot_id is None:
            raise ValueError(f"message {message_id} in chat {chat_id} was not sent by a bot")
        query_id = str(4_000_000_000_000_000_000 + next(self._seq))
        query = {
            "id": query_id,
            "from": self._user(user_id),
            "message": clone(record.message),
            "chat_instance": str(abs(hash((chat_id, record.bot_id))) % 10**18),
            "data": callback_data,
        }
        self.callback_queries[query_id] = {
            "bot_id": record.bot_id,
            "chat_id": chat_id,
            "created_at": self.clock(),
            "answered": False,
            "answer": None,
        }
        self._enqueue(self.bots[record.bot_id], "callback_query", query)
        return query_id

    def press(self, user_id: int, chat_id: int, message_id: int, button_text: str) -> str:
        """Finds the inline button by its visible text and presses it."""
        record = self._chat(chat_id).messages.get(message_id)
        rows = ((record.message.get("reply_markup") or {}) if record else {}).get(
            "inline_keyboard", []
        )
        texts = []
        for row in rows:
            for button in row:
                texts.append(button["text"])
                if button["text"] == button_text:
                    if "callback_data" not in button:
                        raise ValueError(f"button {button_text!r} has no callback_data")
                    return self.user_presses_button(
                        user_id, chat_id, message_id, button["callback_data"]
                    )
        raise LookupError(
            f"no button {button_text!r} on message {message_id} in chat {chat_id}; buttons: {texts}"
        )

    def callback_answer(self, callback_query_id: str) -> dict[str, Any] | None:
        query = self.callback_queries.get(callback_query_id)
        return clone(query["answer"]) if query else None

    # ----- what there is to see --------------------------------------------------------------

    def chat_messages(self, chat_id: int) -> list[dict[str, Any]]:
        chat = self.chats.get(chat_id)
        if chat is None:
            return []
        return [clone(r.message) for r in chat.messages.values()]

    def polls(self, chat_id: int) -> list[dict[str, Any]]:
        """The messages of a chat that are polls (sendPoll), as they are now."""
        return [m for m in self.chat_messages(chat_id) if "poll" in m]

    def vote(self, chat_id: int, message_id: int, counts: list[int]) -> None:
        """People voted: each option's count of voters (Telegram counts each voter once)."""
        poll = self.chats[chat_id].messages[message_id].message["poll"]
        if poll["is_closed"]:
            raise ValueError("the poll is closed")
        for option, count in zip(poll["options"], counts, strict=True):
            option["voter_count"] = count
        poll["total_voter_count"] = (
            max(counts, default=0) if poll["allows_multiple_answers"] else sum(counts)
        )
        self._notify_change()

    def cast_vote(self, chat_id: int, message_id: int, option: int) -> dict[str, Any]:
        """One more person chose `option` (the sandbox's citizen votes)."""
        poll = self.chats[chat_id].messages[message_id].message["poll"]
        if poll["is_closed"]:
            raise ValueError("опрос уже закрыт")
        poll["options"][option]["voter_count"] += 1
        poll["total_voter_count"] += 1
        self._notify_change()
        return clone(poll)

    def deleted_messages(self, chat_id: int) -> list[dict[str, Any]]:
        chat = self.chats.get(chat_id)
        return clone(chat.deleted) if chat else []

    def reply_keyboard(self, chat_id: int) -> dict[str, Any] | None:
        """The custom reply keyboard the user currently sees in this chat, if any."""
        chat = self.chats.get(chat_id)
        return clone(chat.reply_keyboard) if chat else None

    def file_bytes(self, file_id: str) -> bytes:
        return self.files.by_id[file_id].data

    def discussion_message_for(self, channel_id: int, channel_message_id: int) -> dict[str, Any]:
        group_id = self._chat(channel_id).discussion_group_id
        if group_id is None:
            raise LookupError(f"channel {channel_id} has no discussion group")
        self._chat(group_id)
        record = self._auto_forward_record(channel_id, channel_message_id)
        if record is not None:
            return clone(record.message)
        raise LookupError(f"no automatic forward of {channel_id}/{channel_message_id}")

    def inject_fault(
        self,
        method: str,
        kind: FaultKind,
        count: int = 1,
        retry_after: int = 1,
        chat_id: int | str | None = None,
    ) -> None:
        """The next `count` calls of `method` ("*" = any; to `chat_id` only, if given) fail:
        timeout, 500, 429.

        "lost_response" is a timeout after the method took effect (message posted, answer lost);
        "garbage" answers with a body that is not the Bot API's (a proxy's error page),
        "wrong_type" with a result whose fields have the wrong types.
        "garbled" takes effect and answers with a body cut off mid-way.
        """
        self.faults.append(
            {
                "method": method.lower(),
                "kind": kind,
                "left": count,
                "retry_after": retry_after,
                "chat_id": None if chat_id is None else str(chat_id),
            }
        )

    def enforce_flood_limits(
        self,
        private: tuple[int, float] = (1, 1.0),
        group: tuple[int, float] = (20, 60.0),
    ) -> None:
        """Refuse a message to a chat beyond `count` in any `seconds` with 429 and the
        retry_after that frees the window, as Telegram does (edits are not counted)."""
        self.flood_limits = {"private": private, "group": group}

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 30.0,  # noqa: ASYNC109 - part of the agreed API; only ends a hung wait
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            value = predicate()
            if value:
                return value
            remaining = deadline - loop.time()
            if remaining <= 0:
                recent = [m for m, _ in self.calls if m.lower() != "getupdates"][-10:]
                raise TimeoutError(
                    f"condition {getattr(predicate, '__name__', predicate)} not met within "
                    f"{timeout}s; last bot calls: {recent}; pending updates: "
                    f"{[len(b.updates) for b in self.bots.values()]}"
                )
            event = self._change_event()
            try:
                # Wakes on every emulator change; the short cap re-checks predicates that look
                # at the test's own state (e.g. what a handler recorded), which we can't observe.
                await asyncio.wait_for(event.wait(), min(remaining, self.wait_recheck_interval))
            except TimeoutError:
                pass

    def subscribe(self) -> asyncio.Queue[dict[str, Any]]:
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[dict[str, Any]]) -> None:
        if queue in self._subscribers:
            self._subscribers.remove(queue)
