"""One storage suite per engine: SQLite always; PostgreSQL when PRESSDESK_TEST_PG_URL is set."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from bot.domain import PostState, Role
from storage.db import create_engine, migrate, session_factory
from storage.models import Invite, Person, Post, Publication
from storage.uow import UnitOfWork

PG_URL = os.environ.get("PRESSDESK_TEST_PG_URL")
NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator:
    if request.param == "sqlite":
        engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
        schema = None
    else:
        if not PG_URL:
            pytest.skip(
                "PostgreSQL suite: set PRESSDESK_TEST_PG_URL=postgresql+asyncpg://… to run it"
            )
        schema = f"t_{uuid.uuid4().hex[:10]}"
        admin = create_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.dispose()
        engine = create_engine(PG_URL, connect_args={"server_settings": {"search_path": schema}})
    await migrate(engine)
    await migrate(engine)  # applying twice is a no-op
    yield engine
    await engine.dispose()
    if schema:
        admin = create_engine(PG_URL)
        async with admin.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        await admin.dispose()


@pytest.fixture
def uow_factory(engine):  # type: ignore[no-untyped-def]
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


async def add_person(uow_factory, telegram_id: int, role: Role = Role.editor) -> Person:
    async with uow_factory() as uow:
        person = await uow.people.add(
            Person(full_name="Петрова А. С.", role=role, telegram_id=telegram_id, created_at=NOW)
        )
        await uow.commit()
        return person


async def test_large_telegram_ids_and_aware_times_round_trip(uow_factory) -> None:
    big = 7_000_000_123  # above 2**31: real Telegram ids are
    await add_person(uow_factory, big)
    async with uow_factory() as uow:
        person = await uow.people.by_telegram(big)
        assert (
            person is not None and person.created_at == NOW and person.created_at.tzinfo is not None
        )


async def test_only_one_of_two_concurrent_decisions_wins(uow_factory) -> None:
    editor = await add_person(uow_factory, 1)
    async with uow_factory() as uow:
        post = await uow.posts.add(
            Post(text="t", state=PostState.draft, created_at=NOW, updated_at=NOW)
        )
        await uow.commit()

    async def approve() -> bool:
        async with uow_factory() as uow:
            ok = await uow.posts.move(
                post.id, [PostState.draft], state=PostState.approved, decided_by=editor.id
            )
            await uow.commit()
            return ok

    results = await asyncio.gather(*(approve() for _ in range(5)))
    assert sorted(results) == [False, False, False, False, True]


async def test_invite_is_claimed_once_and_not_after_expiry(uow_factory) -> None:
    admin = await add_person(uow_factory, 1, Role.admin)
    first = await add_person(uow_factory, 2, Role.reporter)
    second = await add_person(uow_factory, 3, Role.reporter)
    async with uow_factory() as uow:
        await uow.invites.add(
            Invite(
                code="abc",
                role=Role.reporter,
                created_by=admin.id,
                created_at=NOW,
                expires_at=NOW + timedelta(hours=72),
            )
        )
        await uow.invites.add(
            Invite(
                code="old",
                role=Role.reporter,
                created_by=admin.id,
                created_at=NOW,
                expires_at=NOW - timedelta(seconds=1),
            )
        )
        await uow.commit()
    async with uow_factory() as uow:
        assert await uow.invites.claim("abc", first.id, NOW)
        assert not await uow.invites.claim("abc", second.id, NOW)
        assert not await uow.invites.claim("old", second.id, NOW)
        await uow.commit()


async def test_nothing_is_written_without_commit(uow_factory) -> None:
    with pytest.raises(RuntimeError):
        async with uow_factory() as uow:
            await uow.people.add(
                Person(full_name="X", role=Role.reporter, telegram_id=5, created_at=NOW)
            )
            raise RuntimeError("handler failed")
    async with uow_factory() as uow:
        assert await uow.people.by_telegram(5) is None


async def test_dialog_steps_are_on_disk_once_flushed(engine) -> None:
    from aiogram.fsm.storage.base import StorageKey

    from storage.fsm import DatabaseStorage

    storage = DatabaseStorage(engine)
    keys = [StorageKey(bot_id=1, chat_id=user, user_id=user) for user in range(1, 21)]
    for key in keys:  # twenty dialogs write at once: one state and data each
        await storage.set_state(key, "ReportDialog:date")
        await storage.set_data(key, {"title": f"Событие {key.user_id}"})
    await storage.flushed()

    reopened = DatabaseStorage(engine)  # nothing cached: what a restarted bot would read
    for key in keys:
        assert await reopened.get_state(key) == "ReportDialog:date"
        assert await reopened.get_data(key) == {"title": f"Событие {key.user_id}"}


async def test_sqlite_statements_run_on_the_event_loop_thread(tmp_path: Path) -> None:
    """The desk's SQLite connection does its work in place, not in aiosqlite's thread (why:
    storage.db.SQLiteOnTheLoop); a different aiosqlite would make this fail, not slow down."""
    import threading

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            raw.driver_connection._conn.create_function("thread", 0, threading.get_ident)
            ran_on = (await conn.execute(text("SELECT thread()"))).scalar_one()
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            await conn.execute(text("INSERT INTO t VALUES (1)"))
            await conn.commit()
            assert (await conn.execute(text("SELECT x FROM t"))).scalar_one() == 1
    finally:
        await engine.dispose()
    assert ran_on == threading.get_ident()


async def test_a_dialog_step_that_failed_to_save_is_reported_once(tmp_path: Path) -> None:
    """Even when the commit failed before anyone waited for it: the next request is refused
    (the person hears "Не получилось" instead of a question whose step is not on disk)."""
    from aiogram.fsm.storage.base import StorageKey

    from storage.fsm import TABLE, DatabaseStorage

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'desk.db'}")
    await migrate(engine)
    storage = DatabaseStorage(engine)
    key = StorageKey(bot_id=1, chat_id=7, user_id=7)
    try:
        assert await storage.get_state(key) is None  # read now: later reads come from memory
        async with engine.begin() as conn:  # and the writes have nowhere to go
            await conn.execute(text(f"DROP TABLE {TABLE.name}"))
        await storage.set_state(key, "ReportDialog:date")
        for _ in range(20):  # let the batch's commit run and fail unobserved
            await asyncio.sleep(0)
        with pytest.raises(Exception, match="no such table"):
            await storage.flushed()
        await storage.flushed()  # told once: the bot can still say it failed
    finally:
        await engine.dispose()


async def test_published_refs_name_our_recent_posts_on_one_network(uow_factory) -> None:
    """What OK and MAX read comments under: published there, recent, newest first, capped."""
    async with uow_factory() as uow:
        for n, (network, state, age) in enumerate(
            [
                ("ok", "published", 1),
                ("ok", "published", 3),
                ("ok", "failed", 1),
                ("ok", "published", 40),
                ("max", "published", 1),
            ]
        ):
            post = await uow.posts.add(
                Post(text=f"t{n}", state=PostState.published, created_at=NOW, updated_at=NOW)
            )
            await uow.publications.add(
                Publication(
                    post_id=post.id,
                    network=network,
                    state=state,
                    external_id=f"{network}-{n}",
                    updated_at=NOW - timedelta(days=age),
                )
            )
        await uow.commit()
    async with uow_factory() as uow:
        since = NOW - timedelta(days=14)
        assert await uow.publications.published_refs("ok", since, 10) == ["ok-0", "ok-1"]
        assert await uow.publications.published_refs("ok", since, 1) == ["ok-0"]
        assert await uow.publications.published_refs("max", since, 10) == ["max-4"]


async def test_audit_lines_written_at_once_form_one_chain(uow_factory) -> None:
    """Ten use cases writing audit lines at the same moment (several instances on PostgreSQL):
    the head's row lock orders them, so the chain verifies and has no fork or gap."""
    from storage.audit import verify
    from storage.models import AuditLog

    async def write(n: int) -> None:
        async with uow_factory() as uow:
            await uow.audit.write(AuditLog(at=NOW, actor_ref="system", action=f"test.{n}"))
            await asyncio.sleep(0)  # let the others reach the head meanwhile
            await uow.commit()

    await asyncio.gather(*(write(n) for n in range(10)))
    async with uow_factory() as uow:
        verdict = await verify(uow.session, AuditLog)
    assert verdict.ok, verdict.problems
    assert verdict.lines == 10


async def test_audit_lines_written_before_the_chain_are_chained_by_the_migration(
    tmp_path: Path,
) -> None:
    """An office upgrading keeps its old lines: 0004 chains them in the order they were written."""
    from alembic import command

    from storage.audit import verify
    from storage.db import alembic_config
    from storage.models import AuditLog

    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'old.db'}")
    async with engine.begin() as conn:
        await conn.run_sync(lambda c: command.upgrade(alembic_config(c), "0003"))
        for n in range(3):
            await conn.execute(
                text(
                    "INSERT INTO auditlog (at, actor_ref, action, object_ref, details) "
                    "VALUES (:at, 'tg:5555', :action, '', 'старая строка')"
                ),
                {"at": NOW + timedelta(minutes=n), "action": f"old.{n}"},
            )
    await migrate(engine)
    async with UnitOfWork(session_factory(engine)) as uow:
        await uow.audit.write(AuditLog(at=NOW, actor_ref="system", action="new"))
        await uow.commit()
        verdict = await verify(uow.session, AuditLog)
    await engine.dispose()
    assert verdict.ok, verdict.problems
    assert verdict.lines == 4
