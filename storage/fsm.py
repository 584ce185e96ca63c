"""aiogram FSM storage in the database, so a half-filled report survives a restart.

Reads come from memory after the first load. Writes are group-committed: every write that
arrives while one transaction is running goes into the next one. Under load many dialogs then
share one commit instead of queueing for SQLite's single writer. aiogram's writes return at once
and `flushed()` waits for them: the bot's request middleware calls it before anything goes out
(handlers.telegram.middlewares.StateOnDiskFirst), so the several writes of one step share one
commit and a person never sees a question whose state is not yet on disk. The VK dialog's
`save()` waits itself. It assumes one bot process per database, as the desk runs.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, DefaultKeyBuilder, StateType, StorageKey
from aiogram.fsm.storage.redis import RedisStorage
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from storage.models import FsmRecord

log = logging.getLogger(__name__)
TABLE = FsmRecord.__table__
Entry = tuple[str | None, dict[str, Any]]


def _key(key: StorageKey) -> str:
    parts = (key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id)
    return ":".join("" if part is None else str(part) for part in (*parts, key.destiny))


def _retrieve(future: asyncio.Future[None]) -> None:
    if not future.cancelled():
        future.exception()


class DatabaseStorage(BaseStorage):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        insert = (pg_insert if engine.dialect.name == "postgresql" else sqlite_insert)(TABLE)
        # Built once: SQLAlchemy derives `excluded` anew each time, a measurable cost per step.
        self._upsert = insert.on_conflict_do_update(
            index_elements=[TABLE.c.key],
            set_={"state": insert.excluded.state, "data": insert.excluded.data},
        )
        self._cache: dict[str, Entry] = {}
        self._dirty: dict[str, Entry] = {}
        self._next_commit: asyncio.Future[None] | None = None
        self._last_commit: asyncio.Future[None] | None = None  # covers every write so far
        self._writer: asyncio.Task[None] | None = None

    async def _load(self, key: str) -> Entry:
        if key not in self._cache:
            query = select(TABLE.c.state, TABLE.c.data).where(TABLE.c.key == key)
            async with self._engine.connect() as conn:
                row = (await conn.execute(query)).first()
            self._cache[key] = (row.state, json.loads(row.data)) if row else (None, {})
        return self._cache[key]

    def _save(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        self._cache[key] = self._dirty[key] = (state, data)
        if self._next_commit is None:
            self._next_commit = asyncio.get_running_loop().create_future()
            # Nobody may be waiting for a batch that fails (it is logged below), and asyncio
            # would complain of an error never retrieved.
            self._next_commit.add_done_callback(_retrieve)
        self._last_commit = self._next_commit
        if self._writer is None or self._writer.done():
            self._writer = asyncio.create_task(self._write_batches())

    async def flushed(self) -> None:
        """Return once every write made so far is committed; raise if that commit fails."""
        commit = self._last_commit
        if commit is None:
            return
        if commit.done():
            # Told once: after a failed commit the bot must still be able to speak (the
            # person hears "Не получилось"), and the next write starts a new batch anyway.
            self._last_commit = None
        await asyncio.shield(commit)

    async def _write_batches(self) -> None:
        while self._dirty:
            batch, self._dirty = self._dirty, {}
            committed, self._next_commit = self._next_commit, None
            try:
                await self._write(batch)
            except Exception as exc:  # each waiting handler sees the failure as its own
                log.error("dialog steps not saved (%d dialogs): %s", len(batch), exc)
                committed.set_exception(exc)
            else:
                committed.set_result(None)

    async def _write(self, batch: dict[str, Entry]) -> None:
        rows = [
            {"key": key, "state": state, "data": json.dumps(data, ensure_ascii=False).encode()}
            for key, (state, data) in batch.items()
        ]
        async with self._engine.begin() as conn:
            await conn.execute(self._upsert, rows)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        _, data = await self._load(_key(key))
        self._save(_key(key), name, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(_key(key))
        self._save(_key(key), state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(_key(key)))[1])

    # Other transports (the VK dialog) keep their state here too, under their own key prefix.
    async def load(self, key: str) -> Entry:
        state, data = await self._load(key)
        return state, dict(data)

    async def save(self, key: str, state: str | None, data: Mapping[str, Any]) -> None:
        self._save(key, state, dict(data))
        await self.flushed()

    async def close(self) -> None:
        if self._writer is not None:
            await asyncio.gather(self._writer, return_exceptions=True)
        self._cache.clear()


def shared_dialogs(url: str, key_prefix: str) -> RedisStorage | None:
    """aiogram's RedisStorage when a Redis URL is configured: every instance then reads the same
    dialogs (the database storage above caches them in one process's memory)."""
    if not url:
        return None
    return RedisStorage.from_url(
        url, key_builder=DefaultKeyBuilder(prefix=key_prefix, with_destiny=True)
    )
