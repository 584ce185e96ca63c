"""Nothing a person writes to the community is lost while the bot is down or the long poll
loses events: the catch-up reads the unread dialogues, and a cursor in the database (the
newest conversation_message_id handled per dialogue) makes each message handled once, whether
it came by the long poll, by the catch-up, or by both."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from vkbottle import API, VKAPIError

from handlers.vk.render import call
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

PAGE = 200  # the most VK gives in one getConversations / getHistory answer
MAX_PAGES = 10  # of one dialogue's history: 2000 unread messages is far beyond a real gap
# Older unread messages are left to people: on the first start a community may hold years of
# dialogues its admins never opened, and a bot's answer to them would only puzzle.
MAX_AGE = timedelta(days=7)
# More messages than this between two handled ones (the bot's replies count too) is checked
# against the dialogue before the cursor moves.
PLAUSIBLE_JUMP = 50
RECENT = 20  # newest messages of a dialogue looked through for one just received


class Inbox:
    """Which incoming messages of the community's dialogues have been handled."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        group_id: int,
        clock: Callable[[], datetime],
        api: API | None = None,
    ) -> None:
        self._uow = uow
        self._group_id = group_id
        self._clock = clock
        self._api = api

    def now(self) -> datetime:
        return self._clock()

    async def handled(self, peer_id: int, cmid: int) -> bool:
        async with self._uow() as uow:
            return cmid <= await uow.vk_inbox.last_cmid(self._group_id, peer_id)

    async def mark(self, peer_id: int, cmid: int) -> None:
        async with self._uow() as uow:
            last = await uow.vk_inbox.last_cmid(self._group_id, peer_id)
        if last and cmid > last + PLAUSIBLE_JUMP and not await self._holds(peer_id, cmid):
            # One id far ahead of the cursor is not trusted on its own: moved there, every
            # real message below it would be skipped. Only a message the dialogue really
            # holds moves the cursor that far.
            log.warning(
                "VK dialogue %s: message id %s is not in the dialogue; the cursor stays at %s",
                peer_id,
                cmid,
                last,
            )
            return
        async with self._uow() as uow:
            await uow.vk_inbox.advance(self._group_id, peer_id, cmid, self._clock())
            await uow.commit()

    async def _holds(self, peer_id: int, cmid: int) -> bool:
        """Whether the dialogue's newest messages include `cmid` (it was just received)."""
        if self._api is None:
            return False
        try:
            history = await call(
                self._api,
                "messages.getHistory",
                {"peer_id": peer_id, "count": RECENT, "group_id": self._group_id},
            )
        except (VKAPIError, OSError, TimeoutError, ValueError) as exc:
            log.info("VK dialogue %s: history not read: %s", peer_id, exc)
            return False
        return any(m.get("conversation_message_id") == cmid for m in history.get("items") or [])


async def mark_read(api: API, peer_id: int, message_id: int) -> None:
    """Tell VK the community has read the dialogue up to this message, so the next catch-up
    does not list it again (and the admins in VK see what the bot has dealt with)."""
    try:
        await call(api, "messages.markAsRead", {"peer_id": peer_id, "start_message_id": message_id})
    except VKAPIError as exc:  # the database cursor is what prevents a repeat; this is tidiness
        log.info("VK dialogue %s not marked read: %s", peer_id, exc)


async def unread_messages(api: API, group_id: int) -> list[dict[str, Any]]:
    """Incoming unread messages of people's private dialogues with the community, oldest first."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await call(
            api,
            "messages.getConversations",
            {"filter": "unread", "count": PAGE, "offset": offset, "group_id": group_id},
        )
        items = page.get("items") or []
        for item in items:
            conversation = item["conversation"]
            peer = conversation["peer"]
            if peer.get("type") != "user":
                continue  # chats are not the desk's business, as in the live handler
            found += await _unread_in(api, group_id, peer["id"], conversation.get("in_read") or 0)
        offset += len(items)
        if not items or offset >= page.get("count", 0):
            break
    return sorted(found, key=lambda m: m["id"])


async def _unread_in(api: API, group_id: int, peer_id: int, in_read: int) -> list[dict[str, Any]]:
    """One dialogue's incoming messages newer than `in_read`, read back from the newest."""
    found: list[dict[str, Any]] = []
    for page in range(MAX_PAGES):
        history = await call(
            api,
            "messages.getHistory",
            {"peer_id": peer_id, "count": PAGE, "offset": page * PAGE, "group_id": group_id},
        )
        items = history.get("items") or []
        found += [m for m in items if m["id"] > in_read and not m.get("out")]
        if not items or any(m["id"] <= in_read for m in items):
            break
    else:
        log.warning("VK dialogue %s: more unread messages than the catch-up reads", peer_id)
    return found
