"""One pace per token across every instance, through Redis (`[redis] url`).

Each instance still paces its own calls (networks/ratelimit.py: aiolimiter, in process); with
Redis configured, every call also takes its turn from a budget kept in Redis, so K instances on
one token together stay within the network's limit instead of each using all of it. The budget
is GCRA (the "generic cell rate algorithm", a leaky bucket as one timestamp): for a rate of n
calls in t seconds, a call is allowed when the token's "theoretical arrival time" is at most
t·(n−1)/n ahead of now, and moves it on by t/n. The whole step is one Lua script, so instances
never race, and the time is Redis's own (`TIME`), so their clocks need not agree.
Without Redis the pace is per process: two instances on one token may together send up to twice
the limit, and the networks' refusals (429 `retry_after`, VK error 6) are then waited out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

log = logging.getLogger(__name__)

# KEYS[1]: the budget; ARGV[1]: seconds per call (t/n); ARGV[2]: burst tolerance t·(n−1)/n.
# Returns 0 when the call may go now (and takes its turn), else the seconds to wait, as text.
GCRA = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local interval = tonumber(ARGV[1])
local burst = tonumber(ARGV[2])
local tat = tonumber(redis.call('GET', KEYS[1]) or now)
if tat < now then tat = now end
local wait = tat - burst - now
if wait > 0 then return tostring(wait) end
local new = tat + interval
redis.call('SET', KEYS[1], tostring(new), 'PX', math.ceil((new - now) * 1000) + 1000)
return '0'
"""


class SharedBudget:
    """The Redis side of the pacing; made once per event loop by `networks.ratelimit`."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = Redis.from_url(url)
        self._script = self._redis.register_script(GCRA)
        self._prefix = prefix
        self.failed = False  # Redis went away: paced per process until it answers again

    async def take(
        self,
        token: str,
        key: Any,
        count: float,
        seconds: float,
        cost: float,
        before_sleep: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Wait for this call's turn (`cost` turns) in the token's shared budget for `key`;
        `before_sleep()` first when it has to wait (bot/wire.py: "nothing out" on disk)."""
        name = f"{self._prefix}:pace:{token}:{key if key is not None else '*'}"
        interval = seconds / count
        burst = interval * (count - 1)
        for _ in range(max(1, round(cost))):
            while True:
                try:
                    wait = float(await self._script(keys=[name], args=[interval, burst]))
                except (RedisError, OSError) as exc:
                    if not self.failed:
                        log.warning("shared pacing unavailable, pacing per process: %s", exc)
                    self.failed = True
                    return
                self.failed = False
                if wait <= 0:
                    break
                if before_sleep is not None:
                    await before_sleep()
                await asyncio.sleep(wait)

    async def close(self) -> None:
        await self._redis.aclose()
