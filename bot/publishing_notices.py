"""What the outbox tells people about each network's outcome, kept on disk until it is told.

The outcome and its notices are written in one transaction (bot/publishing.py `_finish`): one
row per person in the kept-notices table of bot/delivery.py (`undelivered_notice`), due a
little later. The instance that wrote them tells them from an in-memory queue, so the workers
never wait for a person's chat, and marks each row delivered once the notifier took it (sent,
or kept by the notifier itself for its own retries). Its heartbeat keeps the rows it still holds
from coming due. If the instance dies first, the rows come due and the notifier's redelivery
(RoutingNotifier, on whichever instance runs it) sends them: an outcome is never only in memory.
At worst, an instance that dies between a person's chat taking the card and the row being marked
has it sent once more after the restart.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from sqlalchemy import update
from sqlmodel import col

from bot.delivery import card_to_json
from bot.ports import Card
from storage.delivery import Undelivered, UndeliveredNotice
from storage.models import Person
from storage.uow import UnitOfWork

REASON = "бот перезапускался, пока сообщал итог публикации"


class OutcomeNotices:
    def __init__(
        self, uow: Callable[[], UnitOfWork], clock: Callable[[], datetime], grace: timedelta
    ) -> None:
        self._uow = uow
        self._clock = clock
        self._grace = grace
        self.held: set[int] = set()  # written by this instance, not told yet

    async def keep(self, uow: UnitOfWork, told: Sequence[tuple[Person, Card]]) -> list[int]:
        """Inside the outcome's own unit of work: one row per person, due after the grace."""
        now = self._clock()
        ids = []
        for person, card in told:
            notice = await Undelivered(uow.session).add(
                UndeliveredNotice(
                    person_id=person.id,
                    kind="send",
                    card=card_to_json(card),
                    reason=REASON,
                    created_at=now,
                    next_try_at=now + self._grace,
                )
            )
            assert notice.id is not None
            ids.append(notice.id)
        self.held.update(ids)
        return ids

    async def told(self, notice_id: int) -> None:
        """The notifier took it: it is no longer ours to deliver."""
        self.held.discard(notice_id)
        async with self._uow() as uow:
            row = await Undelivered(uow.session).get(notice_id)
            if row is not None and row.delivered_at is None and row.given_up_at is None:
                row.delivered_at, row.delivered_via = self._clock(), "outbox"
                uow.session.add(row)
                await uow.commit()

    async def renew(self) -> None:
        """The heartbeat: the rows still waiting in this instance's queue are not due yet."""
        if not self.held:
            return
        async with self._uow() as uow:
            await uow.session.exec(
                update(UndeliveredNotice)
                .where(
                    col(UndeliveredNotice.id).in_(sorted(self.held)),
                    col(UndeliveredNotice.delivered_at).is_(None),
                )
                .values(next_try_at=self._clock() + self._grace)
            )
            await uow.commit()
