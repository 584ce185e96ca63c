"""vkbottle's API with VK's request rate kept on our side (a user token may make 3 requests
a second, a community token 20): going faster only earns error 6."""

from __future__ import annotations

import asyncio
import time
from collections import deque
from typing import Any

from vkbottle import API

USER_RPS = 3
GROUP_RPS = 20


class RateLimiter:
    """At most `rate` acquisitions in any window of `per` seconds."""

    def __init__(self, rate: int, per: float = 1.0) -> None:
        self.rate, self.per = rate, per
        self._times: deque[float] = deque()
        self._lock = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._lock:
            while len(self._times) >= self.rate:
                wait = self._times[0] + self.per - time.monotonic()
                if wait <= 0:
                    self._times.popleft()
                    continue
                await asyncio.sleep(wait)
            self._times.append(time.monotonic())


class RateLimitedAPI(API):
    def __init__(self, token: str, base_url: str, rps: int, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self.API_URL = base_url.rstrip("/") + "/"
        # A small margin under VK's limit: VK counts by its own clock, not ours.
        self.limiter = RateLimiter(rps, per=1.05)

    async def request(
        self, method: str, data: dict[str, Any], version: str | None = None
    ) -> dict[str, Any]:
        await self.limiter.acquire()
        return await super().request(method, data, version)
