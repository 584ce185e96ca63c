"""The outbox's heartbeat and reconciliation (bot/publishing.py's Outbox mixes this in).

The heartbeat renews this instance's leases; a row whose lease ran out belonged to an instance
that died, and whichever instance sees it first takes it over and settles it: sent again where
the network de-duplicates (VK `guid`) within the key's window, looked for on the network past
it, and `uncertain` («Возможно, опубликовано») where there is no key and it is not found. The
same path settles a publishing call whose outcome is unknown while running (a timeout after the
request went out, an answer that cannot be parsed).

A row cut off while it waited its turn with none of its requests out (marked `waiting` by the
pacing layer, bot/wire.py) is none of that: it is simply due again, and nobody is asked.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.cards import PostView
from bot.config import PublishSettings
from bot.domain import Network, PublicationState
from bot.media import MediaStore
from bot.ports import OutgoingPost, Published, Publisher
from bot.publishing_notices import OutcomeNotices
from bot.views import load_view
from storage.models import Publication
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CUT_OFF = "публикация прервалась: бот остановился, пока она отправлялась"
NOT_CONNECTED = "сеть не подключена в настройках"


class Reconciliation:
    """What settles publications whose outcome is not known; needs the Outbox's attributes."""

    instance: str
    _uow: Callable[[], UnitOfWork]
    _publishers: dict[Network, Publisher]
    _media: MediaStore
    _settings: PublishSettings
    _clock: Callable[[], datetime]
    _lease: timedelta
    kept: OutcomeNotices

    # Provided by the Outbox.
    async def _again(
        self, row: Publication, retry_after: float | None, error: str, at: datetime | None = None
    ) -> None:
        raise NotImplementedError

    async def _published(self, row: Publication, result: Published) -> None:
        raise NotImplementedError

    async def _finish(self, row: Publication, state: PublicationState, **values: object) -> None:
        raise NotImplementedError

    def _outgoing(self, view: PostView, row: Publication) -> OutgoingPost:
        raise NotImplementedError

    def wake(self) -> None:
        raise NotImplementedError

    async def _unknown(
        self,
        row: Publication,
        publisher: Publisher,
        outgoing: OutgoingPost,
        reason: str,
        retries_left: bool,
        at: datetime | None = None,
    ) -> None:
        """The request may have been applied. Send again only where the network de-duplicates;
        `at`: due again then (see `_again`)."""
        if _idempotent(publisher) and self._within_window(publisher, row) and retries_left:
            await self._again(row, None, error=reason, at=at)
            return
        found = await self._look_for(publisher, outgoing, row)
        if found is not None:
            await self._published(row, found)
        elif _idempotent(publisher) and retries_left:
            await self._again(row, None, error=reason, at=at)  # not on the wall: sending is safe
        elif _idempotent(publisher):
            # Not there, and sending again stays safe: a plain failure with «Повторить».
            await self._finish(row, PublicationState.failed, error=reason)
        else:
            await self._finish(row, PublicationState.uncertain, error=reason)

    def _within_window(self, publisher: Publisher, row: Publication) -> bool:
        window = getattr(publisher, "idempotency_window", 0.0)
        started = row.first_sent_at or row.updated_at
        return (self._clock() - started).total_seconds() < window

    async def _look_for(
        self, publisher: Publisher, outgoing: OutgoingPost, row: Publication
    ) -> Published | None:
        find = getattr(publisher, "find_existing", None)
        if find is None:
            return None
        since = row.first_sent_at or row.updated_at
        try:
            return await find(outgoing, since)
        except Exception:
            log.warning("looking for post %s on %s failed", row.post_id, row.network, exc_info=True)
            return None

    async def _maintain(self) -> None:
        every = max(self._settings.lease_seconds / 3, 0.2)
        while True:
            await asyncio.sleep(every)
            try:
                async with self._uow() as uow:
                    await uow.outbox.renew(self.instance, self._clock() + self._lease)
                    await uow.commit()
                await self.kept.renew()  # the outcome notices still waiting to be told
                await self.reconcile()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox heartbeat failed; trying again")

    async def release_predecessors(self) -> int:
        """At start: the rows an earlier process on this host left waiting their turn (killed,
        it restarted before their lease ran out) are due again now, not once it runs out; how
        many. Only rows with nothing out: releasing one whose process lives after all (another
        host of the same name) costs that process its turn, never a second copy (its mark cannot
        be cleared any more, bot/wire.py, so its request does not go)."""
        host, _, _ = self.instance.partition(":")
        now = self._clock()
        async with self._uow() as uow:
            rows = await uow.outbox.waiting_under(f"{host}:")
        released = 0
        for row in rows:
            if row.claimed_by == self.instance or _alive(row.claimed_by or ""):
                continue
            async with self._uow() as uow:
                won = await uow.outbox.release_waiting(row, now)
                await uow.commit()
            if won:
                released += 1
        if released:
            log.warning("%s publications an earlier run left waiting are due again", released)
            self.wake()
        return released

    async def reconcile(self) -> int:
        """Settle the rows of instances that died mid-publication; returns how many."""
        now = self._clock()
        async with self._uow() as uow:
            abandoned = await uow.outbox.abandoned(now)
        settled = 0
        for row in abandoned:
            if row.waiting:
                # Cut off while it waited its turn, nothing of it out (bot/wire.py): due again;
                # the parts already on disk are not sent again.
                async with self._uow() as uow:
                    won = await uow.outbox.release_waiting(row, now)
                    await uow.commit()
                if won:
                    log.warning("publication %s was cut off before it went; due again", row.id)
                    settled += 1
                    self.wake()
                continue
            async with self._uow() as uow:
                won = await uow.outbox.take_over(row, now, self.instance, now + self._lease)
                await uow.commit()
            if won:
                settled += 1
                await self._reconcile_one(row)
        return settled

    async def _reconcile_one(self, row: Publication) -> None:
        log.warning("publication %s (%s) was cut off; reconciling", row.id, row.network)
        publisher = self._publishers.get(Network(row.network))
        if publisher is None:
            await self._finish(row, PublicationState.failed, error=NOT_CONNECTED)
            return
        async with self._uow() as uow:
            view = await load_view(uow, self._media, row.post_id)
        outgoing = self._outgoing(view, row)
        # Sent again (by its key) in its own place in the queue: due again at a later moment,
        # behind a backlog, it went out after every post due before that moment (measured:
        # a post due 27 s into a run published last, 120 s past its turn).
        await self._unknown(row, publisher, outgoing, CUT_OFF, True, at=row.due_at)
        self.wake()


def _alive(instance: str) -> bool:
    """Whether the process an instance name of this host names still runs (not this one: a
    container's process has the same pid at each start)."""
    try:
        pid = int(instance.split(":")[1])
    except (IndexError, ValueError):
        return True  # not a name of ours: leave it to its lease
    if pid == os.getpid() or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process
    return True


def _idempotent(publisher: Publisher) -> bool:
    return bool(getattr(publisher, "idempotent", False))
