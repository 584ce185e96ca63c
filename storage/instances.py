"""The desk's running instances as each one's heartbeat writes them: lets an instance (and
`pressdesk doctor`) see that others run on the same database, and whether they share the
networks' request budgets through Redis (bot/instances.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class DeskInstance(SQLModel, table=True):
    """One `pressdesk run` (bot/publishing.py's `instance_name`: host, pid, a random part)."""

    __tablename__ = "desk_instance"
    name: str = Field(primary_key=True, max_length=64)
    shared_pace: bool = False  # runs with [redis] url: paces its calls with the others
    seen_at: datetime


class Instances:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def beat(self, name: str, shared_pace: bool, now: datetime) -> None:
        row = await self.session.get(DeskInstance, name)
        if row is None:
            row = DeskInstance(name=name, shared_pace=shared_pace, seen_at=now)
        else:
            row.shared_pace, row.seen_at = shared_pace, now
        self.session.add(row)
        await self.session.flush()

    async def seen_since(self, since: datetime) -> list[DeskInstance]:
        query = select(DeskInstance).where(col(DeskInstance.seen_at) >= since)
        return list((await self.session.exec(query.order_by(col(DeskInstance.name)))).all())

    async def leave(self, name: str) -> None:
        """A clean stop: this instance runs no more."""
        await self.session.exec(delete(DeskInstance).where(col(DeskInstance.name) == name))

    async def forget(self, before: datetime) -> None:
        """Instances long gone (each restart is a new name)."""
        await self.session.exec(delete(DeskInstance).where(col(DeskInstance.seen_at) < before))
