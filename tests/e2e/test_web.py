"""The desk's own HTTP server: /healthz tells what works, /metrics what waits and what went out."""

from __future__ import annotations

import asyncio

from aiohttp import ClientSession

from sandbox.stage import Stage
from tests.e2e.conftest import TIMEOUT, Chat, approve_now, channel_posts, report_event


async def get(url: str) -> tuple[int, str]:
    async with ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


async def test_healthz_says_what_works_and_503_when_something_does_not(stage: Stage) -> None:
    web = stage.app.web
    status, body = await get(web.url + "/healthz")
    assert status == 200
    assert '"database": {"ok": true' in body

    stage.app.health.report("telegram", False, "Telegram не отвечает")
    status, body = await get(web.url + "/healthz")
    assert status == 503
    assert "Telegram не отвечает" in body


async def test_metrics_count_publications_by_network_and_state(
    stage: Stage, reporter: Chat, editor: Chat
) -> None:
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await stage.tg.wait_until(lambda: len(channel_posts(stage)) == 1)

    # The figures come from the database, which the channel post reaches a moment later.
    deadline = asyncio.get_running_loop().time() + TIMEOUT
    line = 'pressdesk_publications{network="telegram",state="published"} 1.0'
    while True:
        status, text = await get(stage.app.web.url + "/metrics")
        if line in text or asyncio.get_running_loop().time() > deadline:
            break
        await asyncio.sleep(0.05)
    assert status == 200
    assert line in text
    assert 'pressdesk_component_up{component="database"} 1.0' in text
