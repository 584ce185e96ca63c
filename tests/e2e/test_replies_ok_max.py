"""Citizens' tickets on OK and MAX (issue 14), end to end against the emulators: a message to
the OK group answered once in its chat, a question under an OK topic answered by a private
group message, a question under a MAX post answered by a reply comment, and MAX's update
marker kept across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.ports import Action
from handlers.telegram.callbacks import DeskCB
from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID, OK_GROUP_ID, Stage
from storage.tickets import Ticket
from tests.e2e.conftest import TIMEOUT, Chat, audit_lines, buttons, wait_for
from tests.e2e.test_ok_max import edit_and_approve, max_posts, ok_topics
from tests.e2e.test_replies import QUESTION, SETTINGS, current_in_room, room_card

MAX_CITIZEN = 40000002
OK_CITIZEN = "575000000001"
OK_STAFF = "575000000099"
MAX_STAFF = 40000099


def ok_group_stage(*users: tuple[str, str, str], settings: dict = SETTINGS) -> Any:
    """A module's `stage` fixture: the OK group's Bot API token set (the desk listens where OK
    can reach it) and these OK users (id, first name, last name) there before the desk starts."""

    @pytest.fixture(name="stage")
    async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
        monkeypatch.chdir(tmp_path)
        stage = Stage(tmp_path, settings={k: dict(v) for k, v in settings.items()})
        await stage.start_emulators()
        stage.ok_messages()
        for uid, first_name, last_name in users:
            stage.ok.add_user(uid, first_name, last_name)
        await stage.start_app()
        yield stage
        await stage.stop()

    return stage


STAFF = {"ok": {"staff_ids": [int(OK_STAFF)]}, "max": {"staff_ids": [MAX_STAFF]}}
stage = ok_group_stage(
    (OK_CITIZEN, "Пётр", "Соколов"), (OK_STAFF, "Ольга", "Смирнова"), settings=SETTINGS | STAFF
)


async def tickets(stage: Stage) -> list[Ticket]:
    assert stage.app is not None
    async with stage.app.uow() as uow:
        return list((await uow.session.exec(select(Ticket))).all())


async def test_max_marker_survives_a_restart(stage: Stage, admin: Chat) -> None:
    """Messages read before a restart are not read into the waiting ticket again after it."""
    stage.max.add_user(MAX_CITIZEN, "Ольга", "Белова")
    stage.max.user_writes_to_bot(MAX_CITIZEN, "Где получить справку о составе семьи?")
    card = await room_card(stage, "Обращение № 1")
    stage.max.user_writes_to_bot(MAX_CITIZEN, "И ещё: где ближайший МФЦ?")
    await stage.tg.wait_until(
        lambda: "ближайший МФЦ" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )

    async def saved() -> bool:
        assert stage.app is not None
        async with stage.app.uow() as uow:
            return await uow.cursors.get("max:updates") == len(stage.max.updates)

    await wait_for(stage, saved)
    await stage.stop_app()
    await stage.start_app()
    stage.max.user_writes_to_bot(MAX_CITIZEN, "Работает ли он в субботу?")

    async def joined() -> bool:
        found = await tickets(stage)
        return len(found) == 1 and "в субботу" in found[0].text

    await wait_for(stage, joined)
    [ticket] = await tickets(stage)
    assert ticket.text.count("справку о составе семьи") == 1
    assert ticket.text.count("ближайший МФЦ") == 1
    acks = [m for m in stage.max.dialog(MAX_CITIZEN) if "передано" in m["body"]["text"]]
    assert len(acks) == 1
    assert MODERATION_CHAT_ID  # the card stayed in the editors' group


def ok_sent(stage: Stage, uid: str = OK_CITIZEN) -> list[str]:
    """What the group sent to one person's chat."""
    return [m["message"]["text"] for m in stage.ok.bot_api.messages(OK_GROUP_ID, uid)]


async def handled(stage: Stage, count: int) -> None:
    """OK's webhooks got their 200 (the desk answers once the update is handled)."""
    await stage.ok.wait_until(
        lambda: len([d for d in stage.ok.bot_api.deliveries if d["status"] == 200]) >= count,
        timeout=TIMEOUT,
    )


async def test_a_message_to_the_ok_group_is_answered_once_in_its_chat(
    stage: Stage, admin: Chat
) -> None:
    await stage.ok.wait_until(lambda: stage.ok.bot_api.subscriptions.get(OK_GROUP_ID), TIMEOUT)
    [subscription] = stage.ok.bot_api.subscriptions[OK_GROUP_ID]
    assert subscription["url"].startswith(stage.config().web.public_base_url + "/ok/bot/")
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_CITIZEN, QUESTION)
    await stage.ok.wait_until(lambda: ok_sent(stage), timeout=TIMEOUT)
    [ack] = ok_sent(stage)
    assert "Пётр" in ack and "передано в администрацию" in ack and "обращение № 1" in ack

    card = await room_card(stage, "Обращение № 1")
    assert "сообщение · Одноклассники" in card["text"] and "Пётр Соколов" in card["text"]
    assert "отдел: Отдел ЖКХ" in card["text"] and "Когда отремонтируют" in card["text"]
    assert buttons(card) == ["Ответить", "Шаблон", "Передать в отдел", "Без ответа"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    answer = "Пётр, ремонт дороги на ул. Лесной начнётся в июне."
    admin.send(answer)
    draft = await admin.expect("Черновик ответа")
    admin.press(draft, "Отправить")
    await stage.ok.wait_until(lambda: len(ok_sent(stage)) == 2, timeout=TIMEOUT)
    assert ok_sent(stage)[1] == answer
    await stage.tg.wait_until(
        lambda: "Ответ отправлен: Анна Петрова" in current_in_room(stage, card)["text"],
        timeout=TIMEOUT,
    )
    assert buttons(current_in_room(stage, card)) == []
    # a stale «Отправить» sends nothing more
    data = DeskCB(action=Action.ticket_send, ref=1).pack()
    again = stage.tg.user_presses_button(ADMIN_ID, ADMIN_ID, draft["message_id"], data)
    assert "уже ответили" in await admin.alert(again)
    assert len(ok_sent(stage)) == 2
    [ticket] = await tickets(stage)
    assert ticket.state == "answered" and ticket.network == "ok" and ticket.channel == "message"
    assert ticket.reply_url == f"https://ok.ru/group/{OK_GROUP_ID}/messages"
    assert ticket.reply_url in current_in_room(stage, card)["text"]
    for action in ("ticket.opened", "ticket.draft", "ticket.answered"):
        assert len(await audit_lines(stage, action)) == 1, action


async def test_the_groups_own_messages_and_staff_are_never_tickets(
    stage: Stage, admin: Chat
) -> None:
    await stage.ok.wait_until(lambda: stage.ok.bot_api.subscriptions.get(OK_GROUP_ID), TIMEOUT)
    stage.ok.bot_api.moderator_writes(OK_GROUP_ID, OK_CITIZEN, "Здравствуйте! Чем помочь?")
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_STAFF, "Когда отремонтируют дорогу?")
    await handled(stage, 2)
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_CITIZEN, QUESTION)
    await room_card(stage, "Обращение № 1")
    await handled(stage, 3)
    [ticket] = await tickets(stage)
    assert ticket.citizen_id == int(OK_CITIZEN)
    assert ok_sent(stage, OK_STAFF) == []  # no acknowledgement to the staff member
    # OK sends an update again when its 200 was lost: still one ticket, one acknowledgement
    update = stage.ok.bot_api.deliveries[-1]["update"]
    await stage.ok.bot_api._deliver(stage.ok.bot_api.deliveries[-1]["url"], update)
    assert len(await tickets(stage)) == 1
    assert len([t for t in ok_sent(stage) if "передано" in t]) == 1
    # a second message joins the waiting ticket, and joins it once when OK sends it again
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_CITIZEN, "И ещё: на Садовой нет фонарей.")
    await handled(stage, 5)
    again = stage.ok.bot_api.deliveries[-1]
    await stage.ok.bot_api._deliver(again["url"], again["update"])
    [ticket] = await tickets(stage)
    assert ticket.text.count("нет фонарей") == 1


async def test_a_refused_ok_answer_reaches_the_editor(stage: Stage, admin: Chat) -> None:
    await stage.ok.wait_until(lambda: stage.ok.bot_api.subscriptions.get(OK_GROUP_ID), TIMEOUT)
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_CITIZEN, QUESTION)
    card = await room_card(stage, "Обращение № 1")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Ремонт начнётся в июне.")
    draft = await admin.expect("Черновик ответа")
    stage.ok.bot_api.chats.clear()  # the chat is gone in the group
    data = DeskCB(action=Action.ticket_send, ref=1).pack()
    press = stage.tg.user_presses_button(ADMIN_ID, ADMIN_ID, draft["message_id"], data)
    refusal = await admin.alert(press)
    assert "Ответ не отправлен" in refusal and "чата" in refusal
    [ticket] = await tickets(stage)
    assert ticket.state == "draft"  # «Отправить» can be pressed again
    assert len(await audit_lines(stage, "ticket.reply_failed")) == 1


async def test_a_question_under_an_ok_topic_is_answered_privately_by_the_group(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    await edit_and_approve(reporter, editor, photos=())
    await stage.ok.wait_until(lambda: ok_topics(stage), timeout=TIMEOUT)
    [topic] = ok_topics(stage)
    stage.ok.bot_api.allow_messages(OK_GROUP_ID, OK_CITIZEN)
    stage.ok.post_comment(topic["id"], OK_CITIZEN, QUESTION)
    card = await room_card(stage, "Обращение № 1")
    assert "комментарий · Одноклассники" in card["text"]
    assert "личным сообщением от группы" in card["text"]  # the card says where it goes
    await stage.ok.wait_until(lambda: ok_sent(stage), timeout=TIMEOUT)
    assert "ответим здесь" in ok_sent(stage)[0]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Ремонт начнётся в июне.")
    admin.press(await admin.expect("Черновик ответа"), "Отправить")
    await stage.ok.wait_until(lambda: len(ok_sent(stage)) == 2, timeout=TIMEOUT)
    assert ok_sent(stage)[1] == "Ремонт начнётся в июне."
    [ticket] = await tickets(stage)
    assert ticket.channel == "comment" and ticket.thread_ref == f"user:{OK_CITIZEN}"
    await stage.tg.wait_until(
        lambda: "Ответ отправлен" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )


async def test_admins_hear_when_ok_cannot_reach_the_desk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The group's bot token without [web] public_base_url, then a token OK refuses."""
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings={k: dict(v) for k, v in SETTINGS.items()})
    await stage.start_emulators()
    try:
        await stage.start_app()
        admin = Chat(stage, ADMIN_ID)
        admin.send("/start")
        await admin.expect("Здравствуйте")
        await stage.stop_app()
        stage.ok_bot_token = stage.ok.bot_api.issue_bot_token(OK_GROUP_ID)
        await stage.start_app()
        told = await admin.expect("бот проверяет сам раз в 30 секунд")  # read, not webhooks
        assert "не задан [web] public_base_url" in told["text"]
        await stage.stop_app()
        stage.ok_messages()
        stage.ok_bot_token = "tkn1-refused-by-ok:XYZ"
        await stage.start_app()
        await admin.expect("Одноклассники не приняли адрес для сообщений группы")
        assert stage.ok.bot_api.subscriptions.get(OK_GROUP_ID) is None
    finally:
        await stage.stop()


async def test_a_question_under_a_max_post_gets_a_reply_comment(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    await edit_and_approve(reporter, editor, photos=())
    await stage.max.wait_until(lambda: max_posts(stage), timeout=TIMEOUT)
    [post] = max_posts(stage)
    mid = post["body"]["mid"]
    stage.max.add_user(MAX_CITIZEN, "Ольга", "Белова")
    stage.max.add_user(MAX_STAFF, "Иван", "Иванов")
    stage.max.post_comment(mid, MAX_STAFF, "Когда откроют площадку для жителей?")  # staff: no
    question = stage.max.post_comment(mid, MAX_CITIZEN, QUESTION)
    card = await room_card(stage, "Обращение № 1")
    assert "комментарий · MAX" in card["text"] and "Ольга Белова" in card["text"]

    def ours() -> list[dict]:
        return [c for c in stage.max.comments(mid) if c["sender"].get("is_bot")]

    await stage.max.wait_until(lambda: len(ours()) == 1, timeout=TIMEOUT)  # the acknowledgement
    assert "ответим здесь до" in ours()[0]["body"]["text"]
    assert ours()[0]["link"]["message"]["mid"] == question["body"]["mid"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Ремонт начнётся в июне.")
    admin.press(await admin.expect("Черновик ответа"), "Отправить")
    await stage.max.wait_until(lambda: len(ours()) == 2, timeout=TIMEOUT)
    assert ours()[1]["body"]["text"] == "Ремонт начнётся в июне."
    assert ours()[1]["link"]["message"]["mid"] == question["body"]["mid"]
    await stage.tg.wait_until(
        lambda: "Ответ отправлен" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )
    [ticket] = await tickets(stage)
    assert ticket.state == "answered" and ticket.channel == "comment"
    assert ticket.citizen_id == MAX_CITIZEN  # the staff member's question was no ticket
