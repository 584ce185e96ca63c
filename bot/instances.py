"""Which desk instances run on this database, and whether they share the networks' limits.

Each instance writes its heartbeat (storage/instances.py) every few seconds. Several instances
on one token share its request budget (VK's 3 a second, MAX's 30) only through Redis
(`[redis] url`, networks/shared_pace.py); without it each believes the whole budget is its own,
together they ask for more than the network allows, and the refusals are waited out: posts come
out late (bench.publish: 19 s at the p99 for 300 VK posts, against under 5 s with Redis). The
IT person hears it in Russian: in the log and from the admins' alert at start-up (or when a
second instance appears), and from `pressdesk doctor`.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from storage.instances import DeskInstance
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

ALERT_KEY = "instances:no-shared-pace"


def unshared(instances: list[DeskInstance]) -> str | None:
    """What the IT person must fix when several instances run and one of them paces alone."""
    if len(instances) < 2 or all(i.shared_pace for i in instances):
        return None
    alone = [i.name for i in instances if not i.shared_pace]
    return (
        f"Работают сразу несколько экземпляров бота ({len(instances)}) с одной базой данных, "
        f"а у {len(alone)} из них не задан Redis ([redis] url в config.toml или "
        "PRESSDESK_REDIS_URL): каждый экземпляр считает лимит запросов сети (ВКонтакте — "
        "3 в секунду на ключ пользователя, MAX — 30 в секунду) только своим, вместе они его "
        "превышают, и публикации выходят с опозданием. Укажите всем экземплярам один и тот же "
        "адрес Redis и перезапустите их. Без Redis: " + ", ".join(alone) + "."
    )


class Presence:
    """This instance's heartbeat, and the alert when instances do not share the limits."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        name: str,
        shared_pace: bool,
        clock: Callable[[], datetime],
        every: float,
        alert: Callable[[str, str], Awaitable[object]],
        resolved: Callable[[str], None],
    ) -> None:
        self._uow = uow
        self.name = name
        self._shared = shared_pace
        self._clock = clock
        self.every = every
        self._alert = alert
        self._resolved = resolved

    async def beat(self) -> str | None:
        """Write this instance's heartbeat; the problem found (None: none), told once."""
        now = self._clock()
        async with self._uow() as uow:
            await uow.instances.beat(self.name, self._shared, now)
            await uow.instances.forget(now - timedelta(days=1))
            alive = await uow.instances.seen_since(now - timedelta(seconds=3 * self.every))
            await uow.commit()
        problem = unshared(alive)
        if problem is None:
            self._resolved(ALERT_KEY)
        else:
            await self._alert(ALERT_KEY, problem)
        return problem

    async def leave(self) -> None:
        """A clean stop takes this instance off at once: a restart is not a second instance."""
        try:
            async with self._uow() as uow:
                await uow.instances.leave(self.name)
                await uow.commit()
        except (SQLAlchemyError, OSError):  # the row runs out by itself after three beats
            log.warning("could not take instance %s off the heartbeats", self.name, exc_info=True)


async def problem_now(uow: UnitOfWork, now: datetime, every: float) -> str | None:
    """`pressdesk doctor`: the same check from the heartbeats the running instances wrote."""
    return unshared(await uow.instances.seen_since(now - timedelta(seconds=3 * every)))
