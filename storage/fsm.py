"""aiogram FSM storage in the database, so a half-filled report survives a restart.

Reads come from memory after the first load and every write goes straight to the database
(one upsert), so the dialog costs one small write per step. It assumes one bot process per
database, which is how the desk runs.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from storage.models import FsmRecord

TABLE = FsmRecord.__table__


def _key(key: StorageKey) -> str:
    parts = (
        key.bot_id,
        key.chat_id,
        key.user_id,
        key.thread_id,
        key.business_connection_id,
        key.destiny,
    )
    return ":".join("" if part is None else str(part) for part in parts)


class DatabaseStorage(BaseStorage):
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._insert = pg_insert if engine.dialect.name == "postgresql" else sqlite_insert
        self._cache: dict[str, tuple[str | None, dict[str, Any]]] = {}

    async def _load(self, key: str) -> tuple[str | None, dict[str, Any]]:
        if key not in self._cache:
            async with self._engine.connect() as conn:
                row = (
                    await conn.execute(
                        select(TABLE.c.state, TABLE.c.data).where(TABLE.c.key == key)
                    )
                ).first()
            self._cache[key] = (row.state, json.loads(row.data)) if row else (None, {})
        return self._cache[key]

    async def _save(self, key: str, state: str | None, data: dict[str, Any]) -> None:
        self._cache[key] = (state, data)
        payload = {"state": state, "data": json.dumps(data, ensure_ascii=False).encode()}
        statement = self._insert(TABLE).values(key=key, **payload)
        statement = statement.on_conflict_do_update(index_elements=[TABLE.c.key], set_=payload)
        async with self._engine.begin() as conn:
            await conn.execute(statement)

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        name = state.state if isinstance(state, State) else state
        _, data = await self._load(_key(key))
        await self._save(_key(key), name, data)

    async def get_state(self, key: StorageKey) -> str | None:
        return (await self._load(_key(key)))[0]

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        state, _ = await self._load(_key(key))
        await self._save(_key(key), state, dict(data))

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        return dict((await self._load(_key(key)))[1])

    async def close(self) -> None:
        self._cache.clear()
