"""Citizens' messages and the coordination of replies (issue 14), end to end: the real aiogram
and vkbottle clients against the emulators; the tests play citizens, a department head and
the editors, and wait on conditions."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from bot.ports import Action
from handlers.telegram.callbacks import DeskCB
from sandbox.stage import (
    ADMIN_ID,
    CHANNEL_ID,
    DISCUSSION_ID,
    MODERATION_CHAT_ID,
    VK_GROUP_ID,
    Stage,
)
from storage.tickets import Ticket
from tests.e2e.conftest import TIMEOUT, Chat, audit_lines, buttons, wait_for
from tests.e2e.test_vk_reporter import VKPerson, join_vk

CITIZEN = 800001
QUESTION = "Здравствуйте! Когда отремонтируют дорогу на Лесной? Там одни ямы."
SETTINGS = {
    "telegram": {"moderation_chat_id": MODERATION_CHAT_ID},
    "replies": {
        "routes": [{"department": "Отдел ЖКХ", "keywords": ["дорог", "ям", "мусор"]}],
        "templates": [
            {
                "name": "Передано в отдел",
                "text": "{{ name }}, ваш вопрос № {{ number }} передан в {{ department }}.",
            }
        ],
    },
}


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=SETTINGS)
    await stage.start_emulators()
    stage.vk.add_user(CITIZEN, "Сергей", "Кузнецов")
    stage.vk.allow_messages(CITIZEN, VK_GROUP_ID)
    await stage.start_app()
    yield stage
    await stage.stop()


def room(stage: Stage) -> list[dict]:
    return [
        m for m in stage.tg.chat_messages(MODERATION_CHAT_ID) if m.get("from", {}).get("is_bot")
    ]


async def room_card(stage: Stage, fragment: str) -> dict:
    def found() -> dict | None:
        return next((m for m in room(stage) if fragment in (m.get("text") or "")), None)

    return await stage.tg.wait_until(found, timeout=TIMEOUT)


def current_in_room(stage: Stage, message: dict) -> dict:
    return next(
        m
        for m in stage.tg.chat_messages(MODERATION_CHAT_ID)
        if m["message_id"] == message["message_id"]
    )


async def tickets(stage: Stage) -> list[Ticket]:
    async with stage.app.uow() as uow:
        return list((await uow.session.exec(select(Ticket))).all())


async def test_vk_message_forwarded_answered_by_head_in_vk_and_sent_once(
    stage: Stage, admin: Chat
) -> None:
    head = await join_vk(stage, admin, "Отдел ЖКХ")
    citizen = VKPerson(stage, CITIZEN)
    citizen.send(QUESTION)
    ack = await citizen.expect("передано в администрацию")
    assert "обращение № 1" in ack["text"] and "Ответим до" in ack["text"]
    assert "Сергей" in ack["text"]

    card = await room_card(stage, "Обращение № 1")
    assert "ВКонтакте" in card["text"] and "Сергей Кузнецов" in card["text"]
    assert "отдел: Отдел ЖКХ" in card["text"] and "Когда отремонтируют" in card["text"]
    assert "Срок: первый ответ до" in card["text"]
    assert buttons(card) == ["Ответить", "Шаблон", "Передать в отдел", "Без ответа"]

    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Передать в отдел")
    choose = await admin.expect("В какой отдел передать обращение № 1?")
    assert buttons(choose)[0] == "Отдел ЖКХ"
    admin.press(choose, "Отдел ЖКХ")
    question = await head.expect("Вопрос жителя для отдела «Отдел ЖКХ»")
    assert "Когда отремонтируют" in question["text"]
    await stage.tg.wait_until(
        lambda: "Передано в отдел: Ольга Смирнова" in current_in_room(stage, card)["text"],
        timeout=TIMEOUT,
    )

    head.press(question, "Ответить")
    await head.expect("Напишите ответ на вопрос жителя")
    head.send("Ремонт дороги на ул. Лесной запланирован на июнь.")
    await head.expect("Ответ передан в пресс-службу")

    draft = await admin.expect("Пришёл ответ отдела на обращение № 1")
    assert "Черновик ответа (Ольга Смирнова)" in draft["text"]
    assert buttons(draft)[:2] == ["Отправить", "Изменить"]
    admin.press(draft, "Изменить")
    await admin.expect("Напишите ответ на обращение № 1")
    edited = "Сергей, ремонт дороги на ул. Лесной запланирован на июнь 2027 года."
    admin.send(edited)
    final = await admin.expect(f"Черновик ответа (Анна Петрова):\n«{edited}»")
    admin.press(final, "Отправить")
    await stage.tg.wait_until(
        lambda: "Ответ отправлен: Анна Петрова" in current_in_room(stage, card)["text"],
        timeout=TIMEOUT,
    )
    assert buttons(current_in_room(stage, card)) == []
    assert buttons(admin.current(final)) == []  # every copy of the card lost its buttons
    # a second «Отправить» (a stale client that still shows the button) sends nothing
    data = DeskCB(action=Action.ticket_send, ref=1).pack()
    again = stage.tg.user_presses_button(ADMIN_ID, ADMIN_ID, final["message_id"], data)
    assert "уже ответили" in await admin.alert(again)

    replies = [m for m in citizen.bot_messages() if m["text"] == edited]
    assert len(replies) == 1
    assert len(citizen.bot_messages()) == 2  # the acknowledgement and the one answer
    [ticket] = await tickets(stage)
    assert ticket.state == "answered" and ticket.reply_url.startswith("https://vk.com/gim")
    assert ticket.first_response_at is not None and ticket.answered_at is not None
    assert ticket.reply_url in current_in_room(stage, card)["text"]
    for action in (
        "ticket.opened",
        "ticket.forwarded",
        "ticket.head_answer",
        "ticket.draft",
        "ticket.answered",
    ):
        assert len(await audit_lines(stage, action)) == 1, action


async def test_staff_writing_to_the_community_is_never_a_ticket(stage: Stage, admin: Chat) -> None:
    head = await join_vk(stage, admin, "Отдел ЖКХ")
    head.send("Когда отремонтируют дорогу на Лесной?")
    await head.expect("Чтобы сообщить о мероприятии")
    citizen = VKPerson(stage, CITIZEN)
    citizen.send("Начать")
    await citizen.expect("Напишите ваш вопрос")
    citizen.send(QUESTION)
    await citizen.expect("передано в администрацию")

    async def one() -> bool:
        return len(await tickets(stage)) == 1

    await wait_for(stage, one)
    [ticket] = await tickets(stage)
    assert ticket.citizen_id == CITIZEN
    # a second message before anyone took the ticket up joins it: one card, one acknowledgement
    card = await room_card(stage, "Обращение № 1")
    citizen.send("И ещё: на Садовой не горят фонари.")
    await stage.tg.wait_until(
        lambda: "не горят фонари" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )
    assert len(await tickets(stage)) == 1
    assert len([m for m in citizen.bot_messages() if "передано" in m["text"]]) == 1


async def test_template_and_dismiss(stage: Stage, admin: Chat) -> None:
    citizen = VKPerson(stage, CITIZEN)
    citizen.send("Куда обращаться по поводу вывоза мусора?")
    card = await room_card(stage, "Обращение № 1")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Шаблон")
    listing = await admin.expect("Какой шаблон взять")
    admin.press(listing, "Передано в отдел")
    draft = await admin.expect("Сергей, ваш вопрос № 1 передан в Отдел ЖКХ.")
    admin.press(draft, "Отправить")
    await citizen.expect("Сергей, ваш вопрос № 1 передан в Отдел ЖКХ.")

    citizen.send("Спасибо за ответ, очень помогли")
    second = await room_card(stage, "Обращение № 2")
    assert "Вид: благодарность" in second["text"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, second["message_id"], "Без ответа")
    await stage.tg.wait_until(
        lambda: "Без ответа: Анна Петрова" in current_in_room(stage, second)["text"],
        timeout=TIMEOUT,
    )
    assert [t.state for t in sorted(await tickets(stage), key=lambda t: t.id)] == [
        "answered",
        "dismissed",
    ]
    assert len(await audit_lines(stage, "ticket.dismissed")) == 1


async def vk_post(stage: Stage, text: str = "Ремонт дорог в Томском районе") -> int:
    token = stage.vk.state.tokens[stage.vk_user_token]
    params = {"owner_id": str(-VK_GROUP_ID), "from_group": "1", "message": text, "v": "5.199"}
    return (await stage.vk.dispatcher.invoke("wall.post", params, token))["post_id"]


async def ready(stage: Stage) -> None:
    """The VK long poll listens and the start-up catch-up of comments is over."""
    await stage.vk.wait_until(
        lambda: any(m == "groups.getLongPollServer" for m, _ in stage.vk.requests), timeout=TIMEOUT
    )
    await asyncio.wait_for(asyncio.shield(stage.app._catch_up), TIMEOUT)


async def test_question_under_a_vk_post_gets_a_reply_comment(stage: Stage, admin: Chat) -> None:
    await ready(stage)
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, CITIZEN, "Спасибо, красиво получилось")
    question = stage.vk.post_comment(-VK_GROUP_ID, post_id, CITIZEN, QUESTION)
    card = await room_card(stage, "Обращение № 1")
    assert "комментарий · ВКонтакте" in card["text"]
    assert f"wall-{VK_GROUP_ID}_{post_id}" in card["text"]

    def ours() -> list[dict]:
        return [c for c in stage.vk.comments(-VK_GROUP_ID, post_id) if c["from_id"] == -VK_GROUP_ID]

    await stage.vk.wait_until(lambda: len(ours()) == 1, timeout=TIMEOUT)  # the acknowledgement
    assert "ответим здесь до" in ours()[0]["text"]
    assert ours()[0]["reply_to_comment"] == question["id"]

    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Ремонт начнётся в июне, подрядчик уже выбран.")
    draft = await admin.expect("Черновик ответа")
    admin.press(draft, "Отправить")
    await stage.vk.wait_until(lambda: len(ours()) == 2, timeout=TIMEOUT)
    reply = ours()[1]
    assert reply["text"] == "Ремонт начнётся в июне, подрядчик уже выбран."
    assert reply["reply_to_comment"] == question["id"]
    await stage.tg.wait_until(
        lambda: f"reply={reply['id']}" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )
    [ticket] = await tickets(stage)  # the thanks comment is not a question
    assert ticket.state == "answered" and ticket.channel == "comment"


async def test_question_under_a_telegram_post_gets_a_reply_in_the_discussion(
    stage: Stage, admin: Chat
) -> None:
    stage.tg.add_user(5001, "Сергей", "Кузнецов")
    sent = await stage.app.bot.send_message(CHANNEL_ID, "Ремонт дорог в Томском районе")
    forward = stage.tg.discussion_message_for(CHANNEL_ID, sent.message_id)
    comment = stage.tg.user_sends_text(
        5001, QUESTION, chat_id=DISCUSSION_ID, reply_to_message_id=forward["message_id"]
    )
    card = await room_card(stage, "Обращение № 1")
    assert "комментарий · Telegram" in card["text"]

    def ours() -> list[dict]:
        return [
            m
            for m in stage.tg.chat_messages(DISCUSSION_ID)
            if m.get("from", {}).get("is_bot")
            and (m.get("reply_to_message") or {}).get("message_id") == comment["message_id"]
        ]

    await stage.tg.wait_until(lambda: len(ours()) == 1, timeout=TIMEOUT)  # the acknowledgement
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Ремонт начнётся в июне.")
    admin.press(await admin.expect("Черновик ответа"), "Отправить")
    await stage.tg.wait_until(lambda: len(ours()) == 2, timeout=TIMEOUT)
    assert ours()[1]["text"] == "Ремонт начнётся в июне."
    await stage.tg.wait_until(
        lambda: "Ответ отправлен" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )
    [ticket] = await tickets(stage)
    assert ticket.state == "answered" and "comment=" in ticket.reply_url


MAX_CITIZEN = 40000001


async def test_a_message_to_the_max_bot_is_answered_in_the_dialogue(
    stage: Stage, admin: Chat
) -> None:
    stage.max.add_user(MAX_CITIZEN, "Ольга", "Белова")
    stage.max.user_writes_to_bot(MAX_CITIZEN, "Где получить справку о составе семьи?")
    await stage.max.wait_until(lambda: stage.max.dialog(MAX_CITIZEN), timeout=TIMEOUT)
    assert "передано в администрацию" in stage.max.dialog(MAX_CITIZEN)[0]["body"]["text"]
    card = await room_card(stage, "Обращение № 1")
    assert "сообщение · MAX" in card["text"] and "Ольга Белова" in card["text"]
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Ответить")
    await admin.expect("Напишите ответ на обращение № 1")
    admin.send("Справку выдают в МФЦ, окно 3.")
    admin.press(await admin.expect("Черновик ответа"), "Отправить")
    await stage.max.wait_until(lambda: len(stage.max.dialog(MAX_CITIZEN)) == 2, timeout=TIMEOUT)
    assert stage.max.dialog(MAX_CITIZEN)[1]["body"]["text"] == "Справку выдают в МФЦ, окно 3."
    await stage.tg.wait_until(
        lambda: "Ответ отправлен" in current_in_room(stage, card)["text"], timeout=TIMEOUT
    )
    # the bot's own messages and later reads bring no new ticket
    assert len(await tickets(stage)) == 1


async def test_a_head_in_telegram_answers_and_the_editor_sends_it(
    stage: Stage, admin: Chat, reporter: Chat
) -> None:
    """The head of «Отдел спорта» works in Telegram: the question and their answer go there."""
    citizen = VKPerson(stage, CITIZEN)
    citizen.send("Когда откроют новый стадион в Корнилово?")
    card = await room_card(stage, "Обращение № 1")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Передать в отдел")
    choose = await admin.expect("В какой отдел передать обращение № 1?")
    admin.press(choose, "Отдел спорта")
    question = await reporter.expect("Вопрос жителя для отдела «Отдел спорта»")
    reporter.press(question, "Ответить")
    await reporter.expect("Напишите ответ на вопрос жителя")
    reporter.send("Стадион откроют 1 июня.")
    await reporter.expect("Ответ передан в пресс-службу")
    await reporter.edited(question, "ответ передан в пресс-службу")  # the question's card
    draft = await admin.expect("Пришёл ответ отдела на обращение № 1")
    assert "Черновик ответа (Иван Иванов)" in draft["text"]
    admin.press(draft, "Отправить")
    await citizen.expect("Стадион откроют 1 июня.")
    assert len([m for m in citizen.bot_messages() if m["text"] == "Стадион откроют 1 июня."]) == 1
