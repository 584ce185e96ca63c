"""Messages to the OK group written while the desk was down (bot/replies/catchup.py), end to end
against the OK emulator's Bot API: read back at start, each a ticket (or joined to one) once,
oldest first, with the live path's acknowledgement; a restart and a second instance reading the
same span make nothing twice; OK's flood refusal is waited out by the pace."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from bot import app_replies
from bot.alerts import Alerts
from bot.replies import catchup
from bot.replies.catchup import OKCatchUp
from emulators.common import Fault
from emulators.ok.graph import RETRIES
from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID, OK_GROUP_ID, Stage
from storage.cursors import NetworkCursor, StoredCursor
from tests.e2e.conftest import TIMEOUT, Chat, wait_for
from tests.e2e.test_replies import current_in_room, room_card
from tests.e2e.test_replies_ok_max import ok_group_stage, ok_sent, tickets

FIRST = "575000000001"
SECOND = "575000000002"


stage = ok_group_stage((FIRST, "Пётр", "Соколов"), (SECOND, "Мария", "Ким"))


async def cursor(stage: Stage) -> int | None:
    assert stage.app is not None
    async with stage.app.uow() as uow:
        return await uow.cursors.get(catchup.CURSOR)


def acks(stage: Stage, uid: str) -> list[str]:
    return [t for t in ok_sent(stage, uid) if "передано в администрацию" in t]


def reads(stage: Stage) -> int:
    return sum(1 for name, _ in stage.ok.requests if name == "graph /graph/me/chats")


async def write_while_down(stage: Stage, *messages: tuple[str, str]) -> None:
    """Citizens write while no desk listens: OK's webhook gives up on each."""
    before = len(stage.ok.bot_api.deliveries)
    for uid, text in messages:
        stage.ok.bot_api.citizen_writes(OK_GROUP_ID, uid, text)
    want = before + RETRIES * len(messages)
    await stage.ok.wait_until(lambda: len(stage.ok.bot_api.deliveries) == want, TIMEOUT)
    assert all(d["status"] != 200 for d in stage.ok.bot_api.deliveries[before:])


async def test_messages_written_while_the_desk_was_down_become_tickets_once(
    stage: Stage, admin: Chat
) -> None:
    async def first_read() -> bool:
        return await cursor(stage) is not None  # a new desk starts reading from now

    await wait_for(stage, first_read)
    await stage.stop_app()
    await write_while_down(
        stage,
        (SECOND, "Когда отремонтируют дорогу на ул. Лесной?"),
        (FIRST, "Где получить справку о составе семьи?"),
        (SECOND, "И ещё: на Садовой не горят фонари."),
    )
    stage.ok.bot_api.faults.add(Fault("graph.chat.messages", "429"))  # OK: slow down, once
    await stage.start_app()
    first_card = await room_card(stage, "Обращение № 1")
    await room_card(stage, "Обращение № 2")
    assert stage.app is not None and stage.app._ok_catch_up is not None
    await stage.app._ok_catch_up  # the third message joins the first ticket after its card
    found = sorted(await tickets(stage), key=lambda t: t.id or 0)
    assert [t.citizen_id for t in found] == [int(SECOND), int(FIRST)]  # oldest first
    assert "Лесной" in found[0].text and found[0].text.count("фонари") == 1
    assert [len(acks(stage, uid)) for uid in (SECOND, FIRST)] == [1, 1]
    assert "Мария" in acks(stage, SECOND)[0] and "обращение № 1" in acks(stage, SECOND)[0]
    assert not stage.ok.bot_api.faults.pending  # the refusal was met and waited out

    # the first is closed; a restart reads the span again (the overlap): nothing new
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, first_card["message_id"], "Без ответа")
    await stage.tg.wait_until(
        lambda: "Без ответа: Анна Петрова" in current_in_room(stage, first_card)["text"],
        timeout=TIMEOUT,
    )
    await stage.stop_app()
    read_before = reads(stage)
    await stage.start_app()

    async def read_again() -> bool:
        return reads(stage) > read_before and await cursor(stage) is not None

    await wait_for(stage, read_again)
    assert stage.app is not None and stage.app._ok_catch_up is not None
    await stage.app._ok_catch_up
    again = await tickets(stage)
    assert len(again) == 2 and next(t for t in again if t.id == 1).text.count("фонари") == 1
    assert [len(acks(stage, uid)) for uid in (SECOND, FIRST)] == [1, 1]


async def test_two_instances_reading_the_same_span_make_each_ticket_once(
    stage: Stage, admin: Chat
) -> None:
    assert stage.app is not None and stage.app._ok_catch_up is not None
    await stage.app._ok_catch_up
    stored = await cursor(stage)
    assert stored is not None
    await stage.stop_app()
    await write_while_down(
        stage, (FIRST, "Когда вывезут мусор на ул. Мира?"), (SECOND, "Где записаться к врачу?")
    )
    app = await stage.start_app()
    assert app.ok_dialogs is not None and app.ok_catch_up is not None
    other = OKCatchUp(  # another instance: its own locks, the same database and cursor
        app.replies,
        app.ok_dialogs,
        StoredCursor(app.uow, catchup.CURSOR, app.clock),
        app.uow,
        Alerts(app.notifier, app._editors, "editors"),
        app.clock,
        app.config.desk.tz,
    )
    await asyncio.gather(other.run(), app.ok_catch_up.run())
    found = await tickets(stage)
    assert sorted(t.citizen_id for t in found) == [int(FIRST), int(SECOND)]
    assert [len(acks(stage, uid)) for uid in (FIRST, SECOND)] == [1, 1]
    assert (await cursor(stage) or 0) > stored


async def finished_start(stage: Stage) -> OKCatchUp:
    """The start's catch-up has run; the catch-up of the running desk."""
    assert stage.app is not None and stage.app._ok_catch_up is not None
    await stage.app._ok_catch_up
    assert stage.app.ok_catch_up is not None
    return stage.app.ok_catch_up


async def test_a_refused_read_reaches_the_editors_and_is_read_again(
    stage: Stage, admin: Chat
) -> None:
    await finished_start(stage)
    await stage.stop_app()
    await write_while_down(stage, (FIRST, "Где получить справку о составе семьи?"))
    stage.ok.bot_api.faults.add(Fault("graph.user.chats", "error", code=102))
    await stage.start_app()
    told = await admin.expect("Не получилось прочитать сообщения группы в Одноклассниках")
    assert "ключ бота группы" in told["text"] and f"ok.ru/group/{OK_GROUP_ID}" in told["text"]
    again = await finished_start(stage)
    assert await tickets(stage) == []
    assert await again.run() == 1  # the cursor stayed: the next read takes the message
    assert len(acks(stage, FIRST)) == 1


async def test_a_gap_over_a_week_tells_the_editors_what_to_look_through(
    stage: Stage, admin: Chat
) -> None:
    await finished_start(stage)
    assert stage.app is not None
    async with stage.app.uow() as uow:  # the desk last read the group nine days ago
        nine_days = int((stage.clock() - 9 * 86400) * 1000)
        await uow.cursors.put(catchup.CURSOR, nine_days, stage.app.clock())
        await uow.commit()
    await stage.stop_app()
    await write_while_down(stage, (FIRST, "Где получить справку о составе семьи?"))
    await stage.start_app()
    told = await admin.expect("дольше недели")
    assert "могли не стать обращениями" in told["text"] and "ok.ru" in told["text"]
    await finished_start(stage)
    [ticket] = await tickets(stage)  # what is within the week is still read
    assert ticket.citizen_id == int(FIRST)


async def test_every_ten_minutes_a_dropped_webhook_is_subscribed_again(
    stage: Stage, admin: Chat
) -> None:
    """OK drops an URL silent for 8 hours; the desk's periodic job puts it back and reads back
    what came meanwhile."""
    await finished_start(stage)
    [subscription] = stage.ok.bot_api.subscriptions[OK_GROUP_ID]
    stage.ok.bot_api.subscriptions[OK_GROUP_ID] = []
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, FIRST, "Где получить справку о составе семьи?")
    assert stage.app is not None
    await app_replies.every_ok(stage.app)
    [again] = stage.ok.bot_api.subscriptions[OK_GROUP_ID]
    assert again["url"] == subscription["url"]
    [ticket] = await tickets(stage)
    assert ticket.citizen_id == int(FIRST) and len(acks(stage, FIRST)) == 1


async def test_the_periodic_read_back_is_one_instance_at_a_time(stage: Stage, admin: Chat) -> None:
    """Several instances behind webhooks: while another holds the read's lease, this one's
    10-minute job neither subscribes nor reads; once that lease ran out (its instance died),
    this one's next run does both."""
    await finished_start(stage)
    assert stage.app is not None
    app = stage.app
    now = app.clock()
    async with app.uow() as uow:  # another instance took the turn (this one's start ended)
        await uow.leases.release(app_replies.READER, app.outbox.instance)
        assert await uow.leases.take(app_replies.READER, "other", now, now + timedelta(minutes=15))
        await uow.commit()
    stage.ok.bot_api.subscriptions[OK_GROUP_ID] = []
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, FIRST, "Где получить справку о составе семьи?")
    before = reads(stage)
    await app_replies.every_ok(app)
    assert stage.ok.bot_api.subscriptions[OK_GROUP_ID] == [] and reads(stage) == before
    async with app.uow() as uow:  # the other instance died: its lease runs out
        assert await uow.leases.take(app_replies.READER, "other", now, now)
        await uow.commit()
    await app_replies.every_ok(app)
    assert len(stage.ok.bot_api.subscriptions[OK_GROUP_ID]) == 1 and reads(stage) > before
    [ticket] = await tickets(stage)
    assert ticket.citizen_id == int(FIRST)


async def test_an_upgraded_desk_reads_back_from_its_newest_ok_ticket(
    stage: Stage, admin: Chat
) -> None:
    """A desk that took OK messages before it kept a cursor: the first read starts at its
    newest OK ticket, so what came during the upgrade's restart is not lost."""
    await finished_start(stage)
    await stage.ok.wait_until(lambda: stage.ok.bot_api.subscriptions.get(OK_GROUP_ID), TIMEOUT)
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, SECOND, "Когда отремонтируют дорогу?")
    await room_card(stage, "Обращение № 1")
    assert stage.app is not None
    async with stage.app.uow() as uow:
        row = await uow.session.get(NetworkCursor, catchup.CURSOR)
        await uow.session.delete(row)
        await uow.commit()
    await stage.stop_app()
    await write_while_down(stage, (FIRST, "Где получить справку о составе семьи?"))
    await stage.start_app()
    await room_card(stage, "Обращение № 2")
    await finished_start(stage)
    assert sorted(t.citizen_id for t in await tickets(stage)) == [int(FIRST), int(SECOND)]
