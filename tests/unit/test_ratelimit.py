"""networks.ratelimit: per-key and overall pacing, and "slow down" answers waited out."""

from __future__ import annotations

import asyncio

import pytest
from vkbottle import VKAPIError

from networks.ratelimit import Pace, Rate, pace_for, vk_retry_after


class SlowDown(Exception):
    def __init__(self, seconds: float) -> None:
        self.seconds = seconds


def sorter(exc: BaseException) -> float | None:
    return exc.seconds if isinstance(exc, SlowDown) else None


async def test_a_slow_down_answer_is_waited_out_and_the_call_made_again() -> None:
    pace = Pace(Rate(100, 1.0), max_wait=5)
    answers: list[float] = [0.2]  # the first call is refused with "wait 0.2 s"
    calls: list[float] = []
    loop = asyncio.get_running_loop()

    async def request() -> str:
        calls.append(loop.time())
        if answers:
            raise SlowDown(answers.pop())
        return "sent"

    assert await pace.call(request, retry_after=sorter) == "sent"
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.2
    assert pace.waited == pytest.approx(0.2)


async def test_beyond_the_budget_the_error_reaches_the_caller() -> None:
    pace = Pace(Rate(100, 1.0), max_wait=0.5)
    calls = 0

    async def request() -> None:
        nonlocal calls
        calls += 1
        raise SlowDown(0.3)

    with pytest.raises(SlowDown):
        await pace.call(request, retry_after=sorter)
    assert calls == 2  # 0.3 s waited once; a second 0.3 s would pass the 0.5 s budget


async def test_other_errors_are_not_retried() -> None:
    pace = Pace(Rate(100, 1.0))

    async def request() -> None:
        raise KeyError("x")

    with pytest.raises(KeyError):
        await pace.call(request, retry_after=sorter)


async def test_each_chat_is_paced_on_its_own() -> None:
    pace = Pace(Rate(100, 1.0), key_rate=lambda key: Rate(2, 0.2))
    loop = asyncio.get_running_loop()
    start = loop.time()
    done: dict[str, list[float]] = {"a": [], "b": []}

    async def send(key: str) -> None:
        await pace.wait(key)
        done[key].append(loop.time() - start)

    await asyncio.gather(*(send("a") for _ in range(6)), send("b"))
    # a burst of 2, then one every 0.1 s: the sixth message to "a" waits 0.4 s at least
    assert max(done["a"]) >= 0.39
    assert done["b"][0] < 0.05  # another chat does not wait behind "a"


async def test_a_pause_for_one_chat_holds_only_that_chat() -> None:
    pace = Pace(Rate(100, 1.0), key_rate=lambda key: Rate(10, 1.0))
    loop = asyncio.get_running_loop()
    pace.pause(0.3, "a")
    start = loop.time()
    await pace.wait("b")
    assert loop.time() - start < 0.1
    await pace.wait("a")
    assert loop.time() - start >= 0.29


async def test_one_token_one_pace_and_the_token_is_not_kept() -> None:
    first = pace_for("123:SECRET", Rate(3, 1.0))
    assert pace_for("123:SECRET", Rate(20, 1.0)) is first
    assert pace_for("456:OTHER", Rate(3, 1.0)) is not first
    assert "SECRET" not in repr(vars(first))


def test_vk_slow_down_codes() -> None:
    # one turn of the user token's window (3 a second), not a whole second
    assert vk_retry_after(VKAPIError[6](error_msg="Too many requests per second")) == 1 / 3
    assert vk_retry_after(VKAPIError[9](error_msg="Flood control")) is not None
    assert vk_retry_after(VKAPIError[10](error_msg="Internal server error")) is not None
    assert vk_retry_after(VKAPIError[5](error_msg="User authorization failed")) is None


async def test_waits_for_a_rate_limit_are_counted_in_the_metrics() -> None:
    from bot import metrics

    pace = pace_for("789:METRICS", Rate(1, 0.2), network="telegram-test")
    before = metrics.RATE_LIMIT_WAITS.labels("telegram-test")._value.get()
    await pace.wait()
    await pace.wait()  # the second call waits for the first one's 0.2 s
    assert metrics.RATE_LIMIT_WAITS.labels("telegram-test")._value.get() - before > 0.1
