"""Commands that work on the database alone, with the bot not running: `pressdesk audit …`,
`pressdesk registry export`."""

from __future__ import annotations

import sys
from collections.abc import Awaitable, Callable
from datetime import date
from typing import BinaryIO, TextIO, TypeVar

from bot.config import Config
from bot.dates import utcnow
from bot.domain import Role
from bot.journal import Journal, parse_filter
from bot.registry import Registry
from storage.db import create_engine, migrate, session_factory
from storage.models import Person
from storage.uow import UnitOfWork

T = TypeVar("T")
# The command line is run by whoever administers the server: it acts with an admin's rights.
CONSOLE = Person(id=None, full_name="консоль сервера", role=Role.admin, created_at=utcnow())


async def with_db(config: Config, work: Callable[[Callable[[], UnitOfWork]], Awaitable[T]]) -> T:
    engine = create_engine(config.database.url)
    try:
        await migrate(engine)
        sessions = session_factory(engine)
        return await work(lambda: UnitOfWork(sessions))
    finally:
        await engine.dispose()


async def audit_verify(config: Config, out: TextIO | None = None) -> int:
    out = out or sys.stdout

    async def work(uow: Callable[[], UnitOfWork]) -> int:
        verdict = await Journal(uow, config.desk.tz, utcnow).verify()
        if verdict.ok:
            print(f"Журнал действий цел, цепочка не нарушена (записей: {verdict.lines}).", file=out)
            return 0
        print(f"Журнал действий нарушен (записей: {verdict.lines}):", file=out)
        for problem in verdict.problems:
            print(f"  • {problem}", file=out)
        return 1

    return await with_db(config, work)


async def audit_export(config: Config, where: str = "", out: TextIO | None = None) -> int:
    out = out or sys.stdout

    async def work(uow: Callable[[], UnitOfWork]) -> int:
        journal = Journal(uow, config.desk.tz, utcnow)
        data = await journal.csv(CONSOLE, parse_filter(where, date.today(), config.desk.tz))
        out.write(data.decode("utf-8"))
        return 0

    return await with_db(config, work)


async def registry_export(config: Config, fmt: str, out: BinaryIO | None = None) -> int:
    """The registry file to stdout, for the website (`pressdesk registry export --format …`)."""
    out = out or sys.stdout.buffer

    async def work(uow: Callable[[], UnitOfWork]) -> int:
        registry = Registry(uow, config.desk.tz, utcnow, config.registry.organisation)
        out.write(await registry.export(fmt))
        out.flush()
        return 0

    return await with_db(config, work)


async def contest_redraw(config: Config, post_id: int, out: TextIO | None = None) -> int:
    """`pressdesk contest redraw N`: the draw of post N's contest again, from the seed and the
    list kept with it; 0 when it gives the recorded winners, 1 when it does not."""
    from bot.contests import Contests
    from bot.errors import NotFound

    out = out or sys.stdout

    async def work(uow: Callable[[], UnitOfWork]) -> int:
        contests = Contests(uow, _Nobody(), config, utcnow, _no_draft)
        try:
            same, text = await contests.redraw(post_id)
        except NotFound as exc:
            print(exc.message, file=out)
            return 2
        print(text, file=out)
        return 0 if same else 1

    return await with_db(config, work)


class _Nobody:
    """The command line tells nobody in chat."""

    async def send(self, person: object, card: object) -> None:
        return None

    async def edit(self, ref: object, card: object) -> None:
        return None


async def _no_draft(post_id: int) -> None:
    return None
