"""Internals of the emulator shared by the people-side API and the Bot API handlers."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable
from typing import Any

from ..common import clone
from .entities import format_text
from .state import BotState, ChatState, FileStore, MessageRecord, StoredFile, strip_reply


class EmulatorCore:
    """Storing messages, delivering updates to bots and telling subscribers about changes."""

    clock: Callable[[], float]
    bots: dict[int, BotState]
    users: dict[int, dict[str, Any]]
    chats: dict[int, ChatState]
    files: FileStore
    _seq: itertools.count[int]
    _changed: asyncio.Event | None
    _closing: asyncio.Event | None
    _subscribers: list[asyncio.Queue[dict[str, Any]]]

    def open_private_chat(self, user_id: int, bot_id: int | None = None) -> ChatState:
        """The user has started the bot (without sending anything the bot would see)."""
        chat = self.chats.get(user_id)
        if chat is None:
            user = self._user(user_id)
            info = {k: user[k] for k in ("first_name", "last_name", "username") if k in user}
            chat = ChatState(chat={"id": user_id, "type": "private", **info})
            chat.bots.add(bot_id if bot_id is not None else self._default_bot().id)
            self.chats[user_id] = chat
        return chat

    def _change_event(self) -> asyncio.Event:
        if self._changed is None:
            self._changed = asyncio.Event()
        return self._changed

    def _notify_change(self) -> None:
        if self._changed is not None:
            self._changed.set()
            self._changed = None

    def _emit(self, kind: str, chat_id: int, message: dict[str, Any]) -> None:
        event = {"type": kind, "chat_id": chat_id, "message": clone(message)}
        for queue in self._subscribers:
            queue.put_nowait(event)
        self._notify_change()

    def _auto_forward_record(self, channel_id: int, message_id: int) -> MessageRecord | None:
        """The automatic forward of this channel post in the linked discussion group, if any."""
        channel = self.chats.get(channel_id)
        group = self.chats.get((channel.discussion_group_id if channel else None) or 0)
        if group is None:
            return None
        for record in group.messages.values():
            origin = record.message.get("forward_origin") or {}
            if (
                record.message.get("is_automatic_forward")
                and origin.get("chat", {}).get("id") == channel_id
                and origin.get("message_id") == message_id
            ):
                return record
        return None

    def _public_user(self, user: dict[str, Any]) -> dict[str, Any]:
        return {k: user[k] for k in ("id", "is_bot", "first_name", "username") if k in user}

    def _default_bot(self) -> BotState:
        if not self.bots:
            raise RuntimeError("add_bot() first")
        return next(iter(self.bots.values()))

    def _user(self, user_id: int) -> dict[str, Any]:
        if user_id not in self.users:
            raise LookupError(f"unknown user {user_id}; add_user() first")
        return dict(self.users[user_id])

    def _chat(self, chat_id: int) -> ChatState:
        if chat_id not in self.chats:
            raise LookupError(f"unknown chat {chat_id}")
        return self.chats[chat_id]

    def _people_chat(self, user_id: int, chat_id: int | None) -> ChatState:
        self._user(user_id)
        if chat_id is None or chat_id == user_id:
            return self.open_private_chat(user_id)
        chat = self._chat(chat_id)
        if chat.type == "channel":
            raise ValueError("people can't post in a channel here; only the bot posts")
        if user_id in chat.banned:
            raise PermissionError(
                f"пользователь {user_id} заблокирован в этой группе: Telegram не даёт ему писать"
            )
        chat.members.add(user_id)
        return chat

    def _media_group_id(self) -> str:
        return str(13_900_000_000_000_000 + next(self._seq))

    def _caption(self, caption: str) -> dict[str, Any]:
        plain, entities = format_text(caption, None, None)
        out: dict[str, Any] = {"caption": plain} if plain else {}
        if plain and entities:
            out["caption_entities"] = entities
        return out

    def _user_sends_file(
        self, user_id: int, stored: StoredFile, caption: str | None, chat_id: int | None
    ) -> dict[str, Any]:
        chat = self._people_chat(user_id, chat_id)
        content = self.files.content(stored)
        if caption:
            content.update(self._caption(caption))
        return clone(self._post(chat, self.users[user_id], None, content))

    def _post(
        self,
        chat: ChatState,
        sender: dict[str, Any] | None,
        bot_id: int | None,
        content: dict[str, Any],
        reply_to_message_id: int | None = None,
        extra: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Stores a new message, tells subscribers and enqueues updates for the other bots."""
        msg: dict[str, Any] = {
            "message_id": chat.take_message_id(),
            "date": int(self.clock()),
            "chat": dict(chat.chat),
        }
        if chat.type == "channel":
            msg["sender_chat"] = dict(chat.chat)
        elif sender is not None:
            msg["from"] = dict(sender)
        msg.update(extra or {})
        if reply_to_message_id is not None:
            replied = chat.messages.get(reply_to_message_id)
            if replied is None:
                raise LookupError(f"message {reply_to_message_id} not found in {chat.id}")
            msg["reply_to_message"] = strip_reply(clone(replied.message))
            root = replied.message.get("message_thread_id")
            if root is None and replied.message.get("is_automatic_forward"):
                root = reply_to_message_id
            if root is not None:
                msg["message_thread_id"] = root
        msg.update(content)
        chat.messages[msg["message_id"]] = MessageRecord(msg, bot_id, self.clock())
        self._emit("message", chat.id, msg)
        kind = "channel_post" if chat.type == "channel" else "message"
        for other in chat.bots:
            if other != bot_id and other in self.bots:
                self._enqueue(self.bots[other], kind, clone(msg))
        return msg

    def _enqueue(self, bot: BotState, kind: str, payload: dict[str, Any]) -> None:
        bot.updates.append({"update_id": bot.next_update_id, kind: payload})
        bot.next_update_id += 1
        self._notify_change()
