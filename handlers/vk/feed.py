"""The community's one Bots Long Poll: wall comments and private messages share it (VK gives a
community a single event stream; a second poller would steal the first one's events)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from vkbottle import API, ABCStateDispenser, Bot
from vkbottle.framework.labeler import BotLabeler

from handlers.vk.comments import GapAwarePolling


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
        state_dispenser: ABCStateDispenser | None = None,
        wait: int = 25,
        catch_up: Callable[[], Awaitable[Any]] | None = None,
    ) -> None:
        labeler = BotLabeler()
        for part in labelers:
            labeler.load(part)
        self.polling = GapAwarePolling(group_api, group_id, wait, on_gap or _nothing, catch_up)
        self.bot = Bot(
            api=group_api, labeler=labeler, polling=self.polling, state_dispenser=state_dispenser
        )
        self._task: asyncio.Task | None = None

    def start(self) -> None:
        self._task = asyncio.create_task(self.bot.run_polling(), name="vk-long-poll")

    async def stop(self) -> None:
        self.polling.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
