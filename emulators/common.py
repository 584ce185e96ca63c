"""What both emulators share."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")
_IMMUTABLE = (str, int, float, type(None), bytes)


def clone(value: T) -> T:
    """A deep copy of JSON-shaped data (what the emulators keep, send and answer).

    Several times quicker than copy.deepcopy, which the emulator paid on every message it
    stored, emitted or answered; anything not JSON-shaped still goes through deepcopy."""
    if isinstance(value, dict):
        return {key: clone(item) for key, item in value.items()}  # type: ignore[return-value]
    if isinstance(value, list):
        return [clone(item) for item in value]  # type: ignore[return-value]
    if isinstance(value, _IMMUTABLE):
        return value
    return copy.deepcopy(value)


class Watchable:
    """Change notices for an emulator: tests wait on conditions, the sandbox page subscribes."""

    recheck_interval = 0.05  # wait_until re-checks at least this often

    def __init__(self) -> None:
        self._changed = asyncio.Event()
        self.subscribers: list[asyncio.Queue] = []

    def notify(self, change: dict[str, Any]) -> None:
        self._changed.set()
        self._changed = asyncio.Event()
        for queue in list(self.subscribers):
            queue.put_nowait(change)

    def subscribe(self) -> asyncio.Queue:
        queue: asyncio.Queue = asyncio.Queue()
        self.subscribers.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        if queue in self.subscribers:
            self.subscribers.remove(queue)

    def close_subscribers(self) -> None:
        for queue in list(self.subscribers):
            queue.put_nowait(None)

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 5.0,  # noqa: ASYNC109 - part of the public API
    ) -> Any:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"condition not met within {timeout} s")
            event = self._changed
            try:
                await asyncio.wait_for(event.wait(), min(remaining, self.recheck_interval))
            except TimeoutError:
                pass


@dataclass
class Fault:
    """The next `count` calls of `method` ("*" = any) fail: "timeout", "500", "429" or "error"
    (an API error with `code`)."""

    method: str
    kind: str
    count: int = 1
    code: int | str = 0


class Faults:
    def __init__(self) -> None:
        self.pending: list[Fault] = []

    def add(self, fault: Fault) -> None:
        self.pending.append(fault)

    def take(self, method: str) -> Fault | None:
        for fault in self.pending:
            if fault.count > 0 and fault.method in (method, "*"):
                fault.count -= 1
                if fault.count == 0:
                    self.pending.remove(fault)
                return fault
        return None
