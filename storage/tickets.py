"""Citizens' messages and questions that need an answer from the administration (order 1.2.3).

One row per message or question comment, stored once per (network, channel, external id). The
citizen's name and network id are kept only for the retention period (bot/retention.py); the
row itself, with its kind, department and times, stays for the monthly figures.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from sqlalchemy import BigInteger, UniqueConstraint, text, update
from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

# open: waiting for the editors; forwarded: with a department head; draft: an answer waits for
# the editor's approval; sending: the reply is going out; answered / dismissed: closed.
OPEN_STATES = ("open", "forwarded", "draft", "sending")
CLOSED_STATES = ("answered", "dismissed")


class Ticket(SQLModel, table=True):
    __table_args__ = (UniqueConstraint("network", "channel", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=20)
    channel: str = Field(max_length=20)  # "message" (private) or "comment" (public)
    external_id: str = Field(max_length=100)
    # Where the reply goes, as the network's adapter reads it (a peer id, "post_id:comment_id").
    thread_ref: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)
    citizen_id: int = Field(default=0, sa_type=BigInteger)
    citizen_name: str = Field(default="", max_length=200)
    text: str = ""
    kind: str = Field(max_length=20)  # question, complaint, request, thanks
    department: str = Field(default="", max_length=200)
    state: str = Field(default="open", max_length=20, index=True)
    created_at: datetime = Field(index=True)
    first_due: datetime
    answer_due: datetime
    first_response_at: datetime | None = None
    answered_at: datetime | None = None
    holder_id: int | None = Field(default=None, foreign_key="person.id")
    assignee_id: int | None = Field(default=None, foreign_key="person.id")
    draft: str = ""
    draft_by: int | None = Field(default=None, foreign_key="person.id")
    reply_url: str = Field(default="", max_length=500)
    closed_by: int | None = Field(default=None, foreign_key="person.id")
    reminded_at: datetime | None = None
    escalated_at: datetime | None = None
    overdue: bool = False
    anonymised_at: datetime | None = None


class Tickets:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def add(self, ticket: Ticket) -> Ticket:
        self.session.add(ticket)
        await self.session.flush()
        return ticket

    async def get(self, ticket_id: int, *, lock: bool = False) -> Ticket | None:
        """With `lock`, the row stays this unit of work's until its commit (FOR UPDATE on
        PostgreSQL; SQLite's BEGIN IMMEDIATE, storage/db.py, already serialises writers), so
        what is read is still what the move changes."""
        return await self.session.get(Ticket, ticket_id, with_for_update=lock or None)

    async def hold_citizen(self, network: str, citizen_id: int) -> None:
        """This unit of work takes the citizen's private messages alone until its commit, in
        whichever instance: on PostgreSQL a transaction-level advisory lock on the citizen
        (nothing stored: the key is a hash of the network and id, a rare collision only makes
        two citizens wait for each other); SQLite's BEGIN IMMEDIATE already lets one writer
        in at a time. A unique index on the open ticket would not do: a citizen may have
        several (one older than APPEND_WITHIN, bot/replies/core.py)."""
        if self.session.bind.dialect.name != "postgresql":
            return
        key = f"ticket:{network}:{citizen_id}"
        await self.session.exec(
            text("SELECT pg_advisory_xact_lock(hashtextextended(:key, 0))").bindparams(key=key)
        )

    async def find(self, network: str, channel: str, external_id: str) -> Ticket | None:
        query = select(Ticket).where(
            Ticket.network == network,
            Ticket.channel == channel,
            Ticket.external_id == external_id,
        )
        return (await self.session.exec(query)).first()

    async def newest(self, network: str, channel: str) -> Ticket | None:
        query = (
            select(Ticket)
            .where(Ticket.network == network, Ticket.channel == channel)
            .order_by(col(Ticket.created_at).desc())
        )
        return (await self.session.exec(query.limit(1))).first()

    async def waiting_of(
        self, network: str, citizen_id: int, since: datetime, *, lock: bool = False
    ) -> Ticket | None:
        """A citizen's private-message ticket nobody has taken up yet, opened since `since`;
        `lock` as in get()."""
        query = (
            select(Ticket)
            .where(
                Ticket.network == network,
                Ticket.channel == "message",
                Ticket.citizen_id == citizen_id,
                Ticket.state == "open",
                Ticket.created_at >= since,
            )
            .order_by(col(Ticket.id).desc())
            .limit(1)
        )
        if lock:
            query = query.with_for_update()
        return (await self.session.exec(query)).first()

    async def move(
        self,
        ticket_id: int,
        states: Sequence[str],
        expect: Mapping[str, object] | None = None,
        **values: object,
    ) -> bool:
        """Compare-and-set: change the row only if it is still in one of `states` and its
        columns still hold what `expect` says (None: still empty)."""
        query = update(Ticket).where(col(Ticket.id) == ticket_id, col(Ticket.state).in_(states))
        for name, value in (expect or {}).items():
            column = col(getattr(Ticket, name))
            query = query.where(column.is_(None) if value is None else column == value)
        result = await self.session.exec(query.values(**values))
        return bool(result.rowcount)

    async def open(self) -> list[Ticket]:
        query = select(Ticket).where(col(Ticket.state).in_(OPEN_STATES))
        rows = list((await self.session.exec(query)).all())
        return sorted(rows, key=lambda t: (due_of(t), t.id or 0))

    async def created_between(self, start: datetime, end: datetime) -> list[Ticket]:
        query = select(Ticket).where(Ticket.created_at >= start, Ticket.created_at < end)
        return list((await self.session.exec(query)).all())


def due_of(ticket: Ticket) -> datetime:
    """The deadline the ticket runs against now: the first response, then the answer."""
    return ticket.first_due if ticket.first_response_at is None else ticket.answer_due
