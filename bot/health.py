"""What is working right now, for /healthz, /queue and the admins.

Components (the database, each network, each chat) report themselves here; the web server shows
the whole picture at /healthz. It holds no history: the audit log and the notices do that.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.dates import utcnow


@dataclass(frozen=True)
class ComponentState:
    ok: bool
    detail: str  # plain Russian, safe to show: never a token or a URL with one
    since: datetime


class Health:
    def __init__(self, clock: Callable[[], datetime] = utcnow) -> None:
        self._clock = clock
        self._states: dict[str, ComponentState] = {}

    def report(self, component: str, ok: bool, detail: str = "") -> bool:
        """Record a component's state; True when it went wrong or came back (so a caller can
        tell a person once, not at every report)."""
        before = self._states.get(component)
        if before is not None and before.ok == ok and before.detail == detail:
            return False
        since = before.since if before is not None and before.ok == ok else self._clock()
        self._states[component] = ComponentState(ok, detail, since)
        return (before is None and not ok) or (before is not None and before.ok != ok)

    def state(self, component: str) -> ComponentState | None:
        return self._states.get(component)

    @property
    def ok(self) -> bool:
        return all(state.ok for state in self._states.values())

    def snapshot(self) -> dict[str, dict[str, object]]:
        return {
            name: {"ok": state.ok, "detail": state.detail, "since": state.since.isoformat()}
            for name, state in sorted(self._states.items())
        }
