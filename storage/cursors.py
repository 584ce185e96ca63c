"""Where a network's reading stopped (MAX's update marker): kept across restarts, so a message
read before a restart is not read, and added to a waiting ticket, a second time."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

if TYPE_CHECKING:
    from storage.uow import UnitOfWork


class NetworkCursor(SQLModel, table=True):
    """One named position in a network's stream of updates (e.g. "max:updates")."""

    __tablename__ = "network_cursor"
    name: str = Field(primary_key=True, max_length=100)
    value: int = Field(sa_type=BigInteger)
    updated_at: datetime


class Cursors:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def get(self, name: str) -> int | None:
        cursor = await self.session.get(NetworkCursor, name)
        return cursor.value if cursor is not None else None

    async def put(self, name: str, value: int, now: datetime) -> None:
        cursor = await self.session.get(NetworkCursor, name)
        if cursor is None:
            self.session.add(NetworkCursor(name=name, value=value, updated_at=now))
        else:
            cursor.value, cursor.updated_at = value, now
            self.session.add(cursor)
        await self.session.flush()


class StoredCursor:
    """bot.ports.Cursor over this table: one named position, one short unit of work each."""

    def __init__(
        self, uow: Callable[[], UnitOfWork], name: str, clock: Callable[[], datetime]
    ) -> None:
        self._uow = uow
        self.name = name
        self._clock = clock

    async def load(self) -> int | None:
        async with self._uow() as uow:
            return await uow.cursors.get(self.name)

    async def save(self, value: int) -> None:
        async with self._uow() as uow:
            await uow.cursors.put(self.name, value, self._clock())
            await uow.commit()
