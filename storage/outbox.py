"""The outbox's queries: publications (post × network) claimed by one instance at a time.

A claim is one statement: `UPDATE publication … WHERE id IN (SELECT … LIMIT 1) AND
state = 'scheduled' RETURNING …`. On PostgreSQL the inner select takes `FOR UPDATE SKIP
LOCKED`, so instances claiming at once each get a different row instead of queueing on the
same one; on SQLite the desk's one connection writes one transaction at a time (BEGIN
IMMEDIATE, storage/db.py), which makes the same statement atomic for one instance. Like the
other repositories these never commit.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import and_, func, or_, update
from sqlmodel import col, select

from bot.domain import PublicationState
from bot.ports import UPLOAD_PART, Published
from storage.models import Publication
from storage.repositories import Repository

IN_FLIGHT = (PublicationState.sending, PublicationState.publishing)


def parts_of(publication: Publication) -> dict[str, Published]:
    """The parts of the post already delivered on this network."""
    raw = json.loads(publication.parts or "{}")
    return {name: Published(value[0], value[1]) for name, value in raw.items()}


def published_parts(publication: Publication) -> dict[str, Published]:
    """The parts people can see (links, the post to edit): without the uploads kept for a retry."""
    return {k: v for k, v in parts_of(publication).items() if not k.startswith(UPLOAD_PART)}


def with_part(publication: Publication, name: str, result: Published) -> str:
    raw = json.loads(publication.parts or "{}")
    raw[name] = [result.external_id, result.url]
    return json.dumps(raw, ensure_ascii=False)


class OutboxRows(Repository):
    @property
    def _skip_locked(self) -> bool:
        return self.session.bind.dialect.name == "postgresql"

    async def claim(
        self, network: str, now: datetime, instance: str, lease_until: datetime
    ) -> Publication | None:
        """The most overdue scheduled publication on `network`, now `sending` and ours."""
        pick = (
            select(Publication.id)
            .where(
                Publication.state == PublicationState.scheduled,
                Publication.network == network,
                col(Publication.due_at) <= now,
            )
            .order_by(col(Publication.due_at), col(Publication.id))
            .limit(1)
        )
        if self._skip_locked:
            pick = pick.with_for_update(skip_locked=True)
        statement = (
            update(Publication)
            .where(
                # `=`, not IN: PostgreSQL may run an IN-subquery as a join, taking more rows
                Publication.id == pick.scalar_subquery(),
                Publication.state == PublicationState.scheduled,
            )
            .values(
                state=PublicationState.sending,
                claimed_by=instance,
                lease_until=lease_until,
                attempts=Publication.attempts + 1,
                waiting=False,
                first_sent_at=func.coalesce(Publication.first_sent_at, now),
                updated_at=now,
            )
            # the whole row back at once: no second and third trip to read it
            .returning(Publication)
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        claimed = list((await self.session.exec(statement)).scalars().all())
        if len(claimed) != 1:
            return None  # nothing due (or, impossibly, more than one: rolled back unused)
        return claimed[0]

    async def busy(self, network: str, now: datetime) -> bool:
        """Whether a publication on `network` is due now or going out."""
        query = (
            select(Publication.id)
            .where(
                Publication.network == network,
                or_(
                    col(Publication.state).in_(IN_FLIGHT),
                    and_(
                        Publication.state == PublicationState.scheduled,
                        col(Publication.due_at) <= now,
                    ),
                ),
            )
            .limit(1)
        )
        return (await self.session.exec(query)).first() is not None

    async def next_due(self, network: str) -> datetime | None:
        query = select(func.min(Publication.due_at)).where(
            Publication.state == PublicationState.scheduled, Publication.network == network
        )
        return (await self.session.exec(query)).first()

    async def renew(self, instance: str, lease_until: datetime) -> int:
        """The heartbeat: this instance is alive, its claims stay its own."""
        result = await self.session.exec(
            update(Publication)
            .where(Publication.claimed_by == instance, col(Publication.state).in_(IN_FLIGHT))
            .values(lease_until=lease_until)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount

    async def abandoned(self, now: datetime, limit: int = 100) -> list[Publication]:
        """In flight under a lease that ran out: its instance died (or predates the outbox)."""
        query = (
            select(Publication)
            .where(
                col(Publication.state).in_(IN_FLIGHT),
                or_(col(Publication.lease_until).is_(None), col(Publication.lease_until) < now),
            )
            .order_by(col(Publication.id))
            .limit(limit)
        )
        return list((await self.session.exec(query)).all())

    async def take_over(
        self, publication: Publication, now: datetime, instance: str, lease_until: datetime
    ) -> bool:
        """One instance wins an abandoned row (its lease is still the expired one)."""
        lease = publication.lease_until
        condition = (
            col(Publication.lease_until).is_(None)
            if lease is None
            else Publication.lease_until == lease
        )
        result = await self.session.exec(
            update(Publication)
            .where(
                Publication.id == publication.id,
                col(Publication.state).in_(IN_FLIGHT),
                condition,
            )
            .values(claimed_by=instance, lease_until=lease_until, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def mark_waiting(
        self, publication_id: int, instance: str, attempt: int, waiting: bool
    ) -> bool:
        """This claim (`attempt`, counted at each claim) waits with nothing out, or goes now;
        False when the row is no longer this claim's (taken over, released, claimed again)."""
        result = await self.session.exec(
            update(Publication)
            .where(
                Publication.id == publication_id,
                Publication.claimed_by == instance,
                Publication.attempts == attempt,
                col(Publication.state).in_(IN_FLIGHT),
                Publication.waiting == (not waiting),
            )
            .values(waiting=waiting)
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def waiting_under(self, prefix: str) -> list[Publication]:
        """Rows waiting their turn with nothing out, claimed by an instance whose name starts
        with `prefix` (one host's instances: bot/publishing.py's `instance_name`)."""
        query = (
            select(Publication)
            .where(
                col(Publication.state).in_(IN_FLIGHT),
                Publication.waiting.is_(True),
                col(Publication.claimed_by).startswith(prefix, autoescape=True),
            )
            .order_by(col(Publication.id))
        )
        return list((await self.session.exec(query)).all())

    async def release_waiting(self, publication: Publication, now: datetime) -> bool:
        """An abandoned row that was waiting with nothing out is simply due again (its time
        kept, so it goes first); one instance wins it, its lease still the expired one."""
        lease = publication.lease_until
        result = await self.session.exec(
            update(Publication)
            .where(
                Publication.id == publication.id,
                col(Publication.state).in_(IN_FLIGHT),
                Publication.waiting.is_(True),
                col(Publication.lease_until).is_(None)
                if lease is None
                else Publication.lease_until == lease,
            )
            .values(
                state=PublicationState.scheduled,
                claimed_by=None,
                lease_until=None,
                waiting=False,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        return result.rowcount == 1

    async def move(
        self, publication_id: int, from_states: Sequence[str], **values: object
    ) -> Publication | None:
        """Compare-and-set on a publication's state; the row as it is now, or None."""
        result = await self.session.exec(
            update(Publication)
            .where(Publication.id == publication_id, col(Publication.state).in_(from_states))
            .values(**values)
            .returning(Publication)  # the row as it is now, in the same trip
            .execution_options(synchronize_session=False, populate_existing=True)
        )
        rows = list(result.scalars().all())
        return rows[0] if len(rows) == 1 else None

    async def of_post(self, post_id: int, network: str) -> Publication | None:
        query = select(Publication).where(
            Publication.post_id == post_id, Publication.network == network
        )
        return (await self.session.exec(query)).first()

    async def schedule_post(self, post_id: int, due_at: datetime, now: datetime) -> None:
        """The post's chosen networks enter the outbox, due at the post's time."""
        await self.session.exec(
            update(Publication)
            .where(
                Publication.post_id == post_id,
                col(Publication.state).in_((PublicationState.pending, PublicationState.scheduled)),
            )
            .values(state=PublicationState.scheduled, due_at=due_at, updated_at=now)
            .execution_options(synchronize_session=False)
        )

    async def unschedule_post(self, post_id: int, now: datetime) -> bool:
        """Back out of the outbox (what is published stays so); False when one is on its way."""
        query = select(Publication).where(Publication.post_id == post_id)
        if self._skip_locked:  # wait for a claim under way, then see its result
            query = query.with_for_update()
        query = query.execution_options(populate_existing=True)
        rows = list((await self.session.exec(query)).all())
        if any(r.state in IN_FLIGHT for r in rows):
            return False
        await self.session.exec(
            update(Publication)
            .where(
                Publication.post_id == post_id,
                col(Publication.state).in_(
                    (
                        PublicationState.scheduled,
                        PublicationState.failed,
                        PublicationState.uncertain,
                    )
                ),
            )
            .values(state=PublicationState.pending, due_at=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return True
