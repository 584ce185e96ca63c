"""Citizens' tickets with two desk instances writing at once, on both engines: each instance is
its own engine on its own event loop (a thread), as two processes on one database are."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import timedelta
from typing import TypeVar

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlmodel import select

from bot.config import parse_config
from bot.domain import Network, Role
from bot.errors import Conflict, Denied
from bot.ports import Card, CardRef, CitizenMessage, Published
from bot.replies.followups import Followups
from bot.replies.service import Replies
from storage.db import create_engine, session_factory
from storage.models import AuditLog, Person
from storage.tickets import Ticket
from storage.uow import UnitOfWork
from tests.storage.test_storage import NOW, add_person, engine  # noqa: F401  (fixture)

T = TypeVar("T")
CITIZEN = 700001


class Nobody:
    """No editor is in these desks, so no card goes anywhere: the test reads the rows."""

    async def send(self, person: Person, card: Card) -> CardRef | None:
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        return None


def desk(eng: AsyncEngine, clock: Callable = lambda: NOW, channels: dict | None = None) -> Replies:
    sessions = session_factory(eng)
    return Replies(
        lambda: UnitOfWork(sessions), Nobody(), None, channels or {}, parse_config({}), clock
    )


async def twin(eng: AsyncEngine) -> AsyncEngine:
    """A second engine on the same database (the same PostgreSQL schema)."""
    if eng.url.get_backend_name() == "sqlite":
        return create_engine(eng.url.render_as_string(hide_password=False))
    async with eng.connect() as conn:
        path = (await conn.execute(text("SHOW search_path"))).scalar_one()
    return create_engine(
        eng.url.render_as_string(hide_password=False),
        connect_args={"server_settings": {"search_path": path}},
    )


async def at_once(eng: AsyncEngine, work: Callable[[AsyncEngine], Awaitable[T]]) -> tuple[T, T]:
    """`work` run by this instance and by a second one (own engine, own loop) at the same
    moment: both are connected first and start together."""
    other_engine = await twin(eng)
    start = threading.Barrier(2)

    async def ready(own: AsyncEngine) -> None:
        async with own.connect() as conn:
            await conn.execute(text("SELECT 1"))

    def other() -> T:
        async def run() -> T:
            try:
                await ready(other_engine)
                start.wait()
                return await work(other_engine)
            finally:
                await other_engine.dispose()

        return asyncio.run(run())

    await ready(eng)
    # The twin engine's pool is only ever used on the other loop: dispose of what this loop made.
    await other_engine.dispose()
    thread = asyncio.create_task(asyncio.to_thread(other))
    await asyncio.to_thread(start.wait)
    mine = await work(eng)
    return mine, await thread


def message(external_id: str, words: str) -> CitizenMessage:
    return CitizenMessage(
        network=Network.vk,
        channel="message",
        external_id=external_id,
        thread_ref=str(CITIZEN),
        author_id=CITIZEN,
        text=words,
        written_at=NOW,
    )


async def lines(eng: AsyncEngine, action: str) -> list[AuditLog]:
    async with UnitOfWork(session_factory(eng)) as uow:
        query = select(AuditLog).where(AuditLog.action == action)
        return list((await uow.session.exec(query)).all())


async def the_tickets(eng: AsyncEngine) -> list[Ticket]:
    async with UnitOfWork(session_factory(eng)) as uow:
        return list((await uow.session.exec(select(Ticket))).all())


async def test_messages_appended_at_once_by_two_instances_are_all_kept_once(engine) -> None:  # noqa: F811
    await desk(engine).intake(message("1", "Здравствуйте, у нас во дворе нет света."))

    async def write(own: AsyncEngine) -> None:
        replies = desk(own)
        side = "a" if own is engine else "b"
        texts = [message(f"{side}{n}", f"Дополнение {side}{n}.") for n in range(4)]
        # One message delivered by both instances too (a webhook and the catch-up).
        texts.append(message("both", "Свет не горит с понедельника."))
        await asyncio.gather(*(replies.intake(m) for m in texts))

    await at_once(engine, write)
    (ticket,) = await the_tickets(engine)
    parts = ticket.text.split("\n")
    expected = {f"Дополнение {s}{n}." for s in "ab" for n in range(4)}
    expected |= {"Здравствуйте, у нас во дворе нет света.", "Свет не горит с понедельника."}
    assert sorted(parts) == sorted(expected)  # every message, each once
    assert parts[0] == "Здравствуйте, у нас во дворе нет света."
    ids = ["both", *(f"{s}{n}" for s in "ab" for n in range(4))]
    appended = [line.details for line in await lines(engine, "ticket.appended")]
    assert sorted(appended) == sorted(f"message {i}" for i in ids)


async def test_a_citizens_first_messages_at_once_open_one_ticket(engine) -> None:  # noqa: F811
    """No ticket yet: each citizen's first messages come by two instances at once, and to
    one instance by two deliveries at once (two webhooks); the later ones join the first."""
    citizens = range(1, 7)

    async def write(own: AsyncEngine) -> None:
        replies = desk(own)
        side = "a" if own is engine else "b"
        firsts = [
            replace(message(f"{side}{c}-{n}", f"Сообщение {side}{n}."), author_id=c)
            for c in citizens
            for n in range(2)
        ]
        await asyncio.gather(*(replies.intake(m) for m in firsts))

    await at_once(engine, write)
    tickets = await the_tickets(engine)
    assert sorted(t.citizen_id for t in tickets) == list(citizens)  # one ticket each
    for ticket in tickets:
        parts = sorted(ticket.text.split("\n"))
        assert parts == [f"Сообщение {s}{n}." for s in "ab" for n in range(2)]
    opened = await lines(engine, "ticket.opened")
    assert sorted(line.object_ref for line in opened) == sorted(f"ticket:{t.id}" for t in tickets)
    assert len(await lines(engine, "ticket.appended")) == 3 * len(tickets)


async def test_two_instances_sweeping_at_once_escalate_each_ticket_once(engine) -> None:  # noqa: F811
    for n in range(4):
        await desk(engine).intake(replace(message(f"m{n}", "Когда починят свет?"), author_id=n + 1))
    later = NOW + timedelta(days=30)  # every deadline passed

    async def sweep(own: AsyncEngine) -> int:
        replies = desk(own, lambda: later)
        sessions = session_factory(own)
        return (
            await Followups(replies, lambda: UnitOfWork(sessions), Nobody(), lambda: later).sweep()
        )[1]

    escalated = await at_once(engine, sweep)
    assert sum(escalated) == 4
    escalations = [line.object_ref for line in await lines(engine, "ticket.escalated")]
    assert sorted(escalations) == sorted(f"ticket:{t.id}" for t in await the_tickets(engine))


class Recorder:
    """The citizen's network: what each ticket's reply said."""

    network = Network.vk

    def __init__(self) -> None:
        self.replies: dict[str, list[str]] = {}

    async def reply(self, channel: str, thread_ref: str, words: str, key: str) -> Published:
        self.replies.setdefault(key, []).append(words)
        return Published(key, f"https://vk.com/im?sel={thread_ref}")

    def comment_thread(self, comment: object) -> str:
        return ""


async def test_the_reply_sent_is_the_draft_kept_when_an_editor_edits_it_meanwhile(
    engine,  # noqa: F811
) -> None:
    sessions = session_factory(engine)
    first = await add_person(lambda: UnitOfWork(sessions), 1)
    second = await add_person(lambda: UnitOfWork(sessions), 2)
    network = Recorder()
    replies = desk(engine, channels={Network.vk: network})
    ids = []
    for n in range(6):
        ticket = await replies.intake(replace(message(f"q{n}", "Вопрос?"), author_id=n + 1))
        await replies.set_draft(ticket.id, first, f"Первый ответ {n}")
        ids.append(ticket.id)

    async def act(own: AsyncEngine) -> None:
        mine = desk(own, channels={Network.vk: network})
        if own is engine:  # one editor sends each draft while the other rewrites it
            calls = [mine.send(i, first) for i in ids]
        else:
            calls = [mine.set_draft(i, second, f"Второй ответ {i}") for i in ids]
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            assert isinstance(outcome, (str, Card, Conflict)), outcome

    await at_once(engine, act)
    for ticket in await the_tickets(engine):
        assert ticket.state == "answered"
        assert network.replies[f"reply-{ticket.id}"] == [ticket.draft]


async def test_a_head_answering_as_the_editor_forwards_elsewhere_leaves_it_forwarded(
    engine,  # noqa: F811
) -> None:
    sessions = session_factory(engine)
    editor = await add_person(lambda: UnitOfWork(sessions), 1)
    heads, units = [], []
    for n, name in enumerate(("Отдел ЖКХ", "Отдел транспорта")):
        async with UnitOfWork(sessions) as uow:
            unit = await uow.departments.get_or_create(name)
            head = await uow.people.add(
                Person(
                    full_name=f"Иванов {n}", role=Role.reporter, telegram_id=10 + n,
                    department_id=unit.id, created_at=NOW,
                )
            )  # fmt: skip
            await uow.commit()
        heads.append(head)
        units.append(unit.id)
    replies = desk(engine)
    ids = []
    for n in range(6):
        ticket = await replies.intake(replace(message(f"h{n}", "Вопрос?"), author_id=n + 1))
        await replies.forward(ticket.id, editor, units[0])
        ids.append(ticket.id)

    async def act(own: AsyncEngine) -> None:
        mine = desk(own)
        if own is engine:  # the first head answers each while the editor hands it to the second
            calls = [mine.head_answer(i, heads[0], "Ответ отдела ЖКХ") for i in ids]
        else:
            calls = [mine.forward(i, editor, units[1]) for i in ids]
        for outcome in await asyncio.gather(*calls, return_exceptions=True):
            assert isinstance(outcome, (str, Denied)), outcome

    await at_once(engine, act)
    for ticket in await the_tickets(engine):
        # Either order ends with the second head asked; never a draft nobody is asked about.
        assert (ticket.state, ticket.assignee_id) == ("forwarded", heads[1].id)
