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


class Trace:
    """Samples the outbox and logs the VK emulator's answers while a run goes."""

    def __init__(self, ledger: Ledger, vk: Any) -> None:
        self.ledger = ledger
        self.claims: dict[int, list[list[Any]]] = {}  # row id -> [instance, attempt, seen, waited]
        self.events: list[tuple[float, str]] = []
        self.calls: list[tuple[float, str, str, int]] = []  # moment, method, guid, error (0: ok)
        self._task: asyncio.Task | None = None
        self._wrap(vk)

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
            "vk_refusals": refusals,
        }
        with path.open("w", encoding="utf-8") as out:
            out.write(json.dumps(head, ensure_ascii=False) + "\n")
            for line in lines:
                out.write(json.dumps(line, ensure_ascii=False) + "\n")
