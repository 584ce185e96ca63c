"""bot/instances.py on each engine: several instances on one database without one Redis are
told to the IT person in Russian (the admins' alert, `pressdesk doctor`); with Redis, nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.instances import ALERT_KEY, Presence, problem_now
from storage.db import session_factory
from storage.uow import UnitOfWork
from tests.storage.test_storage import engine  # noqa: F401 - the fixture: SQLite, PostgreSQL

NOW = datetime(2026, 12, 1, 23, 0, tzinfo=UTC)


@pytest.fixture
def uows(engine):  # type: ignore[no-untyped-def]  # noqa: F811
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


class Admins:
    def __init__(self) -> None:
        self.told: list[tuple[str, str]] = []
        self.resolved: list[str] = []

    async def once(self, key: str, text: str) -> bool:
        self.told.append((key, text))
        return True

    def resolve(self, key: str) -> None:
        self.resolved.append(key)


def presence(uows, name: str, redis: bool, admins: Admins, at: list[datetime]) -> Presence:  # type: ignore[no-untyped-def]
    return Presence(uows, name, redis, lambda: at[0], 15.0, admins.once, admins.resolve)


async def test_a_second_instance_without_redis_is_told_and_doctor_says_so(uows) -> None:  # type: ignore[no-untyped-def]
    clock = [NOW]
    admins = Admins()
    first = presence(uows, "host-a:10:aaaaaa", False, admins, clock)
    assert await first.beat() is None  # alone: nothing to share
    assert admins.told == [] and admins.resolved == [ALERT_KEY]

    clock[0] = NOW + timedelta(seconds=5)
    second = presence(uows, "host-b:11:bbbbbb", False, admins, clock)
    problem = await second.beat()
    assert problem is not None and "[redis] url" in problem and "Redis" in problem
    assert "host-a:10:aaaaaa" in problem and "host-b:11:bbbbbb" in problem
    assert admins.told == [(ALERT_KEY, problem)]
    async with uows() as uow:
        assert await problem_now(uow, clock[0], 15.0) == problem  # what doctor prints


async def test_instances_sharing_redis_or_long_gone_are_no_problem(uows) -> None:  # type: ignore[no-untyped-def]
    clock = [NOW]
    admins = Admins()
    await presence(uows, "host-a:10:aaaaaa", False, admins, clock).beat()
    clock[0] = NOW + timedelta(minutes=5)  # the first one stopped beating long ago
    assert await presence(uows, "host-b:11:bbbbbb", True, admins, clock).beat() is None
    await presence(uows, "host-c:12:cccccc", True, admins, clock).beat()
    async with uows() as uow:
        assert await problem_now(uow, clock[0], 15.0) is None  # two running, both with Redis
    assert admins.told == []


async def test_an_instance_stopped_cleanly_is_not_counted_at_its_restart(uows) -> None:  # type: ignore[no-untyped-def]
    clock = [NOW]
    admins = Admins()
    before = presence(uows, "host-a:10:aaaaaa", False, admins, clock)
    await before.beat()
    await before.leave()  # stopped; the same process starts the desk again at once
    again = presence(uows, "host-a:10:bbbbbb", False, admins, clock)
    assert await again.beat() is None
    async with uows() as uow:
        assert await problem_now(uow, clock[0], 15.0) is None
    assert admins.told == []
