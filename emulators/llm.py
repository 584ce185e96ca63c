"""An OpenAI-compatible chat-completions endpoint on loopback, for the second opinion's tests and
bench. It answers like a moderation model would: a violation when the comment holds one of the
configured words, with `usage.total_tokens` counted as a quarter of the characters sent, after an
optional delay; it keeps every request it got. It can also answer with an error status or with
text that is not JSON.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web


@dataclass
class LLMEmulator:
    violation_words: tuple[str, ...] = ("дебил", "сука", "заработок", "убью", "сжечь")
    delay_seconds: float = 0.0
    status: int = 200
    garbage: bool = False
    key: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    _runner: web.AppRunner | None = None
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/v1/chat/completions", self._complete)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    async def _complete(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"body": body, "authorization": request.headers.get("Authorization")})
        if self.key and request.headers.get("Authorization") != f"Bearer {self.key}":
            return web.json_response({"error": {"message": "bad key"}}, status=401)
        if self.delay_seconds:
            await asyncio.sleep(self.delay_seconds)  # the emulated model's thinking time
        if self.status != 200:
            return web.json_response({"error": {"message": "unavailable"}}, status=self.status)
        text = body["messages"][-1]["content"].lower()
        violation = any(word in text for word in self.violation_words)
        reason = "оскорбление или реклама" if violation else "резко, но без нарушений"
        content = (
            "не знаю"
            if self.garbage
            else json.dumps({"violation": violation, "reason": reason}, ensure_ascii=False)
        )
        sent = sum(len(m["content"]) for m in body["messages"])
        return web.json_response(
            {
                "id": f"chatcmpl-{len(self.requests)}",
                "object": "chat.completion",
                "model": body.get("model", ""),
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content}}],
                "usage": {"total_tokens": sent // 4 + len(content) // 4},
            }
        )
