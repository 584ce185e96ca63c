"""Tables and queries of the publication plan and the reporting duty (issue 13).

Announcements are events a department head told about ahead; plan items are what editors plan
to publish with no report yet; feed tokens open the plan outside the chat (ICS, HTML).
A report answers an announcement when it comes from the same department (or, for a head with
no department, the same person) about the same day: no link has to be kept by the dialogs.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import and_, exists, or_, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession


class Announcement(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    title: str = Field(max_length=500)
    event_date: date = Field(index=True)
    place: str = Field(default="", max_length=500)
    created_at: datetime
    reminded_at: datetime | None = None  # the head's reminder went (once)
    late_noticed_at: datetime | None = None  # the editors heard it is late (once)
    cancelled: bool = False


class PlanItem(SQLModel, table=True):
    __tablename__ = "plan_item"
    id: int | None = Field(default=None, primary_key=True)
    title: str = Field(max_length=500)
    day: date = Field(index=True)
    slot: str = Field(default="", max_length=5)  # "HH:MM", or "" for any time of the day
    networks: str = Field(default="", max_length=200)  # comma-separated Network values
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime
    cancelled: bool = False


class FeedToken(SQLModel, table=True):
    """A secret link to the plan outside the chat; only its SHA-256 is kept."""

    __tablename__ = "feed_token"
    token_hash: str = Field(primary_key=True, max_length=64)
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime
    revoked_at: datetime | None = None


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


def answered_by_report():  # type: ignore[no-untyped-def]
    """SQL condition: some report answers this announcement (see the module's docstring)."""
    from storage.models import Report

    same_source = or_(
        and_(
            col(Announcement.department_id).is_not(None),
            Report.department_id == Announcement.department_id,
        ),
        and_(
            col(Announcement.department_id).is_(None),
            Report.author_id == Announcement.author_id,
        ),
    )
    return exists().where(same_source, Report.event_date == Announcement.event_date)


class Announcements(Repository):
    async def add(self, item: Announcement) -> Announcement:
        self.session.add(item)
        await self.session.flush()
        return item

    async def get(self, item_id: int) -> Announcement | None:
        return await self.session.get(Announcement, item_id)

    async def open_(self) -> list[Announcement]:
        """Not cancelled and not yet answered by a report: the ones with jobs still to run."""
        query = select(Announcement).where(
            Announcement.cancelled == False,  # noqa: E712
            ~answered_by_report(),
        )
        return list((await self.session.exec(query.order_by(col(Announcement.id)))).all())

    async def between(self, first: date, last: date) -> list[tuple[Announcement, bool]]:
        """Announced events of these days, each with whether a report answers it."""
        reported = answered_by_report().label("reported")
        query = (
            select(Announcement, reported)
            .where(
                Announcement.cancelled == False,  # noqa: E712
                col(Announcement.event_date) >= first,
                col(Announcement.event_date) <= last,
            )
            .order_by(col(Announcement.event_date), col(Announcement.id))
        )
        return [(a, bool(r)) for a, r in (await self.session.exec(query)).all()]

    async def is_answered(self, item_id: int) -> bool:
        query = select(answered_by_report()).where(Announcement.id == item_id)
        return bool((await self.session.exec(query)).first())

    async def mark(self, item_id: int, column: str, now: datetime) -> bool:
        """Set reminded_at / late_noticed_at once: of two jobs firing at once one wins."""
        field = getattr(Announcement, column)
        result = await self.session.exec(
            update(Announcement)
            .where(Announcement.id == item_id, field.is_(None))
            .values({column: now})
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1


class PlanItems(Repository):
    async def add(self, item: PlanItem) -> PlanItem:
        self.session.add(item)
        await self.session.flush()
        return item

    async def get(self, item_id: int) -> PlanItem | None:
        return await self.session.get(PlanItem, item_id)

    async def between(self, first: date, last: date) -> list[PlanItem]:
        query = select(PlanItem).where(
            PlanItem.cancelled == False,  # noqa: E712
            col(PlanItem.day) >= first,
            col(PlanItem.day) <= last,
        )
        query = query.order_by(col(PlanItem.day), col(PlanItem.slot))
        return list((await self.session.exec(query)).all())


class Feeds(Repository):
    async def add(self, token: FeedToken) -> None:
        self.session.add(token)
        await self.session.flush()

    async def valid(self, token_hash: str) -> bool:
        query = select(FeedToken).where(
            FeedToken.token_hash == token_hash,
            col(FeedToken.revoked_at).is_(None),
        )
        return (await self.session.exec(query)).first() is not None

    async def revoke_all(self, now: datetime) -> int:
        result = await self.session.exec(
            update(FeedToken)
            .where(col(FeedToken.revoked_at).is_(None))
            .values(revoked_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def active(self) -> Sequence[FeedToken]:
        query = select(FeedToken).where(col(FeedToken.revoked_at).is_(None))
        return (await self.session.exec(query)).all()
