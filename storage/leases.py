"""Short leases: one instance at a time does a repeated job (OK's group messages read without a
public address, bot/app_replies.py). A lease is a named row with its holder and the moment it
runs out. The holder renews it each time it does the job; once it has run out (its instance
died) whichever instance asks first takes it. Taking is one compare-and-set, an UPDATE whose
WHERE says "ours, or run out", or else the first INSERT: PostgreSQL re-checks the WHERE of an
UPDATE that waited on another's row lock and lets one INSERT of a name in, SQLite has one writer
at a time, so two instances asking at once get one yes between them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, or_, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Field, SQLModel, col
from sqlmodel.ext.asyncio.session import AsyncSession


class Lease(SQLModel, table=True):
    name: str = Field(primary_key=True, max_length=100)
    holder: str = Field(max_length=100)  # the instance (bot/publishing.py instance_name)
    until: datetime


class Leases:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def take(self, name: str, holder: str, now: datetime, until: datetime) -> bool:
        """`holder` has `name` until `until` if it is free, run out or already its own."""
        renewed = await self.session.exec(
            update(Lease)
            .where(col(Lease.name) == name, or_(Lease.holder == holder, col(Lease.until) <= now))
            .values(holder=holder, until=until)
        )
        if renewed.rowcount:
            return True
        postgres = self.session.bind.dialect.name == "postgresql"
        insert = (pg_insert if postgres else sqlite_insert)(Lease)
        first = await self.session.exec(
            insert.values(name=name, holder=holder, until=until).on_conflict_do_nothing(
                index_elements=["name"]
            )
        )
        return bool(first.rowcount)

    async def release(self, name: str, holder: str) -> None:
        """Given up (the instance stops): the next to ask takes it at once."""
        await self.session.exec(
            delete(Lease).where(col(Lease.name) == name, col(Lease.holder) == holder)
        )
