"""Engine creation and Alembic migrations applied at start."""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path
from typing import Any

import aiosqlite
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import InvalidatePoolError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine
from sqlmodel.ext.asyncio.session import AsyncSession

MIGRATIONS = Path(__file__).parent / "migrations"

# A pooled connection unused this long is pinged before it is handed out (see _ping_when_idle).
PING_AFTER_IDLE_SECONDS = 1.0


class SQLiteOnTheLoop(aiosqlite.Connection):
    """aiosqlite whose calls run at once on the event loop instead of in its own thread.

    A statement on the desk's small local file takes microseconds, while each trip to the thread
    and back costs turns of the event loop: under a burst of reports those turns were most of a
    report's time, and the one connection stayed taken meanwhile (docs/benchmarks.md). The
    thread is still there, to open and close the file."""

    async def _execute(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        if not self._running or self._connection is None:
            raise ValueError("Connection closed")
        return fn(*args, **kwargs)


def _connect_on_the_loop(path: str) -> Callable[[], Awaitable[aiosqlite.Connection]]:
    # Only the file's path is taken from the URL: the pragmas the desk needs are set below.
    async def connect() -> aiosqlite.Connection:
        conn = SQLiteOnTheLoop(
            partial(sqlite3.connect, path, check_same_thread=False), iter_chunk_size=64
        )
        conn._thread.daemon = True  # as SQLAlchemy does for aiosqlite's own connections
        return await conn

    return connect


def create_engine(url: str, **options: Any) -> AsyncEngine:
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    if parsed.get_backend_name() == "sqlite":
        # SQLite has one writer at a time; one shared connection queues work in asyncio, fairly,
        # instead of connections polling the file lock. A use case must therefore never open a
        # second unit of work while it holds one.
        options = {"pool_size": 1, "max_overflow": 0, **options}
        if parsed.database not in (None, "", ":memory:"):
            options = {"async_creator": _connect_on_the_loop(parsed.database), **options}
    engine = create_async_engine(url, **options)
    if parsed.get_backend_name() != "sqlite":
        _ping_when_idle(engine)
    if parsed.get_backend_name() == "sqlite":
        # Foreign keys are off in SQLite unless asked; WAL lets readers and a writer coexist.
        @event.listens_for(engine.sync_engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA journal_mode=WAL")
            # Only another process (the sqlite3 shell, a second bot on the same file) can hold the
            # write lock; the connection waits for it on the event loop, so the bot stalls too.
            cur.execute("PRAGMA busy_timeout=5000")
            # In WAL mode NORMAL cannot corrupt the database; it only skips an fsync per commit.
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()
            # We open transactions ourselves (below); pysqlite's own deferred BEGIN lets a
            # reader upgrade to a writer and fail with "database is locked" under load.
            dbapi_conn.isolation_level = None

        @event.listens_for(engine.sync_engine, "begin")
        def _begin_immediate(conn) -> None:  # type: ignore[no-untyped-def]
            # Take the write lock at the start, so concurrent writers wait (busy_timeout)
            # instead of failing on a stale snapshot.
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def _ping_when_idle(engine: AsyncEngine) -> None:
    """SQLAlchemy's `pool_pre_ping`, but only for a connection that sat unused in the pool.

    The pre-ping on asyncpg is three trips (BEGIN, a ping, ROLLBACK) at every checkout: with a
    publication's three or four units of work, that was as many trips as its own statements.
    A connection the server dropped (a restart, an idle timeout) is one that sat in the pool;
    one used a moment ago is pinged by its own statements. A failed ping invalidates the pool,
    as the pre-ping does, and the checkout takes a fresh connection (SQLAlchemy's "custom
    pessimistic ping" with a checkout event)."""

    @event.listens_for(engine.sync_engine, "checkin")
    def _returned(_dbapi_conn, record) -> None:  # type: ignore[no-untyped-def]
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine.sync_engine, "checkout")
    def _handed_out(dbapi_conn, record, _proxy) -> None:  # type: ignore[no-untyped-def]
        idle_since = record.info.pop("idle_since", None)
        if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
            return  # a new connection, or one in use a moment ago
        try:
            engine.dialect.do_ping(dbapi_conn)
        except Exception as exc:
            raise InvalidatePoolError(f"ping failed: {exc!r}") from exc


def session_factory(engine: AsyncEngine) -> async_sessionmaker[AsyncSession]:
    return async_sessionmaker(engine, class_=AsyncSession, expire_on_commit=False)


def alembic_config(connection=None) -> AlembicConfig:  # type: ignore[no-untyped-def]
    cfg = AlembicConfig()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


async def migrate(engine: AsyncEngine) -> None:
    """Bring the schema to the newest revision (idempotent)."""

    def upgrade(sync_conn) -> None:  # type: ignore[no-untyped-def]
        command.upgrade(alembic_config(sync_conn), "head")

    async with engine.begin() as conn:
        await conn.run_sync(upgrade)
