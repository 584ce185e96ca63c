"""Pacing of every outgoing call: one set of limiters per token (aiolimiter's leaky buckets),
and the network's own "slow down" answers waited out and the call made again.

How an adapter uses it
----------------------
* ``pace = pace_for(token, overall=Rate(20, 1.0))`` — the same token gets the same ``Pace``
  (within the running event loop) wherever it is asked for, so two adapters on one token share
  one budget. The token is only hashed, never kept.
* ``await pace.call(make_request, key=chat_id, cost=1, retry_after=my_sorter)`` waits for the
  overall limiter and, with a ``key``, for that chat's limiter (``per_key`` rates, chosen by
  ``Pace.key_rate``), then calls ``make_request()``. When it raises, ``my_sorter(exc)`` says how
  many seconds the network asked us to wait (``None``: not a rate limit, re-raised at once); the
  key (or everything, without a key) is paused that long and the call made again, until
  ``max_wait`` seconds of waiting are spent; then the last error is raised for the caller to sort
  as temporary. ``await pace.wait(key)`` is the waiting alone, for calls that retry themselves.
* Telegram (aiogram, networks/telegram_pacing.py):
  ``bot.session.middleware(TelegramPacing(pace_for(token, ...)))`` — or
  ``telegram_pacing(token, settings)`` — paces every Bot API request of that ``Bot``: the overall
  limit (~30 requests/s), each message sent to a chat against that chat's limit (private chats
  ~1/s with a small burst, groups and channels 20/min), and a 429 waited out for its
  ``retry_after``. Adapters sharing the application's ``Bot`` are paced with nothing to do.
* VK: ``vk_retry_after(exc)`` sorts VK errors 6 (too many requests per second), 9 (flood
  control) and 10 (internal error) as "wait and retry"; ``networks.vk_api.RateLimitedAPI``
  paces every request of a token with it (a user token 3 requests/s, a community token 20).

Sources: Telegram Bot FAQ "My bot is hitting limits" (1 message/s in a chat, 20/min in a group,
~30/s overall; 429 carries ``parameters.retry_after``); VK API docs, error codes 6/9/10 and the
request rate limits (3/s user token, 20/s community token); aiolimiter's ``AsyncLimiter`` is a
leaky bucket: ``AsyncLimiter(n, t)`` allows a burst of n, then n per t seconds.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiolimiter import AsyncLimiter
from vkbottle import VKAPIError

from bot import metrics
from bot.wire import WIRE, Wire
from networks.shared_pace import SharedBudget, Stamp
from networks.window import MARGIN, SlidingWindow

log = logging.getLogger(__name__)

T = TypeVar("T")
RetryAfter = Callable[[BaseException], float | None]
Refused = Callable[[BaseException], bool]

Limiter = AsyncLimiter | SlidingWindow

# A shared window's margin, learnt from the network's answers: a step wider at each refusal, a
# little narrower at each success, so about one call in REFUSALS is refused. It may go below
# zero: each call's moment in the window is taken a little before the call really leaves (the
# Redis round trip, a busy event loop), and a window kept a full second apart between those
# moments spaces the calls the network sees by that lateness more, every turn (5 ms a turn was
# 1.5 % of MAX's and VK's pace). A refusal costs one call one retry, a millisecond later.
MARGIN_STEP, MARGIN_MOST, MARGIN_LEAST, REFUSALS = 0.001, 0.04, -0.01, 10
RETRY_AFTER_REFUSAL = 0.001
# A call waiting for its booked turn in a shared window asks this often whether a turn before it
# was freed (networks/shared_pace.py SOONER): longer than STALE, so a dead booking is gone by then.
SOONER_EVERY = 0.2

MAX_KEYS = 2000  # idle per-chat limiters beyond this are dropped (they are full again anyway)


@dataclass(frozen=True)
class Rate:
    """At most `count` calls in `seconds`: a leaky bucket (a burst of `count`, then
    count/seconds a second), or with `window` exactly what a network counting calls in any
    `seconds` allows (networks/window.py)."""

    count: float
    seconds: float
    window: bool = False

    def limiter(self) -> Limiter:
        if self.window:
            return SlidingWindow(self.count, self.seconds)
        return AsyncLimiter(self.count, self.seconds)


class Pace:
    """The limiters of one token: an overall one, one per chat (key), and the pauses a network
    asked for (`retry_after`), per key or for everything."""

    def __init__(
        self,
        overall: Rate,
        key_rate: Callable[[Any], Rate] | None = None,
        max_wait: float = 60.0,
    ) -> None:
        self.overall_rate = overall
        self.key_rate = key_rate
        self.max_wait = max_wait
        self._overall = overall.limiter()
        self._keys: dict[Any, Limiter] = {}
        self._paused: dict[Any, float] = {}  # key (None = all) -> loop time it may go again
        self.waited = 0.0  # seconds spent waiting out retry_after, for health and tests
        self.network = ""  # the label of its waits in /metrics (set by pace_for)
        self.shared: SharedBudget | None = None  # with [redis] url: one budget per token
        self.token = ""  # the token's hash (token_key), the shared budget's name
        self._lead = 0.05  # seconds a row's mark takes to clear (see `_until`)
        self.margin = MARGIN  # added to a window booked in Redis; learnt (see MARGIN_STEP)

    def pause(self, seconds: float, key: Any = None) -> None:
        """The network said "wait `seconds`" for this key (None: for every call)."""
        until = asyncio.get_running_loop().time() + max(seconds, 0.0)
        self._paused[key] = max(self._paused.get(key, 0.0), until)

    async def wait(self, key: Any = None, cost: float = 1) -> None:
        """Wait until a call for `key` may go (see `_wait`)."""
        await self._wait(key, cost)

    async def _wait(self, key: Any = None, cost: float = 1) -> list[Stamp]:
        """Wait until a call for `key` may go: pauses first, then the key's and overall limiters;
        the turns it booked in a shared window (confirmed: now its moments there).

        Inside a publication (bot/wire.py) its row is marked "waiting, nothing out" before any
        sleep, and the mark cleared before the call goes; with no sleep, nothing is written."""
        wire = WIRE.get()
        before_sleep = wire.waiting if wire is not None else None
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            until = max(self._paused.get(None, 0.0), self._paused.get(key, 0.0))
            delay = until - loop.time()
            if delay <= 0:
                break
            if wire is not None:
                await wire.waiting()
            await asyncio.sleep(delay)
        local: list[tuple[SlidingWindow, float]] = []
        booked: list[Stamp] = []
        if key is not None and self.key_rate is not None:
            if not self._booked(self.key_rate(key)):
                limiter = self._limiter(key)
                moment = await _acquire(limiter, cost, wire)
                if isinstance(limiter, SlidingWindow) and moment is not None:
                    local.append((limiter, moment))
            stamps = await self._share(key, self.key_rate(key), cost, before_sleep)
            await self._until(stamps, wire, clear=False)
            booked += stamps
        if not self._booked(self.overall_rate):
            moment = await _acquire(self._overall, cost, wire)
            if isinstance(self._overall, SlidingWindow) and moment is not None:
                local.append((self._overall, moment))
        stamps = await self._share(None, self.overall_rate, cost, before_sleep)
        await self._until(stamps, wire, clear=True)
        booked += stamps
        waited = loop.time() - started
        if waited > 0.001:
            metrics.RATE_LIMIT_WAITS.labels(self.network or "other").inc(waited)
        if wire is not None:
            before = loop.time()
            await wire.going()  # at once when `_until` cleared it already
            took = loop.time() - before
            if took > 0.001:
                # The mark was cleared on disk first: the call goes only now, and the network
                # will count it from now; counted from its turn, the call `count` later would
                # come early and be refused.
                for limiter, moment in local:
                    limiter.restamp(moment)
        if booked and self.shared is not None:
            await self.shared.confirm(booked)  # each booked moment becomes when it really went
        return booked

    def _booked(self, rate: Rate) -> bool:
        """A window booked in Redis needs no turn in process first: waiting for it there too
        would come before the booking (out of the instances' order) and with no lead to clear
        the row's mark (see `_until`). Redis away, the process's own window paces again."""
        return rate.window and self.shared is not None and not self.shared.failed

    async def _share(
        self, key: Any, rate: Rate, cost: float, before_sleep: Callable[[], Awaitable[None]] | None
    ) -> list[Stamp]:
        """With [redis] url: this call's turns in the token's shared budget; a window is booked
        (the moments returned, to sleep until), a leaky bucket waited for here."""
        if self.shared is None:
            return []
        if rate.window:
            return await self.shared.book(
                self.token, key, rate.count, rate.seconds, cost, self.margin
            )
        await self.shared.take(self.token, key, rate.count, rate.seconds, cost, before_sleep)
        return []

    async def _until(self, stamps: list[Stamp], wire: Wire | None, clear: bool) -> None:
        """Sleep until the booked moment. Inside a publication the row is marked "waiting,
        nothing out" for a wait longer than the mark takes to write, and (`clear`: the last
        wait before the request) the mark is cleared `_lead` seconds before the moment, so the
        request leaves on time instead of one database write late: in a window counted from
        when calls arrive, every call late moves all the turns after it on."""
        if not stamps:
            return
        loop = asyncio.get_running_loop()
        at = max(s.at for s in stamps)  # on this loop's clock (shared_pace.RedisClock)
        if wire is not None and at - loop.time() > self._lead:
            await wire.waiting()
            if clear:
                at = await self._sleep_until(stamps, at, self._lead)
                before = loop.time()
                await wire.going()
                took = loop.time() - before
                # twice the last write, kept within 10..250 ms
                self._lead = min(max(2 * took, 0.9 * self._lead, 0.01), 0.25)
        await self._sleep_until(stamps, at, 0.0)

    async def _sleep_until(self, stamps: list[Stamp], at: float, ahead: float) -> float:
        """Sleep until `ahead` seconds before `at` (the booked moment); while the sleep is long,
        ask every SOONER_EVERY whether a turn before this call's was freed, and move up into it.
        Returns the moment, moved or not."""
        loop = asyncio.get_running_loop()
        while True:
            rest = at - ahead - loop.time()
            if rest <= 0:
                return at
            if self.shared is None or rest <= SOONER_EVERY:
                await asyncio.sleep(rest)
                return at
            await asyncio.sleep(SOONER_EVERY)
            if await self.shared.sooner(stamps):
                at = max(s.at for s in stamps)

    async def call(
        self,
        make_request: Callable[[], Awaitable[T]],
        *,
        key: Any = None,
        cost: float = 1,
        retry_after: RetryAfter,
        refused: Refused = lambda exc: True,
    ) -> T:
        """`make_request()` paced, and tried again after each "slow down" within `max_wait`.

        `refused(exc)` says whether a "slow down" answer means the request was not applied (all
        of them but VK's error 10 do); inside a publication that request counts as not out."""
        waited = 0.0
        booked: list[Stamp] = []
        again = 0  # refusals in a row on one booked turn
        while True:
            if booked and self.shared is not None:
                # Refused on its booked turn in a shared window: it came a moment early for the
                # network (the margin is wider now); it goes again in the same turn, a moment
                # later, instead of booking anew behind every call booked meanwhile (2 s back
                # in a queue of VK's, and out of its order).
                await asyncio.sleep(RETRY_AFTER_REFUSAL * again)
                await self.shared.confirm(booked)
                if (wire := WIRE.get()) is not None:
                    await wire.going()  # its request is out again from here
            else:
                booked = await self._wait(key, cost)
            try:
                answer = await make_request()
            except Exception as exc:
                seconds = retry_after(exc)
                wire = WIRE.get()
                if seconds is not None and wire is not None and refused(exc):
                    wire.refused()
                if seconds is not None:
                    # Refused for coming early: the calls reach the network with more spread
                    # than the window's margin allows (a loaded machine, a far network).
                    self.margin = min(self.margin + MARGIN_STEP, MARGIN_MOST)
                if seconds is None or waited + seconds > self.max_wait:
                    raise
                waited += seconds
                self.waited += seconds
                log.info("rate limited (%s): waiting %.1f s before trying again", key, seconds)
                again += 1
                if booked and refused(exc) and seconds <= self.overall_rate.seconds and again <= 3:
                    waited -= seconds - RETRY_AFTER_REFUSAL * again  # the same turn, a moment later
                    continue
                if booked and self.shared is not None and refused(exc):
                    await self.shared.release(booked)  # its turns are free for the next call
                booked, again = [], 0  # refused again and again: someone else uses the token
                self.pause(seconds, key)
            else:
                self.margin = max(MARGIN_LEAST, self.margin - MARGIN_STEP / (REFUSALS - 1))
                return answer

    def _limiter(self, key: Any) -> Limiter:
        limiter = self._keys.get(key)
        if limiter is None:
            if len(self._keys) >= MAX_KEYS:
                self._forget_idle()
            assert self.key_rate is not None
            limiter = self._keys[key] = self.key_rate(key).limiter()
        return limiter

    def _forget_idle(self) -> None:
        for key, limiter in list(self._keys.items()):
            if limiter.has_capacity(limiter.max_rate):  # empty bucket: nothing to remember
                del self._keys[key]


async def _acquire(limiter: Limiter, cost: float, wire: Wire | None) -> float | None:
    amount = min(cost, limiter.max_rate)
    if wire is not None and not limiter.has_capacity(amount):
        await wire.waiting()  # the bucket is full: this call will sleep
    return await limiter.acquire(amount)


# One Pace per token and event loop (a limiter belongs to the loop it waits in).
_paces: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, Pace]] = (
    weakref.WeakKeyDictionary()
)


def token_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()[:16]


# With [redis] url, the budgets every instance shares (networks/shared_pace.py), per loop.
_shared: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, SharedBudget] = (
    weakref.WeakKeyDictionary()
)


def share_through_redis(url: str, prefix: str) -> SharedBudget | None:
    """From now on every Pace of this event loop also takes its turns from Redis ("" : not)."""
    loop = asyncio.get_running_loop()
    if not url:
        _shared.pop(loop, None)
        for pace in _paces.get(loop, {}).values():
            pace.shared = None
        return None
    budget = _shared[loop] = SharedBudget(url, prefix)  # a fresh client for each start
    for pace in _paces.get(loop, {}).values():
        pace.shared = budget
    return budget


def pace_for(
    token: str,
    overall: Rate,
    key_rate: Callable[[Any], Rate] | None = None,
    max_wait: float = 60.0,
    network: str = "",
) -> Pace:
    """The Pace of this token, made on first use with these rates."""
    paces = _paces.setdefault(asyncio.get_running_loop(), {})
    key = token_key(token)
    pace = paces.get(key)
    if pace is None:
        pace = paces[key] = Pace(overall, key_rate, max_wait)
        pace.token = key
        pace.shared = _shared.get(asyncio.get_running_loop())
    if network:
        pace.network = network
    return pace


# ----- VK ----------------------------------------------------------------------------------

# VK's "slow down" answers and how long to wait before the next try.
VK_WAITS = {
    # Too many requests per second: the token's window frees a turn within one of its turns
    # (1/3 s for a user token); another instance on the token (no [redis] url) filled it. A
    # whole second, as before, left the instance idle for 3 turns on each refusal.
    6: 1 / 3,
    9: 3.0,  # flood control: too many of the same action
    10: 1.0,  # internal server error
}


def vk_retry_after(exc: BaseException) -> float | None:
    if isinstance(exc, VKAPIError):
        return VK_WAITS.get(exc.code)
    return None


def vk_refused(exc: BaseException) -> bool:
    """Errors 6 and 9 refuse the request; after 10 (an internal error) it may have been applied."""
    return isinstance(exc, VKAPIError) and exc.code in (6, 9)
