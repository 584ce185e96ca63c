"""Token health: each configured token checked the way its network allows (the adapters'
AccessCheck), told to the admins every morning in plain Russian when something is wrong, and
printed by `pressdesk doctor`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime

from bot.domain import Role
from bot.errors import Denied
from bot.people import audit
from bot.ports import AccessCheck, AccessProblem, Card, Notifier
from bot.registry import Registry
from storage.models import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)
Results = list[tuple[AccessCheck, list[AccessProblem]]]


async def run_checks(checks: Sequence[AccessCheck]) -> Results:
    results: Results = []
    for check in checks:
        try:
            problems = await check.check_access()
        except Exception as exc:
            log.exception("the %s check failed", check.token)
            problems = [
                AccessProblem(f"проверка не удалась ({type(exc).__name__})", "Повторите позже.")
            ]
        results.append((check, problems))
    return results


def report(results: Results, ok_too: bool = False) -> str:
    """The findings as people read them: what is wrong and what to do, network by network."""
    lines = []
    for check, problems in results:
        if not problems:
            if ok_too:
                lines.append(f"✓ {check.title}: в порядке")
            continue
        for p in problems:
            lines.append(f"✗ {check.title}: {p.what}.\n   Что сделать: {p.fix}")
    return "\n".join(lines)


class TokenHealth:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        checks: Sequence[AccessCheck],
        notifier: Notifier,
        registry: Registry,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self.checks = list(checks)
        self._notifier = notifier
        self._registry = registry
        self._clock = clock

    async def check_now(self, actor: Person) -> Results:
        """/doctor in chat (admins only)."""
        if actor.role != Role.admin or not actor.active:
            raise Denied("Это может делать только администратор.")
        return await run_checks(self.checks)

    async def morning(self) -> Results:
        """Check every token, refresh the registry, and tell the admins what is wrong."""
        results = await run_checks(self.checks)
        await self._registry.sync_own()
        await self._registry.record_health(results)
        bad = [(c, p) for c, p in results if p]
        async with self._uow() as uow:
            summary = ", ".join(c.title for c, _ in bad) or "все в порядке"
            await audit(uow, self._clock(), "token.health", details=summary)
            await uow.commit()
            admins = await uow.people.with_roles(["admin"])
        if bad:
            text = "Доброе утро! Проверка ключей доступа к сетям нашла проблемы:\n" + report(bad)
            for admin in admins:
                await self._notifier.send(admin, Card(text))
        return results
