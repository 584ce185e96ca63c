"""Something stopped working that the admins (or, for what they act on, the editors) must hear
about: told once per cause (not at every occurrence, and never only in the log), through the
Notifier, so a chat that fails for now hands the note to the person's other chat or keeps it
until it can be delivered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.ports import Card, Notifier
from storage.models import Person

log = logging.getLogger(__name__)

People = Callable[[], Awaitable[list[Person]]]


class Alerts:
    def __init__(self, notifier: Notifier, people: People, whom: str = "admins") -> None:
        self._notifier = notifier
        self._people = people
        self._whom = whom  # who `people` are, for the log
        self._told: set[str] = set()

    async def once(self, key: str, text: str) -> bool:
        """Tell every one of the people `text` unless `key` was told already; True when it
        went out now."""
        if key in self._told:
            return False
        self._told.add(key)
        log.warning("alert to the %s %s: %s", self._whom, key, text)
        try:
            people = await self._people()
        except Exception:
            log.exception("could not find the %s for alert %s", self._whom, key)
            self._told.discard(key)
            return False
        for person in people:
            await self._notifier.send(person, Card(text))
        return True

    def resolved(self, key: str) -> None:
        """The cause is gone: the next time it happens is news again."""
        self._told.discard(key)
