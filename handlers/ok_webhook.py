"""OK's webhooks for the group's messages (networks/ok_dialogs.py), on the desk's web server.

OK signs nothing and sends no secret, so the path carries one derived from the bot token (the
URL is only ever given to OK). OK wants 200 within 5 s or it sends the update again: the
handler waits up to ANSWER_WITHIN for the ticket, then answers 200 and lets the intake finish
(a repeated update is still one ticket: tickets are kept once by OK's message id). An update
that failed within that time is answered 500, so OK sends it again.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)
PREFIX = "/ok/bot/"
ANSWER_WITHIN = 4.0  # seconds; OK allows 5


def webhook_path(bot_token: str) -> str:
    digest = hmac.new(bot_token.encode(), b"pressdesk ok webhook", hashlib.sha256)
    return PREFIX + digest.hexdigest()[:40]


class OKWebhook:
    def __init__(self, path: str, on_update: Callable[[dict[str, Any]], Awaitable[None]]) -> None:
        self.path = path
        self._on_update = on_update
        self._tasks: set[asyncio.Task] = set()

    def routes(self) -> list[web.RouteDef]:
        return [web.post(self.path, self._receive)]

    async def _receive(self, request: web.Request) -> web.Response:
        try:
            update = json.loads(await request.text())
        except ValueError:
            return web.Response(status=400, text="not JSON")
        if not isinstance(update, dict):
            return web.Response(status=400, text="not an object")
        task = asyncio.create_task(self._on_update(update), name="ok-webhook")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        try:
            await asyncio.wait_for(asyncio.shield(task), ANSWER_WITHIN)
        except TimeoutError:
            log.info("OK webhook: still handling after %.0f s, answered 200", ANSWER_WITHIN)
        except Exception:
            log.exception("OK webhook: the update was not handled")  # the editors were told
            return web.Response(status=500, text="not handled")  # OK sends it again
        return web.json_response({"ok": True})

    async def drain(self) -> None:
        """Updates still being handled finish before the desk stops."""
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
