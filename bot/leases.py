"""One instance at a time does a job every instance schedules (storage/leases.py): each run asks
for the lease first and renews it, the others skip theirs; one that dies leaves the lease to run
out, and the next run elsewhere takes it over."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Turn:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        name: str,
        holder: str,
        clock: Callable[[], datetime],
        length: timedelta,
    ) -> None:
        self._uow = uow
        self.name = name
        self.holder = holder
        self._clock = clock
        self.length = length  # how long after a run another instance waits to take over

    async def mine(self) -> bool:
        """Whether this instance does the job now (the lease taken or renewed)."""
        now = self._clock()
        async with self._uow() as uow:
            won = await uow.leases.take(self.name, self.holder, now, now + self.length)
            await uow.commit()
        return won

    async def give_up(self) -> None:
        """On a clean stop: another instance takes over at its next run, not after `length`."""
        try:
            async with self._uow() as uow:
                await uow.leases.release(self.name, self.holder)
                await uow.commit()
        except SQLAlchemyError as exc:  # it runs out by itself
            log.warning("lease %s not given up: %r", self.name, exc)
