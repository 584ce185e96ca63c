"""The editors' decisions as training examples for `pressdesk moderation train`."""

from __future__ import annotations

import asyncio

from storage.db import create_engine, migrate, session_factory
from storage.uow import UnitOfWork


async def _read(database_url: str) -> list[tuple[str, str, bool]]:
    engine = create_engine(database_url)
    try:
        await migrate(engine)
        async with UnitOfWork(session_factory(engine)) as uow:
            return [(e.text, e.head, e.label) for e in await uow.examples.all()]
    finally:
        await engine.dispose()


def local_examples(database_url: str) -> list[tuple[str, str, bool]]:
    """(text, head "toxic"|"spam", label) for every decision kept in the office's database."""
    return asyncio.run(_read(database_url))
