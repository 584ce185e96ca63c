"""The emulators validate polls as the services do and keep them for tests: Telegram's sendPoll
limits (question 1-300, options 2-10 of 1-100, anonymous only in channels) and stopPoll's
final counts; VK's polls.create (1-10 answers, an admin's token for a community) attached to a
wall post; OK's poll in a topic."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
from aiogram.exceptions import TelegramBadRequest
from vkbottle import API, VKAPIError
from vkbottle.http import AiohttpClient

from emulators.ok.api import OKError, poll_of
from emulators.telegram import TelegramEmulator
from emulators.vk import VKEmulator
from tests.emulators.test_telegram_emulator import CHANNEL, bot, clock, emu  # noqa: F401
from tests.emulators.test_vk_emulator import ADMIN, CITIZEN, GROUP


@pytest.fixture
async def vk_emu() -> AsyncIterator[VKEmulator]:
    emulator = VKEmulator()
    emulator.user_rps = emulator.group_rps = 10_000
    emulator.add_group(GROUP, "Администрация города", "gorod")
    emulator.add_user(ADMIN, "Анна", "Редактор")
    emulator.add_user(CITIZEN, "Иван", "Житель")
    await emulator.start()
    yield emulator
    await emulator.stop()


@pytest.fixture
async def vk_apis(vk_emu: VKEmulator) -> AsyncIterator[dict[str, API]]:
    made = {}
    for name, token in {
        "admin": vk_emu.issue_user_token(ADMIN, admin_of=[GROUP]),
        "citizen": vk_emu.issue_user_token(CITIZEN),
    }.items():
        made[name] = API(token, http_client=AiohttpClient())
        made[name].API_URL = vk_emu.base_url + "/method/"
    yield made
    for api in made.values():
        await api.http_client.close()


async def test_telegram_send_poll_limits_and_stop_poll(emu: TelegramEmulator, bot) -> None:  # noqa: F811
    emu.chats[CHANNEL].bots.add(bot.id)
    refused = [
        ("x" * 301, ["Да", "Нет"], {}),
        ("Вопрос", ["Да"], {}),
        ("Вопрос", [str(n) for n in range(11)], {}),
        ("Вопрос", ["x" * 101, "Нет"], {}),
        ("Вопрос", ["Да", "Нет"], {"is_anonymous": False}),  # a channel: anonymous only
    ]
    for question, options, extra in refused:
        with pytest.raises(TelegramBadRequest):
            await bot.send_poll(CHANNEL, question, options, **extra)
    assert emu.polls(CHANNEL) == []
    sent = await bot.send_poll(CHANNEL, "x" * 300, ["x" * 100, "Нет"], allows_multiple_answers=True)
    [kept] = emu.polls(CHANNEL)
    assert kept["poll"]["allows_multiple_answers"] and kept["message_id"] == sent.message_id
    emu.vote(CHANNEL, sent.message_id, [4, 1])
    closed = await bot.stop_poll(CHANNEL, sent.message_id)
    assert [o.voter_count for o in closed.options] == [4, 1] and closed.is_closed
    with pytest.raises(TelegramBadRequest):
        await bot.stop_poll(CHANNEL, sent.message_id)  # already closed


async def test_vk_polls_create_limits_and_the_wall_attachment(
    vk_emu: VKEmulator,
    vk_apis: dict[str, API],
) -> None:
    admin, citizen = vk_apis["admin"], vk_apis["citizen"]
    for answers in ([], [str(n) for n in range(11)], ["Да", ""]):
        with pytest.raises(VKAPIError) as exc:
            await admin.request(
                "polls.create",
                {"owner_id": -GROUP, "question": "Вопрос", "add_answers": json.dumps(answers)},
            )
        assert exc.value.code == 100
    with pytest.raises(VKAPIError) as exc:
        await citizen.request(
            "polls.create", {"owner_id": -GROUP, "question": "В", "add_answers": '["a","b"]'}
        )
    assert exc.value.code == 15
    made = (
        await admin.request(
            "polls.create",
            {
                "owner_id": -GROUP,
                "question": "Где?",
                "add_answers": '["Тут","Там"]',
                "is_multiple": 1,
            },
        )
    )["response"]
    attachment = f"poll{made['owner_id']}_{made['id']}"
    with pytest.raises(VKAPIError):
        await admin.request(
            "wall.post",
            {"owner_id": -GROUP, "message": "x", "attachments": f"{attachment},{attachment}"},
        )
    await admin.request(
        "wall.post", {"owner_id": -GROUP, "message": "x", "attachments": attachment}
    )
    [post] = vk_emu.wall_posts(-GROUP)
    assert [a["type"] for a in post["attachments"]] == ["poll"]
    vk_emu.vote(-GROUP, made["id"], [2, 5])
    got = (await admin.request("polls.getById", {"owner_id": -GROUP, "poll_id": made["id"]}))[
        "response"
    ]
    assert [a["votes"] for a in got["answers"]] == [2, 5] and got["multiple"]


def test_ok_poll_media_is_checked() -> None:
    for bad in (
        {"question": "", "answers": [{"text": "a"}, {"text": "b"}], "options": "SingleChoice"},
        {"question": "В", "answers": [{"text": "a"}], "options": "SingleChoice"},
        {"question": "В", "answers": [{"text": "a"}, {"text": ""}], "options": "SingleChoice"},
        {"question": "В", "answers": [{"text": "a"}, {"text": "b"}], "options": "Anonymous"},
    ):
        with pytest.raises(OKError):
            poll_of(bad)
    kept = poll_of(
        {"question": "В", "answers": [{"text": "a"}, {"text": "b"}], "options": "MultipleChoice"}
    )
    assert [a["votes_count"] for a in kept["answers"]] == [0, 0]
