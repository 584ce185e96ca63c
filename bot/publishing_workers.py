"""The outbox's workers (bot/publishing.py's Outbox mixes this in): per network, a loop that
claims the most overdue due row and hands it to a sender, while fewer than the publisher's
`senders` (bot/ports.py; 1 unless it says more) of that network's sends are under way here.

More than one at a time because a post's own database round (its claim, its outcome, the
notices) takes longer than a fast network's turn: one at a time, those writes alone kept MAX's
30 requests a second far from full. The sends' requests still wait their turn in the network's
pace (networks/ratelimit.py), in the order they were claimed.

Posts go first: a read that can wait (comments and citizens' messages read by polling) waits
while the same network's posts are due or going out (`posts_out`), for at most `[publish]
reads_wait_seconds`. A backlog of posts keeps the network's window full (MAX's 30 calls a second,
VK's 3), and a read there took a post's turn: the post that would have gone last in its second
went one whole gap later, and so did one post in every second after it, for good (the bench:
one MAX post in 30 went 0.7 s later, one VK post in 3 a second later). The database, not this
process, knows the backlog: the other instances' posts count too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.cards import PostView
from bot.config import PublishSettings
from bot.domain import Network, PostState
from bot.errors import NotFound
from bot.media import MediaStore
from bot.ports import Publisher
from bot.views import load_view
from storage.models import Publication
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Workers:
    """The claiming loops; needs the Outbox's attributes and its `_send`."""

    instance: str
    _uow: Callable[[], UnitOfWork]
    _settings: PublishSettings
    _clock: Callable[[], datetime]
    _lease: timedelta
    _wake: dict[Network, asyncio.Event]
    _publishers: dict[Network, Publisher]
    _media: MediaStore

    # Provided by the Outbox.
    async def _send(self, row: Publication, view: PostView | None = None) -> None:
        raise NotImplementedError

    async def _worker(self, network: Network) -> None:
        """Claims the network's due rows, most overdue first, while fewer than its publisher's
        `senders` of its sends are under way (see the module's docstring)."""
        publisher = self._publishers.get(network)
        slots = asyncio.Semaphore(max(1, int(getattr(publisher, "senders", 1))))
        sending: set[asyncio.Task] = set()
        try:
            while True:
                await slots.acquire()
                try:
                    claimed = await self._claim(network)
                except asyncio.CancelledError:
                    raise
                except Exception:
                    # The database went away for a moment: the rows wait, nothing is lost.
                    slots.release()
                    log.exception("outbox worker for %s failed; trying again", network)
                    await asyncio.sleep(self._settings.poll_seconds)
                    continue
                if claimed is None:
                    slots.release()
                    await self._idle(network)
                    continue
                task = asyncio.create_task(self._sending(*claimed, slots))
                sending.add(task)
                task.add_done_callback(sending.discard)
        finally:
            for task in sending:  # cancelled mid-send: stays ours under the lease (see stop)
                task.cancel()
            await asyncio.gather(*sending, return_exceptions=True)

    async def _sending(
        self, row: Publication, view: PostView | None, slots: asyncio.Semaphore
    ) -> None:
        try:
            await self._send(row, view)
        except asyncio.CancelledError:
            raise
        except Exception:
            # E.g. the database went away while writing the outcome: the lease runs out and
            # reconciliation settles the row.
            log.exception("publication %s to %s failed to settle", row.id, row.network)
        finally:
            slots.release()

    async def posts_out(self, network: Network) -> None:
        """Returns once none of `network`'s posts is due or going out, or after `[publish]
        reads_wait_seconds` (see the module's docstring)."""
        loop = asyncio.get_running_loop()
        until = loop.time() + self._settings.reads_wait_seconds
        while True:
            async with self._uow() as uow:
                busy = await uow.outbox.busy(network, self._clock())
            if not busy or loop.time() >= until:
                return
            await asyncio.sleep(min(self._settings.poll_seconds, until - loop.time()))

    async def _idle(self, network: Network) -> None:
        async with self._uow() as uow:
            due = await uow.outbox.next_due(network)
        wait = self._settings.poll_seconds
        if due is not None:
            wait = min(wait, max((due - self._clock()).total_seconds(), 0.0))
        event = self._wake[network]
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), wait)
        event.clear()

    async def _claim(self, network: Network) -> tuple[Publication, PostView | None] | None:
        """The most overdue due row, ours now, and its post as a send needs it, read in the
        claim's own transaction (a unit of work of its own was two more trips a post)."""
        now = self._clock()
        async with self._uow() as uow:
            row = await uow.outbox.claim(network, now, self.instance, now + self._lease)
            if row is None:
                return None
            await uow.posts.move(
                row.post_id, (PostState.scheduled,), refresh=False, state=PostState.publishing
            )
            try:
                view = await load_view(uow, self._media, row.post_id, networks=False)
            except NotFound:
                view = None  # the send reads it again and settles the row as before
            await uow.commit()
            return row, view
