"""What the emulators share: copies, change notices, their server, faults, rate windows."""

from __future__ import annotations

import asyncio
import copy
import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from aiohttp import web

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


class Changes:
    """Change notices: whoever waits on a change wakes, and subscribers (the sandbox page's
    streams) get what changed. An emulator is one itself (OK, MAX), or its state is (VK, Graph)."""

    def __init__(self) -> None:
        super().__init__()
        self._changed = asyncio.Event()
        self.subscribers: list[asyncio.Queue] = []

    def notify(self, change: dict[str, Any]) -> None:
        """Wake everyone waiting on a change and tell subscribers what changed."""
        self._changed.set()
        self._changed = asyncio.Event()
        for queue in list(self.subscribers):
            queue.put_nowait(change)

    async def wait_changed(self, timeout: float) -> None:  # noqa: ASYNC109
        """Until the next change, or `timeout` seconds."""
        event = self._changed
        try:
            await asyncio.wait_for(event.wait(), timeout)
        except TimeoutError:
            pass

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


async def until(
    changes: Changes,
    predicate: Callable[[], Any],
    timeout: float,  # noqa: ASYNC109
    recheck: float,
) -> Any:
    """The predicate's first true value, checked on every change and at least every `recheck`
    seconds (that also catches conditions on the caller's side, which no emulator announces)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        result = predicate()
        if result:
            return result
        remaining = deadline - loop.time()
        if remaining <= 0:
            raise TimeoutError(f"condition not met within {timeout} s")
        await changes.wait_changed(min(remaining, recheck))


class Watchable(Changes):
    """An emulator that announces its own changes: tests wait on conditions, the sandbox page
    subscribes."""

    recheck_interval = 0.05  # wait_until re-checks at least this often

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 30.0,  # noqa: ASYNC109 - part of the public API; only ends a hung wait
    ) -> Any:
        return await until(self, predicate, timeout, self.recheck_interval)


class WatchesState:
    """An emulator whose `state` announces the changes (VK, Graph): the same wait and
    subscriptions as Watchable, on the state."""

    recheck_interval = 0.05  # wait_until re-checks at least this often
    state: Changes

    async def wait_until(
        self,
        predicate: Callable[[], Any],
        timeout: float = 30.0,  # noqa: ASYNC109 - part of the public API; only ends a hung wait
    ) -> Any:
        return await until(self.state, predicate, timeout, self.recheck_interval)

    def subscribe(self) -> asyncio.Queue:
        return self.state.subscribe()

    def unsubscribe(self, queue: asyncio.Queue) -> None:
        self.state.unsubscribe(queue)

    def close_subscribers(self) -> None:
        self.state.close_subscribers()


class Served:
    """An emulator's own aiohttp server (`self.app`) on a port the OS picks; `stopping` is set
    while it stops, which ends requests held by an injected timeout."""

    app: web.Application
    access_log: logging.Logger | None = None  # None: no access log lines

    def __init__(self) -> None:
        super().__init__()
        self.stopping = asyncio.Event()
        self.base_url = ""
        self._runner: web.AppRunner | None = None

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        self.stopping.clear()
        self._runner = web.AppRunner(self.app, shutdown_timeout=1.0, access_log=self.access_log)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        self.base_url = f"http://{host}:{self._runner.addresses[0][1]}"
        return self.base_url

    async def stop(self) -> None:
        self.stopping.set()
        await self._wind_down()
        self.close_subscribers()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _wind_down(self) -> None:
        """What the emulator ends before its server closes (held requests, its own tasks)."""

    def close_subscribers(self) -> None:
        raise NotImplementedError


class Windows:
    """The calls of the last second per key (a token): what an emulated rate limit counts."""

    def __init__(self) -> None:
        self._calls: dict[str, deque[float]] = {}

    def admit(self, key: str, limit: int, now: float) -> bool:
        """Whether one more call fits `limit` a second; a call that fits is counted."""
        window = self._calls.setdefault(key, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            return False
        window.append(now)
        return True

    def clear(self) -> None:
        self._calls.clear()


def dumps(obj: Any) -> str:
    """JSON as the networks send it: Cyrillic as it is (no ASCII escapes)."""
    return json.dumps(obj, ensure_ascii=False)


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
