"""Webhook delivery, as the Bot API does it: once `setWebhook` names a URL, pending updates are
POSTed there as JSON, with the `X-Telegram-Bot-Api-Secret-Token` header when a secret was set;
an update leaves the queue only when the bot answered 2xx, anything else is retried (Telegram
retries too, with a growing pause). `getUpdates` answers 409 meanwhile (api_misc)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import ClientError, ClientSession, ClientTimeout

if TYPE_CHECKING:
    from .emulator import TelegramEmulator
    from .state import BotState

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


class WebhookDelivery:
    def __init__(
        self, emu: TelegramEmulator, bot: BotState, prune: Callable[[BotState], None]
    ) -> None:
        self.emu = emu
        self.bot = bot
        self._prune = prune
        self._stopped = False
        self.delivered = 0
        self.refused = 0  # answers other than 2xx (a wrong secret, a bot that is down)
        self._task = asyncio.get_running_loop().create_task(self._run(), name="tg-emu-webhook")

    async def stop(self) -> None:
        self._stopped = True
        self.emu._notify_change()
        try:
            await asyncio.wait_for(asyncio.shield(self._task), 2.0)
        except TimeoutError:  # a bot that holds the request: give up on it
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _run(self) -> None:
        pause = 0.05
        async with ClientSession(timeout=ClientTimeout(total=30)) as http:
            while self.bot.webhook_url and not self._stopped:
                self._prune(self.bot)
                if not self.bot.updates:
                    with contextlib.suppress(TimeoutError):
                        async with asyncio.timeout(1.0):
                            await self.emu._change_event().wait()
                    continue
                update = self.bot.updates[0]
                headers = {}
                if self.bot.webhook_secret:
                    headers[SECRET_HEADER] = self.bot.webhook_secret
                try:
                    async with http.post(
                        self.bot.webhook_url, json=update, headers=headers
                    ) as answer:
                        ok = 200 <= answer.status < 300
                except (ClientError, TimeoutError, OSError):
                    ok = False
                if ok:
                    self.delivered += 1
                    if self.bot.updates and self.bot.updates[0] is update:
                        self.bot.updates.pop(0)
                    pause = 0.05
                    self.emu._notify_change()
                else:
                    self.refused += 1
                    await asyncio.sleep(pause)
                    pause = min(pause * 2, 2.0)
