"""One pace per token across every instance, through Redis (`[redis] url`).

Each instance still paces its own calls (networks/ratelimit.py: aiolimiter, in process); with
Redis configured, every call also takes its turn from a budget kept in Redis, so K instances on
one token together stay within the network's limit instead of each using all of it. The budget
is GCRA (the "generic cell rate algorithm", a leaky bucket as one timestamp): for a rate of n
calls in t seconds, a call is allowed when the token's "theoretical arrival time" is at most
t·(n−1)/n ahead of now, and moves it on by t/n. The whole step is one Lua script, so instances
never race, and the time is Redis's own (`TIME`), so their clocks need not agree. A rate that
is a network's window ("n in any t seconds", networks/window.py) is kept in Redis as the last n
calls' moments: a call goes when fewer than n went in the last t seconds, else sleeps until the
oldest of them is t old and asks again, so together the instances make n in any t, no more.
Without Redis the pace is per process: two instances on one token may together send up to twice
the limit, and the networks' refusals (429 `retry_after`, VK error 6) are then waited out.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError

from networks.window import MARGIN

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

# A sliding window (networks/window.py), shared: KEYS[1] the moments of the last `count` calls,
# oldest first; ARGV[1]: count, ARGV[2]: the window's seconds (with its margin). Returns 0 when
# the call may go now (its moment, Redis's now, is kept), else the seconds until it may, as text.
WINDOW = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local count = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local turns = redis.call('LRANGE', KEYS[1], 0, -1)
if #turns >= count then
  local wait = tonumber(turns[#turns - count + 1]) + span - now
  if wait > 0 then return tostring(wait) end
end
local stamp = string.format('%.6f', now)
redis.call('RPUSH', KEYS[1], stamp)
redis.call('LTRIM', KEYS[1], -count, -1)
redis.call('PEXPIRE', KEYS[1], math.ceil(span * 1000) + 1000)
return 'go ' .. stamp
"""

# A call written down at ARGV[3] only went now: its moment moves to now (the newest, last).
RESTAMP = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
if redis.call('LREM', KEYS[1], 1, ARGV[3]) == 1 then
  redis.call('RPUSH', KEYS[1], string.format('%.6f', now))
  redis.call('LTRIM', KEYS[1], -tonumber(ARGV[1]), -1)
  redis.call('PEXPIRE', KEYS[1], math.ceil(tonumber(ARGV[2]) * 1000) + 1000)
end
return 1
"""


@dataclass(frozen=True)
class Stamp:
    """A call's moment in a shared window, as Redis wrote it down."""

    name: str
    args: list[Any]
    moment: str


class SharedBudget:
    """The Redis side of the pacing; made once per event loop by `networks.ratelimit`."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = Redis.from_url(url)
        self._script = self._redis.register_script(GCRA)
        self._window = self._redis.register_script(WINDOW)
        self._restamp = self._redis.register_script(RESTAMP)
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
        window: bool = False,
    ) -> list[Stamp]:
        """Wait for this call's turn (`cost` turns) in the token's shared budget for `key`;
        `before_sleep()` first when it has to wait (bot/wire.py: "nothing out" on disk).
        `window`: count in any `seconds` (networks/window.py), not a leaky bucket; then the
        moments written down for it are returned, for `restamp`."""
        name = f"{self._prefix}:pace:{token}:{key if key is not None else '*'}"
        if window:
            script, args = self._window, [max(1, int(count)), seconds + MARGIN]
            name += ":w"
        else:
            script, args = self._script, [seconds / count, seconds / count * (count - 1)]
        stamps: list[Stamp] = []
        for _ in range(max(1, round(cost))):
            while True:
                try:
                    answer = (await script(keys=[name], args=args)).decode()
                except (RedisError, OSError) as exc:
                    if not self.failed:
                        log.warning("shared pacing unavailable, pacing per process: %s", exc)
                    self.failed = True
                    return stamps
                self.failed = False
                if answer.startswith("go "):
                    stamps.append(Stamp(name, args, answer[3:]))
                    break
                wait = float(answer)
                if wait <= 0:
                    break
                if before_sleep is not None:
                    await before_sleep()
                await asyncio.sleep(wait)
        return stamps

    async def restamp(self, stamps: list[Stamp]) -> None:
        """These calls only went now (networks/window.py, `SlidingWindow.restamp`)."""
        try:
            for stamp in stamps:
                await self._restamp(keys=[stamp.name], args=[*stamp.args, stamp.moment])
        except (RedisError, OSError) as exc:
            log.warning("shared pacing: a call's moment not moved: %s", exc)

    async def close(self) -> None:
        await self._redis.aclose()
