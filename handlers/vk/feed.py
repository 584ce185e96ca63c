"""The community's one Bots Long Poll: wall comments and private messages share it (VK gives a
community a single event stream; a second poller would steal the first one's events).

When it loses events (VK answers "failed": 1 or 3) the comments' catch-up re-reads recent
posts, and the messages catch-up (handlers/vk/messages.py) reads the unread dialogues.

With several instances behind a load balancer the same labelers take VK's Callback API instead
(`[vk] callback = true`): VK POSTs each event to the desk's web server, which answers "ok" only
once the event was handled, so VK delivers again what an instance dropped by dying."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable, Iterable
from typing import Any

from aiohttp import web
from vkbottle import API, Bot
from vkbottle.callback import BotCallback
from vkbottle.framework.labeler import BotLabeler
from vkbottle.polling import BotPolling

from bot.textsize import without_nul

log = logging.getLogger(__name__)

LOST_EVENTS = {1, 3}  # history outdated / information lost: some events will never come
CALLBACK_PATH = "/webhook/vk"
# What the desk listens to (groups.setCallbackSettings); the long poll gets the same set from
# the community's settings, as the README tells the installer to switch them on.
CALLBACK_EVENTS = {
    "message_new": True,
    "message_event": True,
    "wall_reply_new": True,
    "wall_reply_edit": True,
    "wall_reply_delete": True,
    "wall_reply_restore": True,
}


def callback_secret(group_token: str) -> str:
    """One secret for every instance, derived from the community token (VK allows up to 50
    characters of letters and digits)."""
    digest = hmac.new(group_token.encode(), b"pressdesk vk callback", hashlib.sha256)
    return digest.hexdigest()[:50]


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

    async def get_event(self, server: dict[str, Any]) -> dict[str, Any]:
        return without_nul(await super().get_event(server))  # PostgreSQL refuses U+0000

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
        self.group_id = group_id
        self.polling = GapAwarePolling(group_api, group_id, wait, on_gap or _nothing, catch_up)
        self.bot = Bot(api=group_api, labeler=labeler, polling=self.polling)
        self._task: asyncio.Task | None = None
        self._catch_up = catch_up
        self._callback: BotCallback | None = None
        self._confirmation: str | None = None
        self._secret = ""

    # -- Callback API ----------------------------------------------------------------------
    def callback_routes(self, secret: str) -> list[web.RouteDef]:
        """The route VK will POST to; added to the web server before it starts."""
        self._secret = secret
        return [web.post(CALLBACK_PATH, self._on_callback)]

    async def register_callback(self, base_url: str) -> None:
        """Point the community's Callback API at this desk (once the web server listens: VK
        asks the address to confirm itself at once). Every instance does the same, harmlessly."""
        callback = BotCallback(
            url=base_url.rstrip("/") + CALLBACK_PATH,
            title="pressdesk",
            secret_key=self._secret,
            api=self.bot.api,
            group_id=self.group_id,
        )
        self._callback = callback
        self._confirmation = await callback.get_callback_confirmation_code()
        server_id = await callback.find_server_id()
        if server_id is None:
            server_id = await callback.add_callback_server()
        else:
            await callback.edit_callback_server(server_id)
        await callback.set_callback_settings(server_id, {"api_version": "5.199", **CALLBACK_EVENTS})
        if self._catch_up is not None:  # what came while no instance listened
            self._task = asyncio.create_task(self._catch_up(), name="vk-callback-catch-up")

    async def _on_callback(self, request: web.Request) -> web.Response:
        try:
            event = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(event, dict) or event.get("group_id") != self.group_id:
            return web.Response(status=403, text="not this community")
        if event.get("type") == "confirmation":
            if self._confirmation is None and self._callback is not None:
                self._confirmation = await self._callback.get_callback_confirmation_code()
            return web.Response(text=self._confirmation or "")
        if not hmac.compare_digest(str(event.get("secret", "")), self._secret):
            log.warning("VK callback: an event with a wrong secret was refused")
            return web.Response(status=403, text="wrong secret")
        await self.bot.process_event(event)
        return web.Response(text="ok")

    def start(self) -> None:
        self._task = asyncio.create_task(self.bot.run_polling(), name="vk-long-poll")

    async def stop(self) -> None:
        self.polling.stop()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
