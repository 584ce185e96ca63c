"""A sliding-window limiter: at most `count` calls in any `seconds`, as the networks count them.

VK ("3 requests a second"), MAX (~30 a second) and Telegram's chats ("20 messages a minute")
refuse the call that would make more than `count` in the last `seconds`. A leaky bucket of the
same rate (aiolimiter: a burst of `count`, then count/seconds) sends up to 2·count − 1 in one
window under a backlog, so its calls past the burst are refused and waited out; a bucket spaced
with a margin under the rate (no burst) stays under the limit, but below it, and the lateness
that costs grows with the backlog (5 % of 1,000 VK posts: 17 s). This one takes exactly what the
window allows: a burst of `count`, then each call once the call `count` before it is `seconds`
old.

The window holds the moments calls actually went (when the wait ended), not the moments they
were due to: a call that left late (a busy event loop) moves the next window on with it, so the
network never sees `count` + 1 in its second. Calls go in the order they asked (one queue).
"""

from __future__ import annotations

import asyncio
from collections import deque

# Added to the window: the network counts a call when it arrives, a little after it left.
MARGIN = 0.002


class SlidingWindow:
    """The in-process side; `max_rate` and `has_capacity` as aiolimiter's, for the pace."""

    def __init__(self, count: float, seconds: float, margin: float = MARGIN) -> None:
        self.max_rate = count
        self.time_period = seconds
        self._count = max(1, int(count))
        self._span = seconds + margin
        self._sent: deque[float] = deque(maxlen=self._count)  # the last `count` calls' moments
        self._queue = asyncio.Lock()  # fair: the calls waiting go in the order they came

    def _delay(self, now: float, amount: int) -> float:
        """Seconds until `amount` more calls fit the window (0: now)."""
        recent = sorted(t for t in self._sent if t > now - self._span)
        over = len(recent) + amount - self._count
        return 0.0 if over <= 0 else recent[over - 1] + self._span - now

    def _amount(self, amount: float) -> int:
        return min(max(1, round(amount)), self._count)

    def has_capacity(self, amount: float = 1) -> bool:
        """Whether `amount` calls may go now without waiting (nobody is queued before them)."""
        now = asyncio.get_running_loop().time()
        return not self._queue.locked() and self._delay(now, self._amount(amount)) <= 0

    async def acquire(self, amount: float = 1) -> float:
        """Wait for the turn of `amount` calls; the moment they are written down as gone."""
        n = self._amount(amount)
        loop = asyncio.get_running_loop()
        async with self._queue:  # holding it, nobody else adds to the window: one sleep
            delay = self._delay(loop.time(), n)
            if delay > 0:
                await asyncio.sleep(delay)
            now = loop.time()
            self._sent.extend([now] * n)
        return now

    def restamp(self, moment: float) -> None:
        """The calls written down at `moment` only went now (e.g. a row's mark was cleared on
        disk first, bot/wire.py): the window counts them from now, as the network will."""
        now = asyncio.get_running_loop().time()
        self._sent = deque((now if t == moment else t for t in self._sent), maxlen=self._count)
