"""How late this instance's event loop runs: every chat, publication and paced call waits on it.

A task sleeps `every` seconds and measures how much later than that it woke. The lag feeds
pressdesk_event_loop_lag_seconds (/metrics); a stall of `stall` seconds or more is logged with
its length, for the IT person reading why a network's turn came late (a window counted from
when calls arrive loses, for good, each turn that a stalled loop let pass)."""

from __future__ import annotations

import asyncio
import logging

from bot import metrics

log = logging.getLogger(__name__)


async def watch_loop(every: float = 0.05, stall: float = 0.1) -> None:
    loop = asyncio.get_running_loop()
    while True:
        before = loop.time()
        await asyncio.sleep(every)
        lag = max(loop.time() - before - every, 0.0)
        metrics.LOOP_LAG_SECONDS.observe(lag)
        if lag >= stall:
            log.warning("event loop stalled %.3f s", lag)
