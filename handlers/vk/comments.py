"""VK wall comments through the Bots Long Poll: wall_reply_new / _edit / _delete -> Moderation.

Thin: the adapter turns an event into an IncomingComment, the core does the rest. When the
long poll loses events (VK answers "failed": 1 or 3) the catch-up re-reads recent posts, and
the messages catch-up (handlers/vk/messages.py) reads the unread dialogues.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from vkbottle import API, GroupEventType
from vkbottle.framework.labeler import BotLabeler
from vkbottle.polling import BotPolling

from bot.domain import Network
from bot.moderation.service import Moderation
from networks.vk_comments import VKComments

log = logging.getLogger(__name__)

LOST_EVENTS = {1, 3}  # history outdated / information lost: some events will never come


class GapAwarePolling(BotPolling):
    """Bot polling that keeps no file in the working directory (the catch-up covers restarts)
    and calls `on_gap` when VK says events were lost."""

    def __init__(
        self,
        api: API,
        group_id: int,
        wait: int,
        on_gap: Callable[[], Awaitable[Any]],
        catch_up: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        super().__init__(api, group_id=group_id, wait=wait)
        self._on_gap = on_gap
        self._catch_up = catch_up
        self.connected = asyncio.Event()

    async def get_server(self) -> dict[str, Any]:
        server = await super().get_server()
        self.connected.set()
        # The position (ts) is taken first, so whatever arrives during the catch-up still
        # comes by the long poll afterwards, in order, and the catch-up's messages come first.
        await self._run_catch_up()
        return server

    async def _run_catch_up(self) -> None:
        if self._catch_up is None:
            return
        try:
            await self._catch_up()
        except Exception:  # the live stream must go on; the next gap or start tries again
            log.exception("VK messages catch-up failed")

    def save_server_ts(self, server: dict[str, Any]) -> None:
        """Nothing on disk: after a restart the catch-up pass finds what was missed."""

    async def handle_failed_event(
        self, server: dict[str, Any], event: dict[str, Any]
    ) -> dict[str, Any]:
        if event.get("failed") in LOST_EVENTS:
            log.info("VK long poll lost events (%s): catching up", event.get("failed"))
            asyncio.get_running_loop().create_task(self._on_gap())
        server = await super().handle_failed_event(server, event)
        if event.get("failed") == 1:  # 3 takes a new server, and get_server catches up
            await self._run_catch_up()
        return server


def make_labeler(moderation: Moderation, vk: VKComments) -> BotLabeler:
    labeler = BotLabeler()

    @labeler.raw_event([GroupEventType.WALL_REPLY_NEW, GroupEventType.WALL_REPLY_RESTORE], dict)
    async def reply_new(event: dict) -> None:
        incoming = vk.from_event(event["object"])
        if incoming is not None:
            await moderation.ingest([incoming])

    @labeler.raw_event(GroupEventType.WALL_REPLY_EDIT, dict)
    async def reply_edit(event: dict) -> None:
        incoming = vk.from_event(event["object"])
        if incoming is not None:
            await moderation.edited(incoming)

    @labeler.raw_event(GroupEventType.WALL_REPLY_DELETE, dict)
    async def reply_delete(event: dict) -> None:
        await moderation.removed(Network.vk, vk.external_id(event["object"]["id"]))

    return labeler
