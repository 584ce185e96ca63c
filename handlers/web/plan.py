"""GET /plan/<token>.ics and /plan/<token>.html (?week=YYYY-MM-DD): the plan outside the chat.

A revoked or unknown token gets the same plain 404 as a wrong address, so a link says nothing
about whether it ever worked.
"""

from __future__ import annotations

import logging
from datetime import date

from aiohttp import web

from bot.plan_feed import FeedLinks

log = logging.getLogger(__name__)


class PlanWeb:
    def __init__(self, links: FeedLinks, host: str, port: int, public_url: str = "") -> None:
        self._links = links
        self._host = host
        self._port = port
        self._public_url = public_url.rstrip("/")
        self._runner: web.AppRunner | None = None
        self.port = port

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_get("/plan/{token}.ics", self.feed)
        app.router.add_get("/plan/{token}.html", self.page)
        return app

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app(), access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self._host, self._port)
        await site.start()
        self.port = self._runner.addresses[0][1]
        self._links.base_url = self._public_url or f"http://{self._host}:{self.port}"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def feed(self, request: web.Request) -> web.Response:
        if not await self._links.valid(request.match_info["token"]):
            raise web.HTTPNotFound()
        body = await self._links.calendar()
        return web.Response(
            body=body,
            content_type="text/calendar",
            charset="utf-8",
            headers={"Cache-Control": "no-store"},
        )

    async def page(self, request: web.Request) -> web.Response:
        token = request.match_info["token"]
        if not await self._links.valid(token):
            raise web.HTTPNotFound()
        week = None
        if raw := request.query.get("week"):
            try:
                week = date.fromisoformat(raw)
            except ValueError:
                raise web.HTTPBadRequest(text="Неверная дата недели: нужна ГГГГ-ММ-ДД.") from None
        text = await self._links.page(token, week)
        return web.Response(text=text, content_type="text/html", charset="utf-8")
