"""vkbottle's API with VK's request rate kept on our side (a user token may make 3 requests
a second, a community token 20): going faster only earns error 6. Errors 6, 9 and 10 are
waited out and the request made again (networks.ratelimit), within the pace's budget."""

from __future__ import annotations

from typing import Any

from vkbottle import API

from bot.textsize import without_nul
from networks.ratelimit import Pace, Rate, pace_for, vk_refused, vk_retry_after

USER_RPS = 3
GROUP_RPS = 20
MAX_WAIT = 10.0  # seconds of VK's "slow down" a request waits out before it fails


class RateLimitedAPI(API):
    def __init__(self, token: str, base_url: str, rps: int, **kwargs: Any) -> None:
        super().__init__(token, **kwargs)
        self.API_URL = base_url.rstrip("/") + "/"
        # VK counts a token's calls in any one second: the pace takes exactly that window
        # (networks/window.py), not a margin under it (5 % under cost a backlog of 1,000 posts
        # 17 s). The pace is the token's, so every API object on one token shares it.
        rate = Rate(rps, 1.0, window=True)
        self.pace: Pace = pace_for(token, rate, max_wait=MAX_WAIT, network="vk")

    async def request(
        self, method: str, data: dict[str, Any], version: str | None = None
    ) -> dict[str, Any]:
        parent = super().request
        answer = await self.pace.call(
            lambda: parent(method, data, version), retry_after=vk_retry_after, refused=vk_refused
        )
        return without_nul(answer)  # PostgreSQL refuses U+0000; nobody means it
