"""One Notifier for the core over every chat transport: a person is told where they are, and
when they can't be reached at all the editors are told instead."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import date, datetime

from bot.dates import utcnow
from bot.ports import Card, CardRef, Notifier, Unreachable
from storage.models import Person

log = logging.getLogger(__name__)

QUOTE_LIMIT = 120  # how much of the undelivered message the editors see

Editors = Callable[[], Awaitable[list[Person]]]


def unreachable_card(person: Person, error: Unreachable, card: Card) -> Card:
    ask = f"{error.advice} или свяжитесь иначе." if error.advice else "Свяжитесь иначе."
    first = next((line for line in card.text.splitlines() if line.strip()), "").strip()
    if len(first) > QUOTE_LIMIT:
        first = first[: QUOTE_LIMIT - 1] + "…"
    quote = f"\nНе дошло: «{first}»" if first else ""
    return Card(
        f"Не удалось отправить сообщение: {person.full_name} ({error.network.title}) — "
        f"{error.reason}. {ask}{quote}"
    )


class RoutingNotifier:
    """send() goes to Telegram when the person has a Telegram id, else to VK; edit() goes back
    to the transport that showed the card, named by the CardRef's chat prefix ("tg:", "vk:").

    An unreachable person is the editors' business, once a day per person (not on every card),
    told apart from the caller's work: the caller may hold the database, and the note needs it.
    """

    def __init__(
        self,
        telegram: Notifier,
        vk: Notifier | None = None,
        editors: Editors | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._telegram = telegram
        self._vk = vk
        self._editors = editors
        self._clock = clock
        self._told: dict[tuple[int | None, str], date] = {}
        self._tasks: set[asyncio.Task] = set()

    async def send(self, person: Person, card: Card) -> CardRef | None:
        try:
            return await self._deliver(person, card)
        except Unreachable as error:
            log.warning("person %s is unreachable: %s (%s)", person.id, error, error.detail)
            self._tell_editors(person, error, card)
            return None

    async def _deliver(self, person: Person, card: Card) -> CardRef | None:
        if person.telegram_id is not None:
            return await self._telegram.send(person, card)
        if person.vk_id is not None and self._vk is not None:
            return await self._vk.send(person, card)
        return None

    def _tell_editors(self, person: Person, error: Unreachable, card: Card) -> None:
        if self._editors is None:
            return
        key, today = (person.id, str(error.network)), self._clock().date()
        if self._told.get(key) == today:
            return
        self._told[key] = today
        task = asyncio.get_running_loop().create_task(
            self._notify_editors(person, key[1], unreachable_card(person, error, card)),
            name="unreachable-note",
        )
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _notify_editors(self, person: Person, key_network: str, note: Card) -> None:
        assert self._editors is not None
        try:
            editors = [e for e in await self._editors() if e.id != person.id]
        except Exception:
            log.exception("could not find the editors to tell about person %s", person.id)
            return
        told = False
        for editor in editors:
            try:  # straight to the transports: an unreachable editor is only logged, no loop
                told = await self._deliver(editor, note) is not None or told
            except Unreachable as error:
                log.warning("editor %s is unreachable too: %s", editor.id, error)
        if not told:
            log.error("nobody could be told that person %s is unreachable", person.id)
            self._told.pop((person.id, key_network), None)  # the next card tries again

    async def drain(self) -> None:
        """Wait for the notes being sent (before the transports close)."""
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)

    async def edit(self, ref: CardRef, card: Card) -> None:
        kind = ref.chat.partition(":")[0]
        if kind == "tg":
            await self._telegram.edit(ref, card)
        elif kind == "vk" and self._vk is not None:
            await self._vk.edit(ref, card)
