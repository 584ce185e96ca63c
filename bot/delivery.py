"""Messages to people that no chat took yet: kept in the database, tried again, and given up
only with a note to the admins. Nothing the desk says to a person is only logged.

A transport that cannot deliver for a reason a retry may fix (Telegram refusing or not answering,
a revoked token, an unparsable answer) raises `NotDelivered`; RoutingNotifier then tries the
person's other chat, and when none took the card it is kept here (`Postbox.keep`) and sent
again by `Postbox.redeliver`, every few seconds and at once when the chat answers again.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path

from bot.domain import MediaKind
from bot.ports import Action, Button, Card, CardRef, MediaItem, Unreachable
from storage.delivery import Undelivered, UndeliveredNotice
from storage.models import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(minutes=10)


class NotDelivered(Exception):
    """A chat did not take a message for a reason a later try may fix. `reason` is Russian,
    safe to show (never a token or a URL with one); `chat` names the transport ("tg", "vk")."""

    def __init__(self, chat: str, reason: str, detail: str = "") -> None:
        super().__init__(f"{chat}: {reason}")
        self.chat = chat
        self.reason = reason
        self.detail = detail


def card_to_json(card: Card) -> str:
    return json.dumps(
        {
            "text": card.text,
            "buttons": [[asdict(b) for b in row] for row in card.buttons],
            "media": [{**asdict(m), "path": str(m.path), "kind": str(m.kind)} for m in card.media],
        },
        ensure_ascii=False,
    )


def card_from_json(raw: str) -> Card:
    data = json.loads(raw)
    buttons = tuple(
        tuple(Button(b["text"], Action(b["action"]), int(b["ref"]), str(b["arg"])) for b in row)
        for row in data.get("buttons", [])
    )
    media = tuple(
        MediaItem(
            MediaKind(m["kind"]),
            m["filename"],
            m["mime_type"],
            Path(m["path"]),
            m.get("telegram_file_id"),
        )
        for m in data.get("media", [])
        if Path(m["path"]).exists() or m.get("telegram_file_id")
    )
    return Card(data["text"], buttons, media)


def _backoff(attempts: int, every: float) -> timedelta:
    return min(timedelta(seconds=every * 2 ** min(attempts, 10)), MAX_BACKOFF)


Deliver = Callable[[Person, Card], Awaitable[CardRef | None]]
Edit = Callable[[CardRef, Card], Awaitable[None]]
GaveUp = Callable[[Person | None, Card, str], Awaitable[None]]


class Postbox:
    """The kept notices: keep, count, and deliver again."""

    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        clock: Callable[[], datetime],
        every_seconds: float = 30.0,
        keep_hours: float = 72.0,
    ) -> None:
        self._uow = uow
        self._clock = clock
        self.every_seconds = every_seconds
        self._keep_for = timedelta(hours=keep_hours)

    async def keep(
        self, person: Person | None, card: Card, reason: str, ref: CardRef | None = None
    ) -> int:
        now = self._clock()
        async with self._uow() as uow:
            notice = await Undelivered(uow.session).add(
                UndeliveredNotice(
                    person_id=person.id if person is not None else None,
                    kind="edit" if ref is not None else "send",
                    chat=ref.chat if ref is not None else "",
                    message_id=ref.message_id if ref is not None else 0,
                    card=card_to_json(card),
                    reason=reason[:500],
                    created_at=now,
                    next_try_at=now + timedelta(seconds=self.every_seconds),
                )
            )
            await uow.commit()
            assert notice.id is not None
            log.warning("notice %s kept for person %s: %s", notice.id, notice.person_id, reason)
            return notice.id

    async def pending(self) -> list[UndeliveredNotice]:
        async with self._uow() as uow:
            return await Undelivered(uow.session).pending()

    async def backlog(self) -> list[tuple[str, str]]:
        """Who waits for what: (the person's name, why it did not go) per kept new card."""
        async with self._uow() as uow:
            notices = await Undelivered(uow.session).pending()
            out = []
            for notice in notices:
                if notice.kind != "send":
                    continue
                person = await uow.people.get(notice.person_id) if notice.person_id else None
                out.append((person.full_name if person else "сотрудник", notice.reason))
            return out

    async def redeliver(
        self, deliver: Deliver, edit: Edit, gave_up: GaveUp, everything: bool = False
    ) -> int:
        """Try the due notices (all of them with `everything`); returns how many went out.
        A chat still failing ends the round: the rest wait for the next one."""
        now = self._clock()
        async with self._uow() as uow:
            repo = Undelivered(uow.session)
            due = await (repo.pending() if everything else repo.due(now))
            people = {n.person_id: await uow.people.get(n.person_id) for n in due if n.person_id}
        sent = 0
        for notice in due:
            person = people.get(notice.person_id) if notice.person_id else None
            card = card_from_json(notice.card)
            outcome, via = await self._try(notice, person, card, deliver, edit)
            async with self._uow() as uow:
                row = await Undelivered(uow.session).get(notice.id or 0)
                if row is None or row.delivered_at is not None:
                    continue
                row.attempts += 1
                if outcome == "sent":
                    row.delivered_at, row.delivered_via = self._clock(), via
                    sent += 1
                elif now - row.created_at > self._keep_for or outcome == "gone":
                    row.given_up_at = self._clock()
                else:
                    row.reason = via[:500] or row.reason
                    row.next_try_at = self._clock() + _backoff(row.attempts, self.every_seconds)
                given_up = row.given_up_at is not None
                await uow.commit()
            if given_up:
                await gave_up(person, card, notice.reason)
            if outcome == "failed":
                break
        return sent

    @staticmethod
    async def _try(
        notice: UndeliveredNotice, person: Person | None, card: Card, deliver: Deliver, edit: Edit
    ) -> tuple[str, str]:
        """("sent", chat) | ("failed", reason) | ("gone", "") — the person left, nobody to tell."""
        try:
            if notice.kind == "edit":
                await edit(CardRef(notice.chat, notice.message_id), card)
                return "sent", notice.chat.partition(":")[0]
            if person is None or not person.active:
                return "gone", ""
            ref = await deliver(person, card)
        except NotDelivered as exc:
            return "failed", exc.reason
        except Unreachable:
            return "gone", ""
        if ref is None:
            return "gone", ""
        return "sent", ref.chat.partition(":")[0]
