"""Citizens' messages and the coordination of replies (order 1.2.3): intake, the ticket card,
forwarding to a department head, the editor's draft and the one reply on the citizen's network.

Chat- and network-agnostic: networks are ReplyChannels, people are a Notifier, the editors'
group a RoomNotifier. Each public method opens its own unit of work, moves the ticket with a
compare-and-set, commits, and only then talks to people or networks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from sqlalchemy.exc import IntegrityError

from bot.config import Config
from bot.dates import calendar_date, calendar_when
from bot.domain import Network, Role
from bot.errors import Conflict, Denied, Invalid, NotFound
from bot.people import audit
from bot.ports import (
    Card,
    CardRef,
    CitizenMessage,
    IncomingComment,
    Notifier,
    PublishError,
    ReplyChannel,
    RoomNotifier,
)
from bot.replies import cards
from bot.replies.deadlines import WorkingTime
from bot.replies.detect import is_question, kind_of, route
from bot.workdays import WorkCalendar
from storage.models import CardMessage, Person
from storage.tickets import CLOSED_STATES, OPEN_STATES, Ticket
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CARD_KIND = "ticket"
HEAD_CARD_KIND = "ticket_head"
# A comment older than this when it is first seen (a catch-up, a poll after a gap) is left to
# moderation: a ticket opened days later would promise an answer nobody asked for in time.
FRESH_COMMENT = timedelta(days=2)
# Messages a citizen writes within this time of an untouched ticket join it.
APPEND_WITHIN = timedelta(hours=12)
CHAT_OF = {Network.vk: "vk", Network.telegram: "tg"}
CONFLICT = {
    "answered": "На это обращение уже ответили",
    "dismissed": "Это обращение уже закрыто без ответа",
    "sending": "Ответ на это обращение уже отправляется",
}


class Replies:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        room: RoomNotifier | None,
        channels: dict[Network, ReplyChannel],
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._room = room
        self.channels = channels
        self._config = config
        self.settings = config.replies
        self._clock = clock
        self.tz = config.desk.tz
        self.time = WorkingTime(
            WorkCalendar(config.duty.calendar),
            self.tz,
            self.settings.work_start,
            self.settings.work_end,
        )
        self._jinja = SandboxedEnvironment(autoescape=False)

    # ---- intake ---------------------------------------------------------------------------------
    async def intake(self, message: CitizenMessage) -> Ticket | None:
        """A citizen's message or question becomes a ticket (once), acknowledged on its network
        and shown to the editors. None when it is a staff member's or already known."""
        if await self._is_staff(message.network, message.author_id):
            return None
        now = self._clock()
        text = message.text.strip() or "(без текста: вложение)"
        kind = kind_of(text)
        deadline = self.settings.deadlines[kind]
        department = route(text, self.settings.routes, self.settings.default_department)
        if message.channel == "message" and (added := await self._append(message, text, now)):
            return added
        try:
            async with self._uow() as uow:
                if await uow.tickets.find(message.network, message.channel, message.external_id):
                    return None
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
        except IntegrityError:
            return None  # the same message came twice at once (long poll and catch-up)
        await self._acknowledge(ticket)
        await self._show(ticket)
        return ticket

    async def _append(self, message: CitizenMessage, text: str, now: datetime) -> Ticket | None:
        """A citizen who writes several messages in a row, before anyone took the first one
        up, adds to that ticket: one card, one acknowledgement."""
        async with self._uow() as uow:
            ticket = await uow.tickets.waiting_of(
                message.network, message.author_id, now - APPEND_WITHIN
            )
            if ticket is None or ticket.external_id == message.external_id:
                return ticket  # the same message again (a catch-up): nothing new
            joined = f"{ticket.text}\n{text}"[:8000]
            if not await uow.tickets.move(ticket.id, ("open",), text=joined):
                return None
            await audit(uow, now, "ticket.appended", obj=f"ticket:{ticket.id}")
            await uow.commit()
        await self._update_cards(ticket.id)
        return ticket

    async def comments(self, items: Sequence[IncomingComment]) -> None:
        """Moderation's hook: new comments that ask the administration something become
        tickets; flagged ones (insults, spam) stay moderation's."""
        if not self.settings.enabled or not self.settings.questions_from_comments:
            return
        now = self._clock()
        for item in items:
            channel = self.channels.get(item.network)
            if channel is None or item.author_id <= 0 or not item.text:
                continue
            if now - item.written_at > FRESH_COMMENT or not is_question(item.text):
                continue
            async with self._uow() as uow:
                stored = await uow.comments.by_external(item.network, item.external_id)
            if stored is None or stored.state != "clean":
                continue
            thread = channel.comment_thread(item)
            if not thread:
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
        """Anyone the desk knows (active or closed) on this network is never a ticket."""
        kind = CHAT_OF.get(network)
        if kind is None or author_id <= 0:
            return False
        async with self._uow() as uow:
            if kind == "tg":
                return await uow.people.by_telegram(author_id) is not None
            return await uow.people.by_vk(author_id) is not None

    def render(self, source: str, ticket: Ticket, department: str = "") -> str:
        """A template with the ticket's placeholders; a broken template is the editor's note."""
        first = (ticket.citizen_name or "").split(" ")[0]
        try:
            return self._jinja.from_string(source).render(
                name=first,
                full_name=ticket.citizen_name,
                number=ticket.id,
                deadline=calendar_date(
                    ticket.answer_due.astimezone(self.tz).date(), self._clock().date()
                ),
                department=department or ticket.department,
                office=self._config.registry.organisation,
            )
        except TemplateError as exc:
            raise Invalid(f"Шаблон не получился: {exc}. Поправьте его в config.toml.") from exc

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
            await self._tell_room(
                Card(
                    f"Жителю не ушло подтверждение по обращению № {ticket.id}: {exc}. "
                    "Ответьте ему, когда будет ответ."
                )
            )

    # ---- the editors' actions ----------------------------------------------------------------
    async def start_reply(self, ticket_id: int, actor: Person) -> str:
        """«Ответить» / «Изменить»: what the editor is asked to write (the transport waits)."""
        self._require_editor(actor)
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        current = f"\nСейчас:\n«{ticket.draft}»" if ticket.draft else ""
        return (
            f"Напишите ответ на обращение № {ticket.id} одним сообщением — я покажу его, "
            f"и его можно будет отправить.{current}\n«{cards.clip(ticket.text, 600)}»"
        )

    async def set_draft(self, ticket_id: int, actor: Person, text: str) -> Card:
        """The editor's own text (or a template) becomes the ticket's draft."""
        self._require_editor(actor)
        text = text.strip()
        if not text:
            raise Invalid("Ответ пустой. Напишите текст ответа одним сообщением.")
        if len(text) > 4000:
            raise Invalid(f"Ответ длиннее 4000 знаков ({len(text)}). Сократите его.")
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            values = self._responded(ticket, now) | dict(
                state="draft", draft=text, draft_by=actor.id, holder_id=actor.id
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.draft", actor=actor, obj=f"ticket:{ticket_id}")
            await uow.commit()
        await self._update_cards(ticket_id)
        return await self.card(ticket_id)

    def template_names(self) -> list[str]:
        return [t.name for t in self.settings.templates]

    async def templates(self, ticket_id: int, actor: Person) -> Card:
        self._require_editor(actor)
        if not self.settings.templates:
            raise Invalid(
                "Шаблонов пока нет: их добавляют в config.toml, раздел [[replies.templates]]."
            )
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        return cards.templates_card(ticket, self.template_names())

    async def use_template(self, ticket_id: int, actor: Person, index: int) -> Card:
        self._require_editor(actor)
        if not 0 <= index < len(self.settings.templates):
            raise NotFound("Такого шаблона больше нет. Откройте список шаблонов снова.")
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        text = self.render(self.settings.templates[index].text, ticket)
        return await self.set_draft(ticket_id, actor, text)

    async def departments(self, ticket_id: int, actor: Person) -> Card:
        """«Передать в отдел»: departments that have a head, the routed one first."""
        self._require_editor(actor)
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            found = []
            for department in await uow.departments.all():
                if await self._head_of(uow, department.id):
                    found.append((department.id, department.name))
        if not found:
            raise Invalid(
                "Пока ни в одном отделе нет руководителя в боте. Пригласите его: /invite."
            )
        return cards.departments_card(ticket, found, ticket.department)

    async def forward(self, ticket_id: int, actor: Person, department_id: int) -> str:
        """The question goes to the department head, in Telegram or VK."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            department = await uow.departments.get(department_id)
            head = await self._head_of(uow, department_id) if department else None
            if department is None or head is None:
                raise NotFound("В этом отделе нет руководителя в боте. Выберите другой отдел.")
            values = self._responded(ticket, now) | dict(
                state="forwarded",
                assignee_id=head.id,
                holder_id=actor.id,
                department=department.name,
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(
                uow,
                now,
                "ticket.forwarded",
                actor=actor,
                obj=f"ticket:{ticket_id}",
                details=f"{department.name} person:{head.id}",
            )
            await uow.commit()
            ticket = await uow.tickets.get(ticket_id)
        ref = await self._notifier.send(
            head, cards.head_card(ticket, department.name, now, self.tz)
        )
        if ref is not None:
            await self._remember(HEAD_CARD_KIND, ticket_id, ref)
        await self._update_cards(ticket_id)
        return f"Передано: {department.name} ({cards.short_name(head)})."

    async def start_answer(self, ticket_id: int, head: Person) -> str:
        """A department head pressed «Ответить» under the question."""
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
        if ticket.assignee_id != head.id or ticket.state != "forwarded":
            raise Denied("Этот вопрос сейчас не ждёт ответа от вас.")
        return f"Напишите ответ на вопрос жителя (обращение № {ticket_id}) одним сообщением."

    async def head_answer(self, ticket_id: int, head: Person, text: str) -> str:
        """The head's answer comes back to the editor as a draft."""
        text = text.strip()
        if not text:
            raise Invalid("Ответ пустой. Напишите его одним сообщением.")
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            if ticket.assignee_id != head.id:
                raise Denied("Этот вопрос сейчас не ждёт ответа от вас.")
            if not await uow.tickets.move(
                ticket_id, ("forwarded",), state="draft", draft=text[:4000], draft_by=head.id
            ):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.head_answer", actor=head, obj=f"ticket:{ticket_id}")
            await uow.commit()
            ticket = await uow.tickets.get(ticket_id)
            editor = await uow.people.get(ticket.holder_id) if ticket.holder_id else None
        await self._update_cards(ticket_id, HEAD_CARD_KIND, cards.head_done_card(ticket))
        await self._update_cards(ticket_id)
        card = await self.card(ticket_id)
        note = Card(f"Пришёл ответ отдела на обращение № {ticket_id}.\n\n{card.text}", card.buttons)
        if editor is not None and editor.active:
            ref = await self._notifier.send(editor, note)
            if ref is not None:
                await self._remember(CARD_KIND, ticket_id, ref)
        else:
            await self._tell_room(note, ticket_id)
        return "Спасибо! Ответ передан в пресс-службу: редактор согласует его и отправит жителю."

    async def send(self, ticket_id: int, actor: Person) -> str:
        """The approved draft goes out once on the citizen's network; the ticket closes."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            if not ticket.draft:
                raise Invalid("Ответа ещё нет: нажмите «Ответить» и напишите его.")
            if not await uow.tickets.move(ticket_id, ("draft",), state="sending"):
                raise await self._conflict(uow, ticket_id)
            await uow.commit()
        await self._update_cards(ticket_id)
        channel = self.channels.get(Network(ticket.network))
        try:
            if channel is None:
                raise PublishError("auth", "эта сеть сейчас не подключена к боту")
            if not ticket.thread_ref:
                raise PublishError("rejected", "данные жителя уже удалены по сроку хранения")
            sent = await channel.reply(
                ticket.channel, ticket.thread_ref, ticket.draft, f"reply-{ticket_id}"
            )
        except PublishError as exc:
            log.warning("reply to ticket %s failed: %s", ticket_id, exc.detail or exc)
            async with self._uow() as uow:
                await uow.tickets.move(ticket_id, ("sending",), state="draft")
                await audit(
                    uow, now, "ticket.reply_failed", actor=actor, obj=f"ticket:{ticket_id}",
                    details=f"{exc.kind}: {exc.message}",
                )  # fmt: skip
                await uow.commit()
            await self._update_cards(ticket_id)
            maybe = (
                " Возможно, он всё же ушёл — проверьте по ссылке на обращение."
                if (exc.kind == "uncertain")
                else ""
            )
            raise Invalid(f"Ответ не отправлен: {exc.message}.{maybe}") from exc
        async with self._uow() as uow:
            await uow.tickets.move(
                ticket_id,
                ("sending",),
                state="answered",
                answered_at=now,
                reply_url=sent.url[:500],
                closed_by=actor.id,
            )
            await audit(
                uow, now, "ticket.answered", actor=actor, obj=f"ticket:{ticket_id}",
                details=sent.url,
            )  # fmt: skip
            await uow.commit()
        await self._update_cards(ticket_id)
        return "Ответ отправлен жителю."

    async def dismiss(self, ticket_id: int, actor: Person) -> str:
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            ticket = await self._open_ticket(uow, ticket_id)
            values = self._responded(ticket, now) | dict(
                state="dismissed", answered_at=now, closed_by=actor.id
            )
            if not await uow.tickets.move(ticket_id, ("open", "forwarded", "draft"), **values):
                raise await self._conflict(uow, ticket_id)
            await audit(uow, now, "ticket.dismissed", actor=actor, obj=f"ticket:{ticket_id}")
            await uow.commit()
        await self._update_cards(ticket_id)
        await self._update_cards(
            ticket_id, HEAD_CARD_KIND, Card(f"Обращение № {ticket_id} закрыто.")
        )
        return "Обращение закрыто без ответа."

    # ---- cards ----------------------------------------------------------------------------------
    async def card(self, ticket_id: int) -> Card:
        async with self._uow() as uow:
            ticket = await uow.tickets.get(ticket_id)
            if ticket is None:
                raise NotFound("Этого обращения больше нет.")
            people = await self._people_of(uow, ticket)
        return cards.ticket_card(
            ticket, self._clock(), self.tz, people, bool(self.settings.templates)
        )

    async def remember_card(self, ticket_id: int, ref: CardRef) -> None:
        await self._remember(CARD_KIND, ticket_id, ref)

    async def open_tickets(self, actor: Person) -> list[tuple[int, Card]]:
        """/tickets: the open ones, the nearest deadline first."""
        self._require_editor(actor)
        async with self._uow() as uow:
            tickets = await uow.tickets.open()
        return [(t.id, await self.card(t.id)) for t in tickets if t.id is not None]

    async def _people_of(self, uow: UnitOfWork, ticket: Ticket) -> dict[int, Person]:
        people: dict[int, Person] = {}
        for person_id in (ticket.assignee_id, ticket.draft_by, ticket.closed_by, ticket.holder_id):
            if person_id and person_id not in people:
                person = await uow.people.get(person_id)
                if person is not None:
                    people[person_id] = person
        return people

    async def _show(self, ticket: Ticket) -> None:
        await self._tell_room(await self.card(ticket.id), ticket.id)

    async def _tell_room(self, card: Card, ticket_id: int | None = None) -> None:
        """To the editors' group if there is one, else to each editor privately."""
        chat = self._config.telegram.moderation_chat_id
        refs: list[CardRef | None] = []
        if chat and self._room is not None:
            refs.append(await self._room.send_to(f"tg:{chat}", card))
        if not any(refs):
            for editor in await self._editors():
                refs.append(await self._notifier.send(editor, card))
        if ticket_id is not None:
            for ref in refs:
                if ref is not None:
                    await self._remember(CARD_KIND, ticket_id, ref)

    async def _remember(self, kind: str, ticket_id: int, ref: CardRef) -> None:
        async with self._uow() as uow:
            uow.session.add(
                CardMessage(
                    kind=kind, object_id=ticket_id, chat=ref.chat, message_id=ref.message_id
                )
            )
            await uow.commit()

    async def _update_cards(
        self, ticket_id: int, kind: str = CARD_KIND, card: Card | None = None
    ) -> None:
        card = card or await self.card(ticket_id)
        async with self._uow() as uow:
            refs = await uow.cards.of(kind, ticket_id)
        for ref in refs:
            await self._notifier.edit(CardRef(ref.chat, ref.message_id), card)

    async def _editors(self) -> list[Person]:
        async with self._uow() as uow:
            return await uow.people.editors()

    # ---- helpers --------------------------------------------------------------------------------
    @staticmethod
    def _responded(ticket: Ticket, now: datetime) -> dict:
        """The first thing a person does with a ticket is its first response; the answer's
        deadline then starts its own reminder and escalation."""
        if ticket.first_response_at is not None:
            return {}
        return {"first_response_at": now, "reminded_at": None, "escalated_at": None}

    @staticmethod
    async def _head_of(uow: UnitOfWork, department_id: int | None) -> Person | None:
        for person in await uow.people.with_roles([Role.reporter]):
            if person.department_id == department_id and person.active:
                return person
        return None

    @staticmethod
    async def _open_ticket(uow: UnitOfWork, ticket_id: int) -> Ticket:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            raise NotFound("Этого обращения больше нет.")
        if ticket.state in CLOSED_STATES or ticket.state not in OPEN_STATES:
            raise Conflict(CONFLICT.get(ticket.state, "Обращение уже закрыто") + ".")
        return ticket

    @staticmethod
    async def _conflict(uow: UnitOfWork, ticket_id: int) -> Exception:
        ticket = await uow.tickets.get(ticket_id)
        if ticket is None:
            return NotFound("Этого обращения больше нет.")
        await uow.session.refresh(ticket)
        return Conflict(CONFLICT.get(ticket.state, "Обращение уже изменилось") + ".")

    @staticmethod
    def _require_editor(actor: Person) -> None:
        if not actor.active or not Role(actor.role).can_edit():
            raise Denied("Отвечать жителям от имени администрации могут только редакторы.")

    def due_text(self, ticket: Ticket) -> str:
        return calendar_when(ticket.answer_due, self._clock(), self.tz)
