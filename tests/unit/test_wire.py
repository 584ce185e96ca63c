"""bot.wire seen through networks.ratelimit: a publication's row is marked "waiting, nothing
out" only before a sleep, cleared before the request goes, and never on the fast path."""

from __future__ import annotations

import pytest
from vkbottle import VKAPIError

from bot.wire import WIRE, LostClaim, Wire
from networks.ratelimit import Pace, Rate, vk_refused


class SlowDown(Exception):
    pass


def sorter(exc: BaseException) -> float | None:
    return 0.05 if isinstance(exc, SlowDown) else None


class Disk:
    """What the row says, as the outbox's writes would leave it."""

    def __init__(self, ours: bool = True) -> None:
        self.writes: list[bool] = []
        self.ours = ours

    async def mark(self, waiting: bool) -> bool:
        self.writes.append(waiting)
        return self.ours


async def paced(pace: Pace, wire: Wire, request: object, **kwargs: object) -> object:
    token = WIRE.set(wire)
    try:
        return await pace.call(request, retry_after=sorter, **kwargs)  # type: ignore[arg-type]
    finally:
        WIRE.reset(token)


async def test_the_fast_path_writes_nothing() -> None:
    disk = Disk()
    wire = Wire(disk.mark)

    async def request() -> str:
        return "sent"

    assert await paced(Pace(Rate(10, 1.0)), wire, request) == "sent"
    assert disk.writes == [] and wire.out


async def test_a_full_bucket_marks_the_row_before_the_wait_and_clears_it_before_the_request() -> (
    None
):
    disk = Disk()
    pace = Pace(Rate(1, 0.1))
    seen: list[list[bool]] = []

    async def request() -> str:
        seen.append(list(disk.writes))  # what was on disk when the request left
        return "sent"

    await paced(pace, Wire(disk.mark), request)
    await paced(pace, Wire(disk.mark), request)  # the bucket is full: this one waits
    assert seen == [[], [True, False]]


async def test_a_refused_request_then_a_wait_is_nothing_out() -> None:
    disk = Disk()
    wire = Wire(disk.mark)
    answers = [SlowDown()]

    async def request() -> str:
        if answers:
            raise answers.pop()
        return "sent"

    await paced(Pace(Rate(10, 1.0)), wire, request)
    assert disk.writes == [True, False]  # the 429's wait was marked, cleared before the retry


async def test_after_a_request_that_may_have_been_applied_a_wait_marks_nothing() -> None:
    disk = Disk()
    wire = Wire(disk.mark)
    answers = [SlowDown()]

    async def request() -> str:
        if answers:
            raise answers.pop()
        return "sent"

    await paced(Pace(Rate(10, 1.0)), wire, request, refused=lambda exc: False)
    assert disk.writes == [] and wire.out


async def test_a_row_taken_over_while_it_waited_sends_nothing() -> None:
    disk = Disk(ours=False)
    wire = Wire(disk.mark)
    pace = Pace(Rate(1, 0.1))
    sent: list[str] = []

    async def request() -> str:
        sent.append("x")
        return "sent"

    await paced(pace, Wire(Disk().mark), request)
    with pytest.raises(LostClaim):
        await paced(pace, wire, request)
    assert sent == ["x"] and wire.lost


def test_vk_refusals() -> None:
    assert vk_refused(VKAPIError[6](error_msg="Too many requests per second"))
    assert vk_refused(VKAPIError[9](error_msg="Flood control"))
    assert not vk_refused(VKAPIError[10](error_msg="Internal server error"))
