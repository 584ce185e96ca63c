"""The unit of work: one session, the repositories over it, and the only commit."""

from __future__ import annotations

from types import TracebackType

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel.ext.asyncio.session import AsyncSession

from storage import models  # noqa: F401  (first: models imports formats at its end)
from storage.cursors import Cursors
from storage.formats import Formats
from storage.instances import Instances
from storage.leases import Leases
from storage.outbox import OutboxRows
from storage.plan import Announcements, Feeds, PlanItems
from storage.repositories import (
    Audit,
    Cards,
    Comments,
    Departments,
    Examples,
    Invites,
    People,
    Posts,
    PostTexts,
    Publications,
    Reports,
    VKInbox,
)
from storage.tickets import Tickets
from storage.vk_photos import VKMessagePhotos


class UnitOfWork:
    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions

    async def __aenter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self.people = People(self.session)
        self.departments = Departments(self.session)
        self.invites = Invites(self.session)
        self.reports = Reports(self.session)
        self.posts = Posts(self.session)
        self.publications = Publications(self.session)
        self.post_texts = PostTexts(self.session)
        self.cards = Cards(self.session)
        self.audit = Audit(self.session)
        self.comments = Comments(self.session)
        self.examples = Examples(self.session)
        self.vk_inbox = VKInbox(self.session)
        self.cursors = Cursors(self.session)
        self.announcements = Announcements(self.session)
        self.plan_items = PlanItems(self.session)
        self.feeds = Feeds(self.session)
        self.outbox = OutboxRows(self.session)
        self.tickets = Tickets(self.session)
        self.formats = Formats(self.session)
        self.vk_photos = VKMessagePhotos(self.session)
        self.leases = Leases(self.session)
        self.instances = Instances(self.session)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        try:
            if exc_type is not None:
                await self.session.rollback()
        finally:
            await self.session.close()

    async def commit(self) -> None:
        await self.session.commit()

    async def one_statement(self) -> None:
        """Called first in a unit of work that is one statement: on PostgreSQL it then commits
        by itself, one trip instead of three (BEGIN, it, COMMIT), as atomic and as durable
        when it returns; SQLite keeps its transaction (BEGIN IMMEDIATE, storage/db.py)."""
        if self.session.bind.dialect.name == "postgresql":
            await self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
