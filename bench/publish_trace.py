"""bench.publish's `--trace`: where a run's lateness comes from, publication by publication.

While the run goes, the database's in-flight rows are sampled (which instance claimed each row,
from when, whether it waited its turn) and the VK emulator's calls are logged as it answers them
(admitted or refused, with VK's error code). Afterwards one JSON line per publication: its
post's time, the moment the floor has it go, when it was published, its lateness against the
floor's, and its claims; plus the run's events (the kill, the restart, the refusals). Sorted by
the excess over the floor, the head of the file says what the p99 is made of.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import deque
from datetime import datetime
from itertools import pairwise
from pathlib import Path
from typing import Any

from sqlmodel import col, select

from sandbox.processes import Ledger
from storage.models import Publication
from storage.outbox import IN_FLIGHT


def floor_moments(due: dict[int, float], limit: tuple[int, float]) -> dict[int, float]:
    """Each publication's moment in the floor (bench.publish.floor_lateness, per row id)."""
    count, seconds = limit
    sent: deque[float] = deque(maxlen=count)
    moments = {}
    for row_id, at in sorted(due.items(), key=lambda item: (item[1], item[0])):
        moment = max(at, sent[-1]) if sent else at
        if len(sent) == count:
            moment = max(moment, sent[0] + seconds)
        sent.append(moment)
        moments[row_id] = moment
    return moments


def window_waste(
    admits: list[tuple[float, bool]], limit: tuple[int, float], marks: list[float]
) -> dict[str, Any]:
    """How far the calls the network admitted fall short of its window, as it saw them: for each
    admitted call, how much later than the window allowed it came after the call `count` before
    it (a full window: the turn's step over `seconds`). Their sum per chain of turns is what
    the run lost to pace; split at `marks` (the kill, the restart) into the run's phases."""
    count, seconds = limit
    admitted = [t for t, ok in admits if ok]
    steps = [
        (admitted[i], admitted[i] - admitted[i - count] - seconds)
        for i in range(count, len(admitted))
    ]
    busy = sorted(s for _, s in steps if s < 0.5)  # a step of 0.5 s or more: no backlog then

    def pick(q: float) -> float | None:
        return round(busy[min(int(q * len(busy)), len(busy) - 1)] * 1000, 2) if busy else None

    bounds = [float("-inf"), *marks, float("inf")]
    phases = [
        round(sum(s for t, s in steps if lo <= t < hi and s < 0.5) / count, 3)
        for lo, hi in pairwise(bounds)
    ]
    start = admitted[0] if admitted else 0.0
    tens: dict[int, float] = {}
    for t, step in steps:
        if step < 0.5:
            tens[int((t - start) // 10)] = tens.get(int((t - start) // 10), 0.0) + step
    return {
        "admitted": len(admitted),
        "refused": sum(1 for _, ok in admits if not ok),
        "busy_steps": len(busy),
        "step_over_ms": {"p10": pick(0.1), "p50": pick(0.5), "p90": pick(0.9)},
        "lost_s_per_chain": round(sum(busy) / count, 3),
        "lost_s_by_phase": phases,
        "lost_ms_a_second_by_10_s": [
            round(tens.get(i, 0.0) / count * 100, 1) for i in range(max(tens, default=-1) + 1)
        ],
        "idle_steps_s": round(sum(s for _, s in steps if s >= 0.5) / count, 3),
    }


class Trace:
    """Samples the outbox and logs the VK emulator's answers while a run goes."""

    def __init__(self, ledger: Ledger, vk: Any, max_: Any = None) -> None:
        self.ledger = ledger
        self.admits: dict[str, list[tuple[float, bool]]] = {}  # network -> (moment, admitted)
        self.claims: dict[int, list[list[Any]]] = {}  # row id -> [instance, attempt, seen, waited]
        self.events: list[tuple[float, str]] = []
        self.calls: list[tuple[float, str, str, int]] = []  # moment, method, guid, error (0: ok)
        self._task: asyncio.Task | None = None
        self._wrap(vk)
        self._wrap_limits(vk, max_)

    def event(self, what: str) -> None:
        self.events.append((time.time(), what))

    def _wrap(self, vk: Any) -> None:
        dispatcher = vk.dispatcher
        original = dispatcher.call

        async def call(method: str, params: dict[str, str]) -> dict[str, Any]:
            guid = params.get("guid", "")
            try:
                answer = await original(method, params)
            except Exception as exc:
                self.calls.append((time.time(), method, guid, int(getattr(exc, "code", -1))))
                raise
            self.calls.append((time.time(), method, guid, 0))
            return answer

        dispatcher.call = call

    def _wrap_limits(self, vk: Any, max_: Any) -> None:
        """Every call the emulators' rate limits count, as they saw it: admitted or refused."""
        dispatcher = vk.dispatcher
        limit = dispatcher.rate_limit
        vk_log = self.admits.setdefault("vk", [])

        def rate_limit(raw_token: str, token: Any) -> None:
            try:
                limit(raw_token, token)
            except Exception:
                vk_log.append((time.time(), False))
                raise
            vk_log.append((time.time(), True))

        dispatcher.rate_limit = rate_limit
        if max_ is None:
            return
        windows = max_._windows
        admit = windows.admit
        max_log = self.admits.setdefault("max", [])

        def counted(key: str, limit: int, now: float) -> bool:
            admitted = admit(key, limit, now)
            max_log.append((now, admitted))
            return admitted

        windows.admit = counted

    def start(self) -> None:
        self._task = asyncio.create_task(self._sample())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)

    async def _sample(self) -> None:
        query = select(
            Publication.id, Publication.claimed_by, Publication.attempts, Publication.waiting
        ).where(col(Publication.state).in_(IN_FLIGHT))
        while True:
            async with self.ledger.uow() as uow:
                rows = (await uow.session.exec(query)).all()
            now = time.time()
            for row_id, instance, attempt, waiting in rows:
                seen = self.claims.setdefault(row_id, [])
                if not seen or seen[-1][0] != instance or seen[-1][1] != attempt:
                    seen.append([instance, attempt, now, bool(waiting)])
                elif waiting:
                    seen[-1][3] = True
            await asyncio.sleep(0.05)  # a sample of the rows, not a wait on a condition

    def write(
        self,
        path: Path,
        rows: list[Publication],
        times: dict[int, datetime],
        limits: dict[str, tuple[int, float]],
    ) -> None:
        due: dict[str, dict[int, float]] = {}
        for row in rows:
            due.setdefault(row.network, {})[row.id] = times[row.post_id].timestamp()
        floors = {n: floor_moments(d, limits[n]) for n, d in due.items()}
        t0 = min(t.timestamp() for t in times.values())
        sent: dict[str, list[tuple[float, int]]] = {}
        for at, method, guid, error in self.calls:
            if method == "wall.post":
                sent.setdefault(guid, []).append((round(at - t0, 3), error))
        lines = []
        for row in rows:
            at = times[row.post_id].timestamp()
            floor = floors[row.network][row.id]
            done = row.published_at.timestamp() if row.published_at else None
            lines.append(
                {
                    "row": row.id,
                    "post": row.post_id,
                    "network": row.network,
                    "state": row.state,
                    "due": round(at - t0, 3),
                    "floor_at": round(floor - t0, 3),
                    "published": round(done - t0, 3) if done else None,
                    "excess": round(done - floor, 3) if done else None,
                    "attempts": row.attempts,
                    "error": row.error,
                    "claims": [
                        [c[0], c[1], round(c[2] - t0, 3), c[3]] for c in self.claims.get(row.id, [])
                    ],
                    "vk_calls": sent.get(f"pressdesk-post-{row.post_id}", []),
                }
            )
        lines.sort(key=lambda line: -(line["excess"] or 0))
        refusals = [(round(at - t0, 3), m, e) for at, m, _, e in self.calls if e]
        head = {
            "events": [(round(at - t0, 3), what) for at, what in self.events],
            "vk_calls": len(self.calls),
            # The calls that were not posts (what else took turns in the window), when.
            "vk_other_calls": [
                (round(at - t0, 3), method)
                for at, method, _, _ in self.calls
                if method != "wall.post"
            ],
            "vk_refusals": refusals,
            "windows": {
                n: window_waste(log, limits[n], [at for at, _ in self.events])
                for n, log in self.admits.items()
                if log
            },
        }
        # Every call the emulators' limits counted, as (seconds from the first post's time,
        # admitted): where in the window the refusals fall.
        calls = {n: [(round(at - t0, 4), ok) for at, ok in log] for n, log in self.admits.items()}
        path.with_suffix(".calls.json").write_text(json.dumps(calls), encoding="utf-8")
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(head, ensure_ascii=False) + "\n")
            for line in lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
