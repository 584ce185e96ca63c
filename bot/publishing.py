"""Publishing: the outbox of publications, one row per post × network, in the database.

Any number of desk instances share one database. Each runs one worker per network; a worker
claims the most overdue due row of its network in one statement (storage/outbox.py: UPDATE …
RETURNING, SKIP LOCKED on PostgreSQL), which moves it to `sending` under a lease in the name of
this instance, and a sender calls the network, then writes the outcome and tells people (more
than one at a time where the publisher's `senders` says so: bot/publishing_workers.py). A heartbeat
renews the leases; a row whose lease ran out belonged to an instance that died, and whichever
instance sees it first reconciles it:

* on a network with an idempotency key (VK `guid`) inside the key's window, it is simply sent
  again and the network answers with the first post;
* past the window, or where the network has no key, the network is searched for the post
  (`Publisher.find_existing`); found, it is published;
* not found where there is no key (Telegram; OK, MAX, Facebook): it becomes `uncertain` and the
  editor gets «Возможно, опубликовано» with the link to check and «Да, вышло» /
  «Опубликовать снова». It is never sent again on its own.

A row claimed but waiting for its turn (the pace, a 429's `retry_after`) with none of its
requests out is marked so by the pacing layer (bot/wire.py); cut off then, it is simply due
again: «Возможно, опубликовано» is only ever about a request that may have gone out.

The same holds while running: a timeout after the request went out, or an answer that cannot be
parsed, is "uncertain", never "failed". A post sent in parts (an album, then the text) records
each part as it lands, so a retry sends only the rest. Each network's outcome reaches people on
its own: the link as it lands, a failure with «Повторить» for that network only.

Reconciliation and the heartbeat are in bot/publishing_reconcile.py, a person's decisions
(«Повторить», «Опубликовать снова», «Да, вышло») in bot/publishing_decisions.py.

APScheduler only wakes the workers at a post's time (scheduler.py); the rows are the truth, and
the workers also look at the database every `poll_seconds` for rows other instances scheduled.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import secrets
import socket
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from functools import partial

from bot import metrics
from bot.cards import PostView
from bot.config import Config
from bot.domain import Network, PostState, PublicationState, Role
from bot.errors import Conflict
from bot.media import MediaStore
from bot.people import audit
from bot.ports import Card, Notifier, OutgoingPost, Published, Publisher, PublishError
from bot.publishing_cards import landed_card, network_failed_card, uncertain_card, with_corrections
from bot.publishing_decisions import Decisions
from bot.publishing_notices import OutcomeNotices
from bot.publishing_reconcile import NOT_CONNECTED, Reconciliation
from bot.publishing_workers import Workers
from bot.style import HouseStyle
from bot.views import load_view
from bot.wire import WIRE, Wire
from storage.models import Person, Publication
from storage.outbox import IN_FLIGHT, parts_of, published_parts, with_part
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

TERMINAL = (PublicationState.published, PublicationState.failed, PublicationState.uncertain)
MISSED = "время публикации пропущено: бот был выключен"
UNEXPECTED = "непредвиденная ошибка, подробности в журнале бота"


def instance_name() -> str:
    """Unique per process: a restarted instance must not take its dead self's claims as its own
    before their lease runs out (another instance may hold the same name otherwise)."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{secrets.token_hex(3)}"


def publication_key(post_id: int) -> str:
    return f"pressdesk-post-{post_id}"


class Outbox(Workers, Reconciliation, Decisions):
    """The outbox: workers claim and send; reconciliation and the buttons are mixed in."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        publishers: dict[Network, Publisher],
        media: MediaStore,
        config: Config,
        clock: Callable[[], datetime],
        instance: str | None = None,
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._publishers = publishers
        self._media = media
        self._settings = config.publish
        self.style = HouseStyle(config)
        self._clock = clock
        self.instance = instance or instance_name()
        self._wake: dict[Network, asyncio.Event] = {}
        self._tasks: list[asyncio.Task] = []
        self._lease = timedelta(seconds=self._settings.lease_seconds)
        # People hear about outcomes in order, but the workers never wait for a person's chat
        # (1 message/s in a private chat would otherwise pace publishing itself). Each notice is
        # on disk with the outcome first (bot/publishing_notices.py): a restart loses none.
        self._notices: asyncio.Queue[list[tuple[int, Person, Card]]] = asyncio.Queue()
        self.kept = OutcomeNotices(uow, clock, self._lease * 2)

    # ---- lifecycle --------------------------------------------------------------------------
    async def start(self) -> None:
        await self.release_predecessors()
        await self.reconcile()
        for network in self._publishers:
            self._wake[network] = asyncio.Event()
            self._tasks.append(asyncio.create_task(self._worker(network), name=f"outbox:{network}"))
        self._tasks.append(asyncio.create_task(self._maintain(), name="outbox:heartbeat"))
        self._tasks.append(asyncio.create_task(self._teller(), name="outbox:notices"))

    async def stop(self) -> None:
        """Stop claiming; a send under way is cancelled and stays `sending` under our lease,
        which runs out and is reconciled like a crash (a clean stop is not more trusted)."""
        with contextlib.suppress(TimeoutError):  # the outcomes already known, told first
            await asyncio.wait_for(self._notices.join(), 10)
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()

    def wake(self) -> None:
        """Something may be due now (a post's timer fired, a person pressed «Повторить»)."""
        for event in self._wake.values():
            event.set()

    # ---- what the desk calls inside its own unit of work --------------------------------------
    @staticmethod
    async def schedule(uow: UnitOfWork, post_id: int, due_at: datetime, now: datetime) -> None:
        await uow.outbox.schedule_post(post_id, due_at, now)

    @staticmethod
    async def unschedule(uow: UnitOfWork, post_id: int, now: datetime) -> None:
        if not await uow.outbox.unschedule_post(post_id, now):
            raise Conflict("Уже публикуется — дождитесь результата.")

    # ---- one publication: the loop that claims them is bot/publishing_workers.py ---------
    async def _send(self, row: Publication, view: PostView | None = None) -> None:
        """`view`: the post as the claim read it (bot/publishing_workers.py)."""
        network = Network(row.network)
        publisher = self._publishers.get(network)
        if view is None:
            async with self._uow() as uow:
                view = await load_view(uow, self._media, row.post_id, networks=False)
        outgoing = self._outgoing(view, row)
        grace = timedelta(minutes=self._settings.misfire_grace_minutes)
        if publisher is None:
            await self._finish(row, PublicationState.failed, error=NOT_CONNECTED)
            return
        if row.attempts == 1 and row.due_at is not None and row.due_at < self._clock() - grace:
            # Long past its time (the bot was off): ask a person instead of posting stale news.
            await self._finish(row, PublicationState.failed, error=MISSED)
            return
        started = asyncio.get_running_loop().time()
        wire = Wire(partial(self._mark_waiting, row))
        token = WIRE.set(wire)  # the pacing layer tells it when this row waits, when it goes
        try:
            try:
                result = await publisher.publish(outgoing)
            finally:
                WIRE.reset(token)  # a look-up while settling the outcome is not this send
        except Exception as exc:
            await self._failed_send(row, publisher, outgoing, wire, exc)
            return
        metrics.PUBLISH_SECONDS.labels(network).observe(asyncio.get_running_loop().time() - started)
        if view.post.scheduled_at is not None:
            late = (self._clock() - view.post.scheduled_at).total_seconds()
            metrics.LATENESS_SECONDS.labels(network).observe(max(late, 0.0))
        await self._published(row, result, seen=view)

    async def _failed_send(
        self,
        row: Publication,
        publisher: Publisher,
        outgoing: OutgoingPost,
        wire: Wire,
        exc: Exception,
    ) -> None:
        network = row.network
        if wire.lost:  # another instance took the row over; nothing of ours went out
            log.warning("publication %s was taken over while it waited its turn", row.id)
            return
        if isinstance(exc, PublishError):
            log.warning("publish %s to %s: %s %s", row.post_id, network, exc.kind, exc.detail)
            error = exc
        else:
            # A bug or an answer nobody expected, after the request may have gone out.
            log.exception("publishing post %s to %s broke", row.post_id, network)
            error = PublishError("uncertain", UNEXPECTED, None, repr(exc))
        if error.kind == "uncertain" and wire.nothing_out:
            # E.g. the publisher's timeout ran out while the pace waited: nothing went.
            error = PublishError("temporary", error.message, None, error.detail)
        await self._after_error(row, publisher, outgoing, error)

    async def _mark_waiting(self, row: Publication, waiting: bool) -> bool:
        """bot/wire.py: this claim waits with nothing out (True), or its request goes now."""
        assert row.id is not None
        async with self._uow() as uow:
            await uow.one_statement()  # a row at the limit is marked and cleared: 2 trips
            ours = await uow.outbox.mark_waiting(row.id, self.instance, row.attempts, waiting)
            await uow.commit()
        return ours

    def _outgoing(self, view: PostView, row: Publication) -> OutgoingPost:
        return OutgoingPost.of(
            view.post.id,
            self.style.content(view, row.network),  # its own text, in its house style
            key=publication_key(view.post.id),
            sent=parts_of(row),
            on_part=partial(self._part_sent, row.id),
        )

    async def _part_sent(self, publication_id: int, name: str, result: Published) -> None:
        """A part is out: on disk before the next part goes, so it is never sent twice."""
        async with self._uow() as uow:
            row = await uow.session.get(Publication, publication_id)
            if row is None:
                return
            moved = await uow.outbox.move(
                publication_id, IN_FLIGHT, parts=with_part(row, name, result)
            )
            await uow.commit()
        wire = WIRE.get()
        if wire is not None and moved is not None:
            wire.recorded()  # what went out is on disk: a wait from here has nothing out

    async def _after_error(
        self, row: Publication, publisher: Publisher, outgoing: OutgoingPost, exc: PublishError
    ) -> None:
        retries_left = row.attempts <= self._settings.retries
        if exc.kind == "temporary" and retries_left:
            await self._again(row, exc.retry_after, error=exc.message)
        elif exc.kind == "uncertain":
            await self._unknown(row, publisher, outgoing, exc.message, retries_left)
        else:
            await self._finish(row, PublicationState.failed, error=exc.message)

    async def _again(
        self, row: Publication, retry_after: float | None, error: str, at: datetime | None = None
    ) -> None:
        """Due again after the wait asked for (or `retry_delay_seconds`); `at`: at that moment
        instead (a crash's row keeps its place: bot/publishing_reconcile.py)."""
        metrics.RETRIES.labels(row.network).inc()
        delay = min(retry_after or self._settings.retry_delay_seconds, 60.0)
        async with self._uow() as uow:
            await uow.outbox.move(
                row.id,
                IN_FLIGHT,
                state=PublicationState.scheduled,
                due_at=at or self._clock() + timedelta(seconds=delay),
                claimed_by=None,
                lease_until=None,
                waiting=False,
                error=error,
                updated_at=self._clock(),
            )
            await uow.commit()

    async def _published(
        self, row: Publication, result: Published, seen: PostView | None = None
    ) -> None:
        await self._finish(
            row,
            PublicationState.published,
            seen=seen,
            external_id=result.external_id,
            url=result.url,
            error=None,
            published_at=self._clock(),
        )

    async def _finish(
        self,
        row: Publication,
        state: PublicationState,
        seen: PostView | None = None,
        **values: object,
    ) -> None:
        """The outcome on disk (with the post's, when it was the last network), then people.
        `seen`: the post as the send loaded it a moment ago; only its networks' rows are read
        again (a whole view is some ten queries, at 30 posts a second a core's worth)."""
        now = self._clock()
        async with self._uow() as uow:
            await uow.posts.lock(row.post_id)
            moved = await uow.outbox.move(
                row.id,
                IN_FLIGHT,
                state=state,
                claimed_by=None,
                lease_until=None,
                waiting=False,
                updated_at=now,
                **values,
            )
            if moved is None:
                log.warning("publication %s was no longer ours to finish", row.id)
                return
            rows = await self._settle_post(uow, row.post_id, now)
            await audit(uow, now, f"publication.{state}", obj=f"post:{row.post_id}:{row.network}")
            if seen is not None:
                view = replace(seen, publications=rows)
            else:
                view = await load_view(uow, self._media, row.post_id)
            told = await self._told(uow, view, moved)
            ids = await self.kept.keep(uow, told)
            await uow.commit()
        self._notices.put_nowait([(i, p, c) for i, (p, c) in zip(ids, told, strict=True)])

    async def _teller(self) -> None:
        while True:
            batch = await self._notices.get()
            for notice_id, person, card in batch:
                try:
                    await self._notifier.send(person, card)
                    await self.kept.told(notice_id)
                except Exception:
                    # On disk still: released, it comes due and the redelivery sends it.
                    log.exception("telling about outcome notice %s failed", notice_id)
                    self.kept.held.discard(notice_id)
            self._notices.task_done()

    @staticmethod
    async def _settle_post(uow: UnitOfWork, post_id: int, now: datetime) -> list[Publication]:
        """The post's own state once every network is settled; its networks' rows."""
        rows = await uow.publications.for_post(post_id)
        if rows and all(r.state in TERMINAL for r in rows):
            done = all(r.state == PublicationState.published for r in rows)
            final = PostState.published if done else PostState.failed
            await uow.posts.move(
                post_id,
                (PostState.publishing, PostState.scheduled, PostState.failed),
                refresh=False,  # the view told from is the send's, or read after this
                state=final,
                updated_at=now,
            )
        return rows

    async def _told(
        self, uow: UnitOfWork, view: PostView, row: Publication
    ) -> list[tuple[Person, Card]]:
        """Who hears about this network's outcome, and the card each gets."""
        editor = view.decided_by
        if row.state == PublicationState.published:
            card = landed_card(view, row)
            people = {p.id: p for p in (editor, view.author) if p is not None}.values()
            # The editor can still change the text or take the post down from here.
            return [
                (p, with_corrections(card, view) if Role(p.role).can_edit() else card)
                for p in people
            ]
        if row.state == PublicationState.failed:
            card = network_failed_card(view, row)
        else:
            card = uncertain_card(view, row, self._where(row), _part_links(row))
        return [(p, card) for p in ([editor] if editor is not None else await uow.people.editors())]

    def _where(self, row: Publication) -> str:
        parts = published_parts(row)
        if parts:
            return next(iter(parts.values())).url
        publisher = self._publishers.get(Network(row.network))
        home = getattr(publisher, "home_url", None)
        return home() if home is not None else ""


def _part_links(row: Publication) -> dict[str, str]:
    return {name: part.url for name, part in published_parts(row).items()}
