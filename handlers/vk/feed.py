"""The community's one Bots Long Poll: wall comments and private messages share it (VK gives a
community a single event stream; a second poller would steal the first one's events).

When it loses events (VK answers "failed": 1 or 3) the comments' catch-up re-reads recent
posts, and the messages catch-up (handlers/vk/messages.py) reads the unread dialogues."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from vkbottle import API, Bot
from vkbottle.framework.labeler import BotLabeler
from vkbottle.polling import BotPolling

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


async def _nothing() -> None:
    return None


class VKFeed:
    """The running long poll: start() returns at once, stop() ends it cleanly."""

    def __init__(
        self,
        group_api: API,
        group_id: int,
        labelers: Iterable[BotLabeler],
        on_gap: Callable[[], Awaitable[Any]] | None = None,
        wait: int = 25,
        catch_up: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        labeler = BotLabeler()
        for part in labelers:
            labeler.load(part)
        self.polling = GapAwarePolling(group_api, group_id, wait, on_gap or _nothing, catch_up)
        self.bot = Bot(api=group_api, labeler=labeler, polling=self.polling)
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.bot.run_polling(), name="vk-long-poll")

    async def stop(self) -> None:
        self.polling.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
