"""The desk's own HTTP server (aiohttp): /healthz, /metrics, and the routes features add.

One server per instance, so every feature that needs a URL (webhooks, the plan's calendar feed,
the public registry page, media links for Instagram) adds its routes here with `add_routes()`
before `start()`, instead of opening a port of its own. `[web] public_base_url` is where the
outside world reaches it (behind the office's reverse proxy); links the desk hands out use it.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable, Iterable

from aiohttp import web

from bot import metrics
from bot.health import Health

log = logging.getLogger(__name__)


class WebServer:
    def __init__(
        self,
        health: Health,
        refresh_metrics: Callable[[], Awaitable[None]] | None = None,
        client_max_size: int = 50 * 1024 * 1024,
    ) -> None:
        self.health = health
        self._refresh_metrics = refresh_metrics
        self.app = web.Application(client_max_size=client_max_size)
        self.app.add_routes(
            [web.get("/healthz", self._healthz), web.get("/metrics", self._metrics)]
        )
        self._runner: web.AppRunner | None = None
        self.url = ""

    def add_routes(self, routes: Iterable[web.AbstractRouteDef]) -> None:
        self.app.add_routes(list(routes))

    async def start(self, host: str, port: int) -> str:
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}"
        log.info("HTTP: %s (/healthz, /metrics)", self.url)
        return self.url

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _healthz(self, request: web.Request) -> web.Response:
        body = {"ok": self.health.ok, "components": self.health.snapshot()}
        return web.Response(
            text=json.dumps(body, ensure_ascii=False),
            status=200 if self.health.ok else 503,
            content_type="application/json",
        )

    async def _metrics(self, request: web.Request) -> web.Response:
        if self._refresh_metrics is not None:
            try:
                await self._refresh_metrics()
            except Exception:  # the database is down: say so in the figures, keep serving
                log.exception("metrics: reading the database failed")
                self.health.report("database", False, "база данных не отвечает")
        for name, state in self.health.snapshot().items():
            metrics.UP.labels(name).set(1 if state["ok"] else 0)
        return web.Response(body=metrics.render(), content_type="text/plain", charset="utf-8")
