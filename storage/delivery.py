"""Messages to people that could not be delivered yet, kept until they are (bot/delivery.py)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class UndeliveredNotice(SQLModel, table=True):
    """One card (kind "send") or one change of a shown card (kind "edit": `chat`, `message_id`)
    that no chat took; `card` is the card as JSON. Done when delivered or given up."""

    __tablename__ = "undelivered_notice"
    id: int | None = Field(default=None, primary_key=True)
    person_id: int | None = Field(default=None, foreign_key="person.id", index=True)
    kind: str = Field(default="send", max_length=10)
    chat: str = Field(default="", max_length=64)
    message_id: int = Field(default=0, sa_type=BigInteger)
    card: str
    reason: str = Field(default="", max_length=500)
    attempts: int = 0
    created_at: datetime
    next_try_at: datetime = Field(index=True)
    delivered_at: datetime | None = None
    delivered_via: str = Field(default="", max_length=20)
    given_up_at: datetime | None = None


class Undelivered:
    """Repository of kept notices; never commits (the unit of work does)."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, notice: UndeliveredNotice) -> UndeliveredNotice:
        self.session.add(notice)
        await self.session.flush()
        return notice

    async def get(self, notice_id: int) -> UndeliveredNotice | None:
        return await self.session.get(UndeliveredNotice, notice_id)

    async def due(self, now: datetime, limit: int = 50) -> list[UndeliveredNotice]:
        query = (
            select(UndeliveredNotice)
            .where(
                col(UndeliveredNotice.delivered_at).is_(None),
                col(UndeliveredNotice.given_up_at).is_(None),
                UndeliveredNotice.next_try_at <= now,
            )
            .order_by(col(UndeliveredNotice.id))
            .limit(limit)
        )
        return list((await self.session.exec(query)).all())

    async def pending(self) -> list[UndeliveredNotice]:
        query = select(UndeliveredNotice).where(
            col(UndeliveredNotice.delivered_at).is_(None),
            col(UndeliveredNotice.given_up_at).is_(None),
        )
        return list((await self.session.exec(query.order_by(col(UndeliveredNotice.id)))).all())
