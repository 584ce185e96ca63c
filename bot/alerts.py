"""Something stopped working that the admins must hear about: told once per cause (not at every
occurrence, and never only in the log), through the Notifier, so a chat that fails for now
hands the note to the admin's other chat or keeps it until it can be delivered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from bot.ports import Card, Notifier
from storage.models import Person

log = logging.getLogger(__name__)

Admins = Callable[[], Awaitable[list[Person]]]


class AdminAlerts:
    def __init__(self, notifier: Notifier, admins: Admins) -> None:
        self._notifier = notifier
        self._admins = admins
        self._told: set[str] = set()

    async def once(self, key: str, text: str) -> bool:
        """Tell every admin `text` unless `key` was told already; True when it went out now."""
        if key in self._told:
            return False
        self._told.add(key)
        log.warning("admin alert %s: %s", key, text)
        try:
            admins = await self._admins()
        except Exception:
            log.exception("could not find the admins for alert %s", key)
            self._told.discard(key)
            return False
        for admin in admins:
            await self._notifier.send(admin, Card(text))
        return True

    def resolved(self, key: str) -> None:
        """The cause is gone: the next time it happens is news again."""
        self._told.discard(key)
