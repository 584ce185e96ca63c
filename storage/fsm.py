"""aiogram FSM storage in the database, so a half-filled report survives a restart."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from aiogram.fsm.state import State
from aiogram.fsm.storage.base import BaseStorage, StateType, StorageKey
from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.models import FsmRecord


def _key(key: StorageKey) -> str:
    parts = (key.bot_id, key.chat_id, key.user_id, key.thread_id, key.business_connection_id, key.destiny)
    return ":".join("" if part is None else str(part) for part in parts)


class DatabaseStorage(BaseStorage):
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def _record(self, session: AsyncSession, key: StorageKey) -> FsmRecord:
        record = await session.get(FsmRecord, _key(key))
        if record is None:
            record = FsmRecord(key=_key(key))
            session.add(record)
        return record

    async def set_state(self, key: StorageKey, state: StateType = None) -> None:
        async with self._sessions() as session:
            record = await self._record(session, key)
            record.state = state.state if isinstance(state, State) else state
            await session.commit()

    async def get_state(self, key: StorageKey) -> str | None:
        async with self._sessions() as session:
            record = await session.get(FsmRecord, _key(key))
            return record.state if record else None

    async def set_data(self, key: StorageKey, data: Mapping[str, Any]) -> None:
        async with self._sessions() as session:
            record = await self._record(session, key)
            record.data = json.dumps(dict(data), ensure_ascii=False).encode()
            await session.commit()

    async def get_data(self, key: StorageKey) -> dict[str, Any]:
        async with self._sessions() as session:
            record = await session.get(FsmRecord, _key(key))
            return json.loads(record.data) if record else {}

    async def close(self) -> None:
        return None
