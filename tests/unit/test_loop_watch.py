"""bot/loop_watch.py: a stalled event loop is measured and its stall logged."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest

from bot import metrics
from bot.loop_watch import watch_loop


def hold(seconds: float) -> None:
    """A callback that keeps the loop from everything else, as a heavy one does."""
    time.sleep(seconds)


def lag_count() -> float:
    return metrics.REGISTRY.get_sample_value("pressdesk_event_loop_lag_seconds_count") or 0.0


async def test_a_stall_is_logged_with_its_length(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.WARNING, logger="bot.loop_watch")
    before = lag_count()
    watcher = asyncio.create_task(watch_loop(every=0.01, stall=0.1))
    try:
        loop = asyncio.get_running_loop()
        await asyncio.sleep(0)  # the watcher starts its first sleep
        loop.call_soon(hold, 0.2)
        deadline = loop.time() + 5
        while not any("stalled" in r.message for r in caplog.records):
            assert loop.time() < deadline, "no stall logged"
            await asyncio.sleep(0.01)
    finally:
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
    stalls = [r.message for r in caplog.records if "stalled" in r.message]
    assert float(stalls[0].split()[3]) >= 0.15, stalls
    assert lag_count() > before
