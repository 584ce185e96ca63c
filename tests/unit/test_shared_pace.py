"""The pace shared through Redis: two processes' worth of Paces on one token, each with its own
in-process limiter, together keep to the token's rate (needs PRESSDESK_TEST_REDIS_URL)."""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import Awaitable, Callable

import pytest

from networks.ratelimit import Pace, Rate
from networks.shared_pace import SharedBudget

REDIS_URL = os.environ.get("PRESSDESK_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="Redis: set PRESSDESK_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run"
)


async def went_at(waits: list[Callable[[], Awaitable[object]]]) -> list[float]:
    """All the waits at once: when each ended, from the start, in the order they ended."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    moments: list[float] = []

    async def call(wait: Callable[[], Awaitable[object]]) -> None:
        await wait()
        moments.append(loop.time() - started)

    await asyncio.gather(*(call(w) for w in waits))
    return moments


async def two_instances_send(rate: Rate, each: int) -> list[float]:
    """Two processes' worth of Paces (each its own in-process limiter) on one token, shared
    through Redis, each sending `each` calls at once: when each call went, from the start."""
    assert REDIS_URL is not None
    prefix = f"test-{secrets.token_hex(4)}"
    budgets = [SharedBudget(REDIS_URL, prefix), SharedBudget(REDIS_URL, prefix)]
    instances = []
    for budget in budgets:  # what each process holds: its own Pace, the same token
        pace = Pace(rate)
        pace.shared, pace.token = budget, "token-hash"
        instances.append(pace)
    moments = await went_at([p.wait for p in instances for _ in range(each)])
    for budget in budgets:
        await budget.close()
    return moments


async def test_two_instances_on_one_token_share_one_budget() -> None:
    rate = Rate(5, 1.0)  # a burst of 5, then 5 a second, for the token as a whole
    # 20 calls, 10 from each instance: alone, each would pass its own limiter in 1 s;
    # together they may not beat the token's rate: 5 at once, then 15 at 5 a second.
    moments = sorted(await two_instances_send(rate, 10))
    assert moments[-1] >= 15 / 5 - 0.2, moments
    assert sum(1 for m in moments if m < 1.0) <= 5 + 5, moments  # the burst, then 5 a second


async def test_without_redis_each_instance_paces_only_itself() -> None:
    rate = Rate(5, 1.0)
    instances = [Pace(rate), Pace(rate)]
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.gather(*(p.wait() for p in instances for _ in range(5)))
    assert loop.time() - started < 0.5  # 10 calls at once: each process's burst of 5
