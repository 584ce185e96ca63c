"""The citizens' tickets' shared state: settings, the working-time clock, the ports, the
card and its copies, and the checks every action makes (bot/replies/service.py joins the parts)."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment

from bot.card_board import CardBoard
from bot.config import Config
from bot.dates import calendar_date, calendar_when
from bot.domain import Network, Role
from bot.errors import Conflict, Denied, Invalid, NotFound
from bot.ports import (
    Action,
    Card,
    CardRef,
    Notifier,
    ReplyChannel,
    RoomNotifier,
)
from bot.replies import cards
from bot.replies.deadlines import WorkingTime
from bot.workdays import WorkCalendar
from storage.models import Person
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
# How far back a message joined to a ticket is remembered by its id, so a re-read (a catch-up
# after downtime, bot/replies/catchup.py, reads up to a week back) does not take it again.
KNOWN_FOR = timedelta(days=8)
CHAT_OF = {Network.vk: "vk", Network.telegram: "tg"}
CONFLICT = {
    "answered": "На это обращение уже ответили",
    "dismissed": "Это обращение уже закрыто без ответа",
    "sending": "Ответ на это обращение уже отправляется",
}


EDITORS_ONLY = "Отвечать жителям от имени администрации могут только редакторы."
# The buttons of a ticket's cards that only an editor presses (Telegram and VK alike).
TICKET_ACTIONS = frozenset(
    {
        Action.ticket_reply,
        Action.ticket_template,
        Action.ticket_use,
        Action.ticket_forward,
        Action.ticket_to,
        Action.ticket_dismiss,
        Action.ticket_send,
        Action.ticket_edit,
        Action.open_tickets,
    }
)


def require_editor(actor: Person) -> None:
    """Only an active editor answers citizens on the administration's behalf."""
    if not actor.active or not Role(actor.role).can_edit():
        raise Denied(EDITORS_ONLY)


class RepliesCore:
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
        self.board = CardBoard(uow, notifier, room, config.telegram.moderation_chat_id)
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
        await self.tell_room(await self.card(ticket.id), ticket.id)

    async def tell_room(self, card: Card, ticket_id: int | None = None) -> None:
        await self.board.show(CARD_KIND, ticket_id, card)

    async def _remember(self, kind: str, ticket_id: int, ref: CardRef) -> None:
        await self.board.remember(kind, ticket_id, ref)

    async def _update_cards(
        self, ticket_id: int, kind: str = CARD_KIND, card: Card | None = None
    ) -> None:
        await self.board.update(kind, ticket_id, card or await self.card(ticket_id))

    async def _editors(self) -> list[Person]:
        return await self.board.editors()

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
    async def _open_ticket(uow: UnitOfWork, ticket_id: int, lock: bool = False) -> Ticket:
        """`lock` for an action that changes the ticket from what it read (its draft, its
        assignee): another editor's action at the same moment then waits for this one."""
        ticket = await uow.tickets.get(ticket_id, lock=lock)
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

    _require_editor = staticmethod(require_editor)

    def due_text(self, ticket: Ticket) -> str:
        return calendar_when(ticket.answer_due, self._clock(), self.tz)
