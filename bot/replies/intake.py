"""Citizens' messages and question comments coming in: staff filtered out, one ticket per
message (further messages join a waiting one), the acknowledgement on the citizen's network, the
card to the editors."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from typing import Literal

from sqlalchemy.exc import IntegrityError

from bot.domain import Network
from bot.errors import Invalid
from bot.people import audit
from bot.ports import (
    Card,
    CitizenMessage,
    IncomingComment,
    PublishError,
)
from bot.replies.core import APPEND_WITHIN, CHAT_OF, FRESH_COMMENT, KNOWN_FOR, RepliesCore
from bot.replies.detect import is_question, kind_of, route
from storage.tickets import Ticket
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


class Intake(RepliesCore):
    # ---- intake ---------------------------------------------------------------------------------
    async def intake(self, message: CitizenMessage) -> Ticket | None:
        """A citizen's message or question becomes a ticket (once), acknowledged on its network
        and shown to the editors. None when it is a staff member's or already known."""
        if await self._is_staff(message.network, message.author_id):
            return None
        now = self._clock()
        if message.channel == "message" and await self._known(message, now):
            return None  # read again (a catch-up) or delivered again (a webhook retry)
        try:
            ticket, outcome = await self._take(message, now)
        except IntegrityError:
            return None  # the same message came twice at once (long poll and catch-up)
        if outcome == "added":
            await self._update_cards(ticket.id)
        elif outcome == "opened":
            await self._acknowledge(ticket)
            await self._show(ticket)
        return ticket if outcome else None

    async def _take(
        self, message: CitizenMessage, now: datetime
    ) -> tuple[Ticket, Literal["opened", "added", "known", ""]]:
        """The message joins the citizen's waiting ticket or opens one, in one unit of work."""
        text = message.text.strip() or "(без текста: вложение)"
        async with self._uow() as uow:
            if message.channel == "message":
                # One citizen's messages one at a time, across instances, from the look for a
                # waiting ticket to the commit: two first messages at once then open one
                # ticket, the second joining it as later ones do.
                await uow.tickets.hold_citizen(message.network, message.author_id)
                waiting = await uow.tickets.waiting_of(
                    message.network, message.author_id, now - APPEND_WITHIN, lock=True
                )
                if waiting is not None and (
                    joined := await self._append(uow, waiting, message, text, now)
                ):
                    await uow.commit()
                    return waiting, joined
            known = await uow.tickets.find(message.network, message.channel, message.external_id)
            if known is not None:
                return known, ""
            kind = kind_of(text)
            deadline = self.settings.deadlines[kind]
            department = route(text, self.settings.routes, self.settings.default_department)
            ticket = await uow.tickets.add(
                Ticket(
                    network=message.network,
                    channel=message.channel,
                    external_id=message.external_id,
                    thread_ref=message.thread_ref,
                    url=message.url,
                    citizen_id=message.author_id,
                    citizen_name=message.author_name[:200],
                    text=text,
                    kind=kind,
                    department=department,
                    created_at=now,
                    first_due=self.time.add_hours(now, deadline.first_hours),
                    answer_due=self.time.add_days(now, deadline.answer_days),
                )
            )
            await audit(
                uow,
                now,
                "ticket.opened",
                obj=f"ticket:{ticket.id}",
                details=f"{message.network} {message.channel} {kind} {department}".strip(),
            )
            await uow.commit()
        return ticket, "opened"

    async def _known(self, message: CitizenMessage, now: datetime) -> bool:
        """Whether this message is already a ticket or part of one."""
        async with self._uow() as uow:
            if await uow.tickets.find(message.network, message.channel, message.external_id):
                return True
            mid = f"message {message.external_id}"[:500]
            return await uow.audit.mentions("ticket.appended", mid, now - KNOWN_FOR)

    async def _append(
        self, uow: UnitOfWork, ticket: Ticket, message: CitizenMessage, text: str, now: datetime
    ) -> Literal["added", "known", ""]:
        """A citizen who writes several messages in a row, before anyone took the first one
        up, adds to that ticket: one card, one acknowledgement. The caller holds the citizen
        and the ticket (intake): deliveries at once (two instances, a webhook and the
        catch-up) add one after the other, neither lost, the same message once. "" when the
        ticket was taken up meanwhile: the message opens a ticket of its own."""
        if ticket.external_id == message.external_id:
            return "known"  # the same message again (a catch-up): nothing new
        obj, mid = f"ticket:{ticket.id}", f"message {message.external_id}"[:500]
        if await uow.audit.has("ticket.appended", obj, mid):
            return "known"  # delivered again (OK's webhook retry, a re-read batch)
        joined = f"{ticket.text}\n{text}"[:8000]
        if not await uow.tickets.move(ticket.id, ("open",), text=joined):
            return ""
        await audit(uow, now, "ticket.appended", obj=obj, details=mid)
        return "added"

    async def comments(self, items: Sequence[IncomingComment]) -> None:
        """Moderation's hook: new comments that ask the administration something become
        tickets; flagged ones (insults, spam) stay moderation's. A failure here never stops
        moderation: the editors hear of it."""
        if not self.settings.enabled or not self.settings.questions_from_comments:
            return
        try:
            await self._question_comments(items)
        except Exception:
            log.exception("question comments not turned into tickets")
            await self.tell_room(
                Card(
                    "Не получилось завести обращение по вопросу в комментариях — посмотрите "
                    "новые комментарии под публикациями и ответьте на вопросы в самой сети."
                )
            )

    async def _question_comments(self, items: Sequence[IncomingComment]) -> None:
        now = self._clock()
        for item in items:
            channel = self.channels.get(item.network)
            if channel is None or item.author_id <= 0 or not item.text:
                continue
            thread = channel.comment_thread(item)  # "" where the network cannot answer it
            if not thread or now - item.written_at > FRESH_COMMENT or not is_question(item.text):
                continue
            async with self._uow() as uow:
                stored = await uow.comments.by_external(item.network, item.external_id)
                known = await uow.tickets.find(item.network, "comment", item.external_id)
            if stored is None or stored.state != "clean" or known is not None:
                continue
            await self.intake(
                CitizenMessage(
                    network=item.network,
                    channel="comment",
                    external_id=item.external_id,
                    thread_ref=thread,
                    author_id=item.author_id,
                    text=item.text,
                    written_at=item.written_at,
                    author_name=item.author_name,
                    url=item.url,
                )
            )

    async def _is_staff(self, network: Network, author_id: int) -> bool:
        """Anyone the desk knows (active or closed) on this network is never a ticket. People
        have no OK or MAX ids in the desk: staff's own accounts there are listed in
        [ok] staff_ids and [max] staff_ids."""
        listed = {Network.ok: self._config.ok.staff_ids, Network.max: self._config.max.staff_ids}
        if author_id in listed.get(network, ()):
            return True
        kind = CHAT_OF.get(network)
        if kind is None or author_id <= 0:
            return False
        async with self._uow() as uow:
            if kind == "tg":
                return await uow.people.by_telegram(author_id) is not None
            return await uow.people.by_vk(author_id) is not None

    async def _acknowledge(self, ticket: Ticket) -> None:
        source = (
            self.settings.acknowledgement
            if ticket.channel == "message"
            else self.settings.comment_acknowledgement
        )
        channel = self.channels.get(Network(ticket.network))
        if not source.strip() or channel is None:
            return
        try:
            text = self.render(source, ticket)
            await channel.reply(ticket.channel, ticket.thread_ref, text, f"ack-{ticket.id}")
        except (PublishError, Invalid) as exc:
            log.warning("ticket %s not acknowledged: %s", ticket.id, getattr(exc, "detail", exc))
            await self.tell_room(
                Card(
                    f"Жителю не ушло подтверждение по обращению № {ticket.id}: {exc}. "
                    "Ответьте ему, когда будет ответ."
                )
            )
