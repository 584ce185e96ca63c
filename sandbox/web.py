"""The sandbox's web page: static files, a proxy to the emulators' /_emu/ APIs and one SSE stream.

Everything the visitor does goes to the emulators' own HTTP control APIs (proxied here so the page
needs no CORS); the bot sees it only through getUpdates and the VK long poll, as in production.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from aiohttp import ClientSession, ClientTimeout, web

if TYPE_CHECKING:  # the bot's modules take seconds to import; the page must answer before that
    from sandbox.stage import Stage

STATIC = Path(__file__).parent / "static"
# VK notes every API request and long poll tick; the page only cares about the wall, the
# community's conversations and the answers to pressed buttons.
VK_KINDS = {"post", "post_deleted", "comment", "comment_deleted", "photo", "ban", "unban"}
VK_MESSAGE_KINDS = {"message", "message_edit"}
HOP_HEADERS = {"content-type", "content-disposition", "cache-control"}


class SandboxWeb:
    """The page's server. It answers at once; the demo world is attached when it has started."""

    def __init__(self) -> None:
        self.stage: Stage | None = None
        self.setup: dict[str, Any] | None = None  # what the page learns about the demo world
        self.stopping = asyncio.Event()
        self._power = asyncio.Lock()  # one stop or start at a time
        self._client: ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.app = web.Application(client_max_size=50 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/", self._index),
                web.get("/api/setup", self._setup),
                web.get("/api/events", self._events),
                web.post("/api/digest", self._digest),
                web.post("/api/desk", self._desk),
                web.route("*", "/tg/{path:.*}", self._proxy_tg),
                web.route("*", "/vk/{path:.*}", self._proxy_vk),
                web.route("*", "/graph/{path:.*}", self._proxy_graph),
                web.route("*", "/ok/{path:.*}", self._proxy_ok),
                web.route("*", "/max/{path:.*}", self._proxy_max),
                web.static("/static", STATIC),
            ]
        )

    async def start(self, host: str, port: int) -> str:
        self._client = ClientSession(timeout=ClientTimeout(total=30))
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.url = f"http://{host}:{bound}/"
        return self.url

    def attach(self, stage: Stage, setup: dict[str, Any]) -> None:
        self.stage = stage
        self.setup = setup

    async def stop(self) -> None:
        self.stopping.set()  # ends the open SSE streams before the runner waits for them
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._client is not None:
            await self._client.close()
            self._client = None

    # ----- pages -------------------------------------------------------------------------------

    async def _index(self, request: web.Request) -> web.StreamResponse:
        return web.FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})

    async def _setup(self, request: web.Request) -> web.Response:
        if self.setup is None:
            return web.json_response({"starting": True}, status=503)
        return web.json_response(self.setup, dumps=_dumps)

    async def _digest(self, request: web.Request) -> web.Response:
        """«Прислать сводку сейчас»: the editors' morning digest without waiting for the morning."""
        if self.stage is None or self.stage.app is None:
            raise web.HTTPServiceUnavailable()
        sent = await self.stage.app.moderation.send_digest()
        return web.json_response({"sent": sent})

    async def _desk(self, request: web.Request) -> web.Response:
        """«Остановить бота» / «Запустить бота»: the desk down while the networks go on, so the
        catch-ups at its start can be seen."""
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        body = await request.json() if request.body_exists else {}
        running = bool(body.get("running", True)) if isinstance(body, dict) else True
        async with self._power:
            if running and self.stage.app is None:
                await self.stage.start_app()
            elif not running and self.stage.app is not None:
                await self.stage.stop_app()
        return web.json_response({"running": self.stage.app is not None})

    # ----- proxy to the emulators' control APIs ------------------------------------------------

    async def _proxy_tg(self, request: web.Request) -> web.StreamResponse:
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        return await self._proxy(request, self.stage.tg.base_url)

    async def _proxy_vk(self, request: web.Request) -> web.StreamResponse:
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        return await self._proxy(request, self.stage.vk.base_url)

    async def _proxy_graph(self, request: web.Request) -> web.StreamResponse:
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        return await self._proxy(request, self.stage.graph.base_url)

    async def _proxy_ok(self, request: web.Request) -> web.StreamResponse:
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        return await self._proxy(request, self.stage.ok.base_url, "ok/")

    async def _proxy_max(self, request: web.Request) -> web.StreamResponse:
        if self.stage is None:
            raise web.HTTPServiceUnavailable()
        return await self._proxy(request, self.stage.max.base_url, "max/")

    async def _proxy(self, request: web.Request, base: str, prefix: str = "") -> web.StreamResponse:
        assert self._client is not None
        url = f"{base}/_emu/{prefix}{request.match_info['path']}"
        body = await request.read() if request.body_exists else None
        headers = {}
        if request.content_type and body is not None:
            headers["Content-Type"] = request.headers["Content-Type"]
        async with self._client.request(
            request.method, url, params=request.query, data=body, headers=headers
        ) as upstream:
            data = await upstream.read()
            out = {k: v for k, v in upstream.headers.items() if k.lower() in HOP_HEADERS}
            return web.Response(status=upstream.status, body=data, headers=out)

    # ----- live updates ------------------------------------------------------------------------

    async def _events(self, request: web.Request) -> web.StreamResponse:
        """One stream for the page: which Telegram chat or which VK wall changed."""
        stage = self.stage
        if stage is None:
            raise web.HTTPServiceUnavailable()
        response = web.StreamResponse(
            headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}
        )
        await response.prepare(request)
        merged: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        tg_queue = stage.tg.subscribe()
        vk_queue = stage.vk.subscribe()
        graph_queue = stage.graph.subscribe()
        # OK and MAX: any change of the group feed or the channel reloads that panel.
        feeds = {"ok": stage.ok, "max": stage.max}
        feed_queues = {src: emu.subscribe() for src, emu in feeds.items()}

        async def pump_feed(src: str, queue: asyncio.Queue) -> None:
            while (event := await queue.get()) is not None:
                merged.put_nowait({"src": src, "kind": event.get("kind", "")})

        async def pump_tg() -> None:
            while True:
                event = await tg_queue.get()
                merged.put_nowait({"src": "tg", "type": event["type"], "chat_id": event["chat_id"]})

        async def pump_vk() -> None:
            while True:
                event = await vk_queue.get()
                if event is None:  # the emulator is stopping
                    merged.put_nowait(None)
                    return
                kind = event.get("kind")
                if kind in VK_KINDS:
                    merged.put_nowait({"src": "vk", "kind": kind})
                elif kind in VK_MESSAGE_KINDS:
                    merged.put_nowait({"src": "vk", "kind": kind, "peer_id": event["peer_id"]})
                elif kind == "event_answer":  # the bot answered a pressed callback button
                    keys = ("event_id", "user_id", "event_data")
                    merged.put_nowait({"src": "vk", "kind": kind, **{k: event[k] for k in keys}})

        async def pump_graph() -> None:  # Facebook and Instagram: any change redraws their panels
            while (event := await graph_queue.get()) is not None:
                merged.put_nowait({"src": "graph", "kind": event.get("kind", "")})

        async def stop_on_shutdown() -> None:
            await self.stopping.wait()
            merged.put_nowait(None)

        pumps = [pump_tg(), pump_vk(), pump_graph()]
        pumps += [pump_feed(s, q) for s, q in feed_queues.items()]
        tasks = [asyncio.create_task(c) for c in (*pumps, stop_on_shutdown())]
        try:
            await response.write(b"retry: 1000\n\n")
            while True:
                try:
                    event = await asyncio.wait_for(merged.get(), 15)
                except TimeoutError:
                    await response.write(b": keep-alive\n\n")
                    continue
                if event is None:
                    break
                await response.write(f"data: {_dumps(event)}\n\n".encode())
        except ConnectionResetError:
            pass  # the page went away
        finally:
            for task in tasks:
                task.cancel()
            with contextlib.suppress(Exception):
                await asyncio.gather(*tasks, return_exceptions=True)
            stage.tg.unsubscribe(tg_queue)
            stage.vk.unsubscribe(vk_queue)
            stage.graph.unsubscribe(graph_queue)
            for src, queue in feed_queues.items():
                feeds[src].unsubscribe(queue)
        return response


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False)
