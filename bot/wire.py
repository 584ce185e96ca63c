"""Whether a publication's request is on the wire: what lets a crash's reconciliation tell
"nothing of it went out" from "it may be out".

The outbox claims a row (`sending`, under a lease) and calls the publisher, whose requests then
wait their turn in the pacing layer (networks/ratelimit.py): for the pace, or for a network's
"slow down" (a 429's `retry_after`). A row cut off during such a wait was never sent; asking the
editor «Возможно, опубликовано» about it would be wrong, and on a network with no idempotency
key it could never be sent on its own. So the outbox sets `WIRE` around `publisher.publish`
and the pacing layer tells it what happens:

* ``await wire.waiting()`` before it sleeps: when nothing of this publication may be out (no
  request went yet, or each one that went was refused, or its part is on disk), the row is
  marked "waiting, nothing out". One write, on the slow path only;
* ``await wire.going()`` right before a request goes: the mark, if set, is cleared first (on
  disk before the request leaves); from then on a request may be out;
* ``wire.refused()`` after a definite refusal (Telegram's 429, VK's 6 and 9, OK's flood
  control, MAX's 429): that request published nothing.

The outbox calls ``wire.recorded()`` once a part's result is on disk (what is out is known).
A mark that cannot be written because the row is no longer this instance's (its lease ran out
and another instance took it over) raises `LostClaim`: the request must not go.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from contextvars import ContextVar


class LostClaim(Exception):
    """The publication is no longer this instance's to send (another one took it over)."""


class Wire:
    """One publication's requests, seen from the pacing layer; `mark(True)` writes "waiting,
    nothing out", `mark(False)` clears it; each answers False when the row is not ours."""

    def __init__(self, mark: Callable[[bool], Awaitable[bool]]) -> None:
        self._mark = mark
        self.out = False  # a request that could publish may be out and is not on disk
        self.marked = False  # the row says "waiting, nothing out"
        self.lost = False  # the row was taken over: nothing more may go
        self.paced = False  # the pacing layer saw this publication's requests at all

    @property
    def nothing_out(self) -> bool:
        """Known from the pacing layer that no request of it may be out (else: unknown)."""
        return self.paced and not self.out

    async def waiting(self) -> None:
        self.paced = True
        if self.out or self.marked:
            return
        await self._write(True)

    async def going(self) -> None:
        self.paced = True
        if self.marked:
            await self._write(False)
        self.out = True

    def refused(self) -> None:
        self.out = False

    def recorded(self) -> None:
        self.out = False

    async def _write(self, waiting: bool) -> None:
        if self.lost or not await self._mark(waiting):
            self.lost = True
            raise LostClaim("публикацию уже взял другой экземпляр бота")
        self.marked = waiting


# Set by the outbox around one `publisher.publish`; None everywhere else.
WIRE: ContextVar[Wire | None] = ContextVar("pressdesk_wire", default=None)
