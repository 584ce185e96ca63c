"""One Notifier for the core over every chat transport: a person is told in the chat they use,
in their other chat when that one fails for now, and a card no chat took is kept (bot/delivery.py)
and sent again; the editors and admins hear about what could not be delivered."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import date, datetime
from typing import Any

from bot.dates import utcnow
from bot.delivery import NotDelivered, Postbox
from bot.health import Health
from bot.ports import Card, CardRef, Notifier, Unreachable
from bot.textsize import fit
from storage.models import Person

log = logging.getLogger(__name__)

QUOTE_LIMIT = 120  # how much of the undelivered message the editors see
CHAT_TITLES = {"tg": "Telegram", "vk": "ВКонтакте"}

Editors = Callable[[], Awaitable[list[Person]]]


def _quote(card: Card) -> str:
    first = next((line for line in card.text.splitlines() if line.strip()), "").strip()
    return f"\nНе дошло: «{fit(first, QUOTE_LIMIT)}»" if first else ""


def unreachable_card(person: Person, error: Unreachable, card: Card) -> Card:
    ask = f"{error.advice} или свяжитесь иначе." if error.advice else "Свяжитесь иначе."
    return Card(
        f"Не удалось отправить сообщение: {person.full_name} ({error.network.title}) — "
        f"{error.reason}. {ask}{_quote(card)}"
    )


def kept_card(person: Person | None, error: NotDelivered, card: Card) -> Card:
    who = person.full_name if person is not None else "сотрудник"
    chat = CHAT_TITLES.get(error.chat, error.chat)
    return Card(
        f"Не удалось доставить сообщение для {who}: {chat} — {error.reason}. Сообщение "
        f"сохранено: бот отправит его, как только {chat} снова ответит.{_quote(card)}"
    )


def gave_up_card(person: Person | None, card: Card, reason: str) -> Card:
    who = person.full_name if person is not None else "сотрудника"
    return Card(
        f"Сообщение для {who} так и не удалось доставить ({reason}). Свяжитесь иначе.{_quote(card)}"
    )


class RoutingNotifier:
    """send() goes to Telegram when the person has a Telegram id, else (or when Telegram fails
    for now) to VK; edit() goes back to the transport that showed the card, named by the
    CardRef's chat prefix ("tg:", "vk:").

    An unreachable person is the editors' business, once a day per person (not on every card);
    a card kept for later, once per person until a card reaches them again. Notes are sent
    apart from the caller's work: the caller may hold the database, and the notes need it.
    """

    def __init__(
        self,
        telegram: Notifier,
        vk: Notifier | None = None,
        editors: Editors | None = None,
        clock: Callable[[], datetime] = utcnow,
        postbox: Postbox | None = None,
        health: Health | None = None,
    ) -> None:
        self._telegram = telegram
        self._vk = vk
        self._editors = editors
        self._clock = clock
        self.postbox = postbox
        self.health = health
        self._told: dict[tuple[int | None, str], date] = {}
        self._kept_told: set[int | None] = set()
        self._tasks: set[asyncio.Task] = set()
        self._wake = asyncio.Event()
        self._loop: asyncio.Task | None = None

    # ----- sending ---------------------------------------------------------------------------

    async def send(self, person: Person, card: Card) -> CardRef | None:
        try:
            return await self._deliver(person, card)
        except Unreachable as error:
            log.warning("person %s is unreachable: %s (%s)", person.id, error, error.detail)
            self._tell_editors(person, error, card)
        except NotDelivered as error:
            log.warning("card for person %s not delivered: %s (%s)", person.id, error, error.detail)
            self._background(self._keep(person, card, error), "keep-notice")
        return None

    def _chats(self, person: Person) -> list[tuple[str, Notifier]]:
        chats: list[tuple[str, Notifier]] = []
        if person.telegram_id is not None:
            chats.append(("tg", self._telegram))
        if person.vk_id is not None and self._vk is not None:
            chats.append(("vk", self._vk))
        return chats

    async def _deliver(self, person: Person, card: Card) -> CardRef | None:
        """The person's chats in order; one that fails hands the card to the next. Raises the
        temporary failure (kept and retried) before a permanent one (the editors are told)."""
        failures: list[Exception] = []
        for name, transport in self._chats(person):
            try:
                ref = await transport.send(person, card)
            except NotDelivered as exc:
                self._report(name, False, exc.reason)
                failures.append(exc)
                continue
            except Unreachable as exc:
                failures.append(exc)
                continue
            self._report(name, True)
            if ref is not None:
                self._kept_told.discard(person.id)
                return ref
        temporary = [f for f in failures if isinstance(f, NotDelivered)]
        if temporary:
            raise temporary[0]
        if failures:
            raise failures[0]
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        try:
            await self._edit(ref, card)
        except NotDelivered as error:
            log.warning("card %s not updated: %s (%s)", ref, error, error.detail)
            self._background(self._keep(None, card, error, ref), "keep-edit")

    async def _edit(self, ref: CardRef, card: Card) -> None:
        kind = ref.chat.partition(":")[0]
        transport = {"tg": self._telegram, "vk": self._vk}.get(kind)
        if transport is None:
            return
        try:
            await transport.edit(ref, card)
        except NotDelivered as exc:
            self._report(kind, False, exc.reason)
            raise
        self._report(kind, True)

    def _report(self, chat: str, ok: bool, detail: str = "") -> None:
        if self.health is None:
            return
        changed = self.health.report(f"chat:{chat}", ok, detail)
        if changed and ok:
            self._wake.set()  # the chat answers again: deliver what was kept, now

    # ----- kept notices ----------------------------------------------------------------------

    async def _keep(
        self, person: Person | None, card: Card, error: NotDelivered, ref: CardRef | None = None
    ) -> None:
        if self.postbox is None:
            log.error("no postbox: a card for person %s is lost", person and person.id)
            return
        try:
            await self.postbox.keep(person, card, error.reason, ref)
        except Exception:
            log.exception("could not keep a card for person %s", person and person.id)
        if ref is not None or person is None or person.id in self._kept_told:
            return  # a card's later change is the card's business, not news for the editors
        self._kept_told.add(person.id)
        await self._tell_others(person, kept_card(person, error, card))

    async def redeliver(self, everything: bool = False) -> int:
        """Send the kept notices that are due (the whole backlog with `everything`)."""
        if self.postbox is None:
            return 0
        return await self.postbox.redeliver(
            self._deliver, self._edit, self._gave_up, everything=everything
        )

    async def backlog_text(self) -> str:
        """For /queue: what waits for delivery and which chat fails now; "" when all is well."""
        lines = []
        if self.postbox is not None and (waiting := await self.postbox.backlog()):
            lines.append(
                f"Ждут доставки сообщений: {len(waiting)}. Бот отправит их, как только чат "
                "снова ответит:"
            )
            lines += [f"• {name} — {reason}" for name, reason in waiting[:10]]
        if self.health is not None:
            for chat, title in CHAT_TITLES.items():
                state = self.health.state(f"chat:{chat}")
                if state is not None and not state.ok:
                    lines.append(f"{title} сейчас не доставляет сообщения: {state.detail}.")
        return "\n".join(lines)

    async def _gave_up(self, person: Person | None, card: Card, reason: str) -> None:
        await self._tell_others(person, gave_up_card(person, card, reason))

    def start(self) -> None:
        """The loop that sends kept notices again: every few seconds, at once on recovery."""
        if self.postbox is not None and self._loop is None:
            self._loop = asyncio.get_running_loop().create_task(
                self._redeliver_forever(), name="redeliver-notices"
            )

    async def _redeliver_forever(self) -> None:
        assert self.postbox is not None
        every = self.postbox.every_seconds
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), every)
            woke, self._wake = self._wake.is_set(), asyncio.Event()
            try:
                await self.redeliver(everything=woke)
            except Exception:
                log.exception("redelivering kept notices failed; trying again later")

    # ----- notes to the editors --------------------------------------------------------------

    def _tell_editors(self, person: Person, error: Unreachable, card: Card) -> None:
        if self._editors is None:
            return
        key, today = (person.id, str(error.network)), self._clock().date()
        if self._told.get(key) == today:
            return
        self._told[key] = today
        self._background(
            self._notify_editors(person, key[1], unreachable_card(person, error, card)),
            "unreachable-note",
        )

    async def _notify_editors(self, person: Person, key_network: str, note: Card) -> None:
        if not await self._tell_others(person, note):
            self._told.pop((person.id, key_network), None)  # the next card tries again

    async def _tell_others(self, person: Person | None, note: Card) -> bool:
        """The note to every editor and admin but `person`, through any chat that works."""
        if self._editors is None:
            return False
        try:
            editors = [e for e in await self._editors() if person is None or e.id != person.id]
        except Exception:
            log.exception("could not find the editors to tell about person %s", person)
            return False
        told = False
        for editor in editors:
            try:  # straight to the transports: a note that fails is not kept, or notes loop
                told = await self._deliver(editor, note) is not None or told
            except (Unreachable, NotDelivered) as error:
                log.warning("editor %s could not be told either: %s", editor.id, error)
        if not told:
            log.error("nobody could be told about person %s", person and person.id)
        return told

    def _background(self, work: Coroutine[Any, Any, None], name: str) -> None:
        task = asyncio.get_running_loop().create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Stop the redelivery loop and wait for the notes being sent (before transports close)."""
        if self._loop is not None:
            self._loop.cancel()
            await asyncio.gather(self._loop, return_exceptions=True)
            self._loop = None
        while self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)
