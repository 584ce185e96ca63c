"""Webhook mode end to end: Telegram delivers updates by webhook with its secret header (a wrong
secret is refused), VK by the Callback API after the desk confirmed its address; the report dialog
and comment moderation work exactly as with polling."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from aiohttp import ClientSession

from sandbox.stage import ADMIN_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat


@pytest.fixture
async def hooked(tmp_path: Path) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, settings={"telegram": {"webhook": True}, "vk": {"callback": True}})
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def test_telegram_by_webhook_with_its_secret(hooked: Stage) -> None:
    bot = next(iter(hooked.tg.bots.values()))
    assert bot.webhook_url.endswith("/webhook/telegram")
    assert (
        bot.webhook_secret
        and bot.webhook_secret not in hooked.secrets().telegram.get_secret_value()
    )

    admin = Chat(hooked, ADMIN_ID)
    admin.send("/start")
    await admin.expect("Здравствуйте")
    await hooked.tg.wait_until(lambda: bot.webhook.delivered >= 1)
    assert not [m for m, _ in hooked.tg.calls if m == "getUpdates"]

    async with ClientSession() as http:
        forged = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "chat": {"id": 1, "type": "private"},
                "text": "/start",
            },
        }
        async with http.post(bot.webhook_url, json=forged) as answer:
            assert answer.status == 401
        headers = {"X-Telegram-Bot-Api-Secret-Token": "wrong"}
        async with http.post(bot.webhook_url, json=forged, headers=headers) as answer:
            assert answer.status == 401


async def test_vk_by_callback_api_confirmed_and_secret_checked(hooked: Stage) -> None:
    servers = list(hooked.vk.state.callback_servers.values())
    assert len(servers) == 1 and servers[0].status == "ok"
    server = servers[0]
    assert {"message_new", "wall_reply_new"} <= server.events

    # A stranger writes to the community; the bot answers only if the event came by callback.
    hooked.vk.add_user(500001, "Пётр", "Сидоров")
    hooked.vk.allow_messages(500001, VK_GROUP_ID)
    hooked.vk.user_sends_message(500001, VK_GROUP_ID, "Здравствуйте")
    await hooked.vk.wait_until(lambda: hooked.vk.sent_messages(500001), timeout=TIMEOUT)
    await hooked.vk.wait_until(lambda: server.delivered >= 1)

    async with ClientSession() as http:
        event = {"type": "message_new", "group_id": VK_GROUP_ID, "object": {}, "secret": "nope"}
        async with http.post(server.url, json=event) as answer:
            assert answer.status == 403
