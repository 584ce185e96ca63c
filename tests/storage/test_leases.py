"""A lease (storage/leases.py) asked for by two instances at once, on both engines: one yes
between them, renewed by its holder only, taken over once it has run out, given up on a stop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.leases import Turn
from storage.db import session_factory
from storage.uow import UnitOfWork
from tests.storage.test_storage import NOW, engine  # noqa: F401  (fixture)
from tests.storage.test_ticket_races import at_once

LENGTH = timedelta(seconds=10)


def turn(eng: AsyncEngine, holder: str, at: list) -> Turn:
    sessions = session_factory(eng)
    return Turn(lambda: UnitOfWork(sessions), "ok:messages", holder, lambda: at[0], LENGTH)


async def test_one_of_two_instances_asking_at_once_holds_the_lease(engine) -> None:  # noqa: F811
    at = [NOW]
    for _ in range(5):  # free at first, then run out each time: taken anew at once each time

        async def ask(own: AsyncEngine) -> bool:
            return await turn(own, "a" if own is engine else "b", at).mine()

        assert sorted(await at_once(engine, ask)) == [False, True]
        at[0] += LENGTH


async def test_the_holder_renews_and_the_other_takes_over_once_it_runs_out(engine) -> None:  # noqa: F811
    at = [NOW]
    first, second = turn(engine, "first", at), turn(engine, "second", at)
    assert await first.mine() and not await second.mine()
    at[0] += LENGTH - timedelta(seconds=1)
    assert await first.mine()  # renewed: ten seconds more from now
    at[0] += LENGTH - timedelta(seconds=1)
    assert not await second.mine()
    at[0] += timedelta(seconds=2)  # the first stopped renewing (it died)
    assert await second.mine() and not await first.mine()
    await first.give_up()  # not its own: nothing happens
    assert not await first.mine()
    await second.give_up()  # a clean stop: the other takes it at its next run
    assert await first.mine()
