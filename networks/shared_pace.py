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
from collections import deque
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

# The window's list as every script below reads it: `turns` (moment, entry) of the calls still in
# the window and the bookings not STALE, except the entry ARGV[4] (the caller's own booking,
# `mine`: its moment, nil when absent). ARGV[1]: count, ARGV[2]: the window's seconds (with its
# margin), ARGV[3]: STALE.
READ_WINDOW = """
local now = redis.call('TIME')
now = tonumber(now[1]) + tonumber(now[2]) / 1000000
local count = tonumber(ARGV[1])
local span = tonumber(ARGV[2])
local stale = tonumber(ARGV[3])
local turns = {}
local mine = nil
for _, raw in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local booked = string.sub(raw, 1, 1) == 'b'
  local t = tonumber(booked and string.sub(raw, 2) or raw)
  if mine == nil and raw == ARGV[4] then
    mine = t
  elseif t > now - span and not (booked and t < now - stale) then
    turns[#turns + 1] = {t, raw}
  end
end
"""
# ... and writes back, in order, `turns` with the entry `raw` at moment `at` added.
WRITE_WINDOW = """
turns[#turns + 1] = {at, raw}
table.sort(turns, function(a, b) return a[1] < b[1] end)
redis.call('DEL', KEYS[1])
for _, turn in ipairs(turns) do redis.call('RPUSH', KEYS[1], turn[2]) end
redis.call('PEXPIRE', KEYS[1], math.ceil((at - now + span) * 1000) + 1000)
"""

# A sliding window (networks/window.py), shared, as reservations: KEYS[1] holds the moments of
# the calls that went ("%.6f") or are booked to go ("b%.6f"), none older than the window; ARGV[1]:
# count, ARGV[2]: the window's seconds (with its margin), ARGV[3]: how long after its moment a
# booking not confirmed still holds its turn (STALE). Each call books the first moment the window
# allows after every call booked before it, and is told how long until then: the calls of every
# instance go in the order they asked (when each asked again after a sleep instead, the one
# whose sleep ended first took the turn, and a call could lose turn after turn), and each sleeps
# once, to its own moment, so none comes late for having asked again. A booking STALE past its
# moment belongs to an instance that died (or whose loop stalls; its confirm then waits for a
# free turn): the turn is free again, where it stayed counted as a call before, and a killed
# instance's few bookings cost every second after it as many calls (4 of MAX's 30) for good.
# Returns "booking seconds".
BOOK = (
    READ_WINDOW
    + """
table.sort(turns, function(a, b) return a[1] < b[1] end)
local at = now
if #turns >= count then at = math.max(now, turns[#turns - count + 1][1] + span) end
local raw = 'b' .. string.format('%.6f', at)
"""
    + WRITE_WINDOW
    + """
return raw .. ' ' .. tostring(at - now)
"""
)

# The call booked as ARGV[4] goes now: its moment becomes now, if the window of the calls gone
# before it allows (one that left late moves the window on, as the network will count it);
# else it is booked again at the first moment that does, and told how long until then. ARGV[1..3]
# as BOOK's. Returns "go moment" or "wait booking seconds".
CONFIRM = (
    READ_WINDOW
    + """
local past = {}
for _, turn in ipairs(turns) do
  if turn[1] <= now then past[#past + 1] = turn[1] end
end
table.sort(past)
local at = now
if #past >= count then
  local free = past[#past - count + 1] + span
  if free > now then at = free end
end
local raw = string.format('%.6f', at)
if at > now then raw = 'b' .. raw end
"""
    + WRITE_WINDOW
    + """
if at > now then return 'wait ' .. raw .. ' ' .. tostring(at - now) end
return 'go ' .. raw
"""
)

# A booked call still waiting asks whether it may go sooner (ARGV[1..3] as BOOK's, ARGV[4] its
# booking): the first moment from now, not before any call booked before it, that the window of
# the calls booked before it allows. A turn before it freed (a dead instance's booking gone
# STALE) is taken by the first call waiting behind it, and the order stays the order asked: with
# VK's 3 turns a second and 3 senders an instance, nobody else booked meanwhile, the freed turns
# went unused and every post after a kill came a second later. Returns "keep" or "booking
# seconds".
SOONER = (
    READ_WINDOW
    + """
if mine == nil then return 'keep' end
local before = {}
for _, turn in ipairs(turns) do
  if turn[1] <= mine then before[#before + 1] = turn[1] end
end
table.sort(before)
local at = now
if #before > 0 then at = math.max(at, before[#before]) end
if #before >= count then at = math.max(at, before[#before - count + 1] + span) end
if at >= mine - 0.001 then return 'keep' end
local raw = 'b' .. string.format('%.6f', at)
"""
    + WRITE_WINDOW
    + """
return raw .. ' ' .. tostring(at - now)
"""
)

# Seconds past its moment a booking not yet confirmed keeps its turn (BOOK). A live instance
# confirms within milliseconds of its moment: its row's mark is cleared before (bot/wire.py).
STALE = 0.1


@dataclass
class Stamp:
    """A call's booked moment in a shared window, as Redis wrote it down; `wait`: seconds from
    the booking until then; `at`: that moment on this event loop's clock."""

    name: str
    args: list[Any]
    moment: str
    wait: float = 0.0
    at: float = 0.0


class RedisClock:
    """Redis's clock (`TIME`, which every booking is in) on this event loop's, from the calls'
    own answers: the offset seen by the quickest recent round trip. A booked moment taken as
    "the wait from when the answer was read" came late by however long the loop was busy when
    it arrived, and every late call moves its window's turns on for good."""

    def __init__(self, samples: int = 64) -> None:
        # (round trip, Redis minus loop time) of the last `samples` answers
        self._samples: deque[tuple[float, float]] = deque(maxlen=samples)

    def sample(self, sent: float, read: float, redis_now: float) -> None:
        self._samples.append((max(read - sent, 0.0), redis_now - (sent + read) / 2))

    def local(self, redis_moment: float, read: float, wait: float) -> float:
        """The loop's time of `redis_moment`; no earlier than the answer allows (`read` +
        `wait` is never too early: the answer came after Redis's now)."""
        if not self._samples:
            return read + wait
        _, offset = min(self._samples)
        return min(redis_moment - offset, read + wait)


class SharedBudget:
    """The Redis side of the pacing; made once per event loop by `networks.ratelimit`."""

    def __init__(self, url: str, prefix: str) -> None:
        self._redis = Redis.from_url(url)
        self._script = self._redis.register_script(GCRA)
        self._book = self._redis.register_script(BOOK)
        self._confirm = self._redis.register_script(CONFIRM)
        self._sooner = self._redis.register_script(SOONER)
        self._prefix = prefix
        self.failed = False  # Redis went away: paced per process until it answers again
        self.clock = RedisClock()

    def _name(self, token: str, key: Any) -> str:
        return f"{self._prefix}:pace:{token}:{key if key is not None else '*'}"

    def _unavailable(self, exc: Exception) -> None:
        if not self.failed:
            log.warning("shared pacing unavailable, pacing per process: %s", exc)
        self.failed = True

    async def take(
        self,
        token: str,
        key: Any,
        count: float,
        seconds: float,
        cost: float,
        before_sleep: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        """Wait for this call's turn (`cost` turns) in the token's shared leaky bucket for
        `key`; `before_sleep()` first when it has to wait (bot/wire.py: "nothing out" on disk).
        A network's window (`Rate.window`) is booked instead: `book`, then `confirm`."""
        name = self._name(token, key)
        args = [seconds / count, seconds / count * (count - 1)]
        for _ in range(max(1, round(cost))):
            while True:
                try:
                    answer = (await self._script(keys=[name], args=args)).decode()
                except (RedisError, OSError) as exc:
                    self._unavailable(exc)
                    return
                self.failed = False
                wait = float(answer)
                if wait <= 0:
                    break
                if before_sleep is not None:
                    await before_sleep()
                await asyncio.sleep(wait)

    async def book(
        self,
        token: str,
        key: Any,
        count: float,
        seconds: float,
        cost: float,
        margin: float = MARGIN,
    ) -> list[Stamp]:
        """Book `cost` turns in the token's shared window for `key` (count in any `seconds`,
        networks/window.py), in the order asked across instances; the caller sleeps until each
        stamp's `wait` is over, then calls `confirm` right before its request goes. Nothing
        booked (an empty list) when Redis is away. `margin`: added to the window (the network
        counts a call when it arrives, a little after it left)."""
        name = self._name(token, key) + ":w"
        args = [max(1, int(count)), seconds + margin, STALE]
        stamps: list[Stamp] = []
        loop = asyncio.get_running_loop()
        for _ in range(max(1, round(cost))):
            sent = loop.time()
            try:
                answer = (await self._book(keys=[name], args=args)).decode()
            except (RedisError, OSError) as exc:
                self._unavailable(exc)
                return stamps
            self.failed = False
            stamp = Stamp(name, args, "")
            self._booked(stamp, answer, sent, loop.time())
            stamps.append(stamp)
        return stamps

    def _booked(self, stamp: Stamp, answer: str, sent: float, read: float) -> None:
        """A "booking seconds" answer (BOOK, SOONER), asked at `sent` and read at `read` on the
        loop's clock, written into `stamp`."""
        moment, raw_wait = answer.split(" ")
        wait = float(raw_wait)
        booked = float(moment.removeprefix("b"))
        self.clock.sample(sent, read, booked - wait)
        stamp.moment, stamp.wait = moment, max(wait, 0.0)
        stamp.at = self.clock.local(booked, read, stamp.wait)

    async def confirm(self, stamps: list[Stamp]) -> None:
        """These booked calls go now: each moment becomes now, or, when a call before them left
        late (the network counts from when it arrived), they wait until the window allows."""
        for stamp in stamps:
            while True:
                try:
                    answer = (
                        await self._confirm(keys=[stamp.name], args=[*stamp.args, stamp.moment])
                    ).decode()
                except (RedisError, OSError) as exc:
                    self._unavailable(exc)
                    return
                parts = answer.split(" ")
                stamp.moment = parts[1]
                if parts[0] == "go":
                    break
                await asyncio.sleep(float(parts[2]))

    async def sooner(self, stamps: list[Stamp]) -> bool:
        """Whether any of these booked calls, still waiting, moved up into a turn freed before
        it (SOONER); each stamp's `moment` and `at` then say the new one."""
        moved = False
        loop = asyncio.get_running_loop()
        for stamp in stamps:
            sent = loop.time()
            try:
                answer = (
                    await self._sooner(keys=[stamp.name], args=[*stamp.args, stamp.moment])
                ).decode()
            except (RedisError, OSError) as exc:
                self._unavailable(exc)
                return moved
            if answer == "keep":
                continue
            self._booked(stamp, answer, sent, loop.time())
            moved = True
        return moved

    async def release(self, stamps: list[Stamp]) -> None:
        """These calls were refused and give up their turns: the network did not count them, so
        the window must not either (a turn kept by a call that booked anew behind the others
        was one call fewer in that second, and one post a second a whole gap later, for good)."""
        for stamp in stamps:
            try:
                await self._redis.lrem(stamp.name, 1, stamp.moment)
            except (RedisError, OSError) as exc:
                self._unavailable(exc)
                return

    async def close(self) -> None:
        await self._redis.aclose()
