"""OK's group messages without [web] public_base_url (bot/replies/catchup.py, bot/app_replies.py
`poll_ok`): OK has nowhere to send webhooks, so the desk reads the group's chats every [ok]
read_messages_every_seconds; a message becomes a ticket with the acknowledgement, once, while
the desk runs, also when a read or two failed; the admins are told once, not at every
start."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from emulators.common import Fault
from sandbox.stage import OK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat, wait_for
from tests.e2e.test_replies import SETTINGS, room_card
from tests.e2e.test_replies_ok_catchup import FIRST, acks, cursor, reads
from tests.e2e.test_replies_ok_max import tickets

NOTE = "бот проверяет сам раз в 1 секунду"


def notes(admin: Chat) -> list[dict]:
    return [m for m in admin.bot_messages() if NOTE in (m.get("text") or "")]


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    settings = {k: dict(v) for k, v in SETTINGS.items()} | {
        "ok": {"read_messages_every_seconds": 1.0}
    }
    stage = Stage(tmp_path, settings=settings)
    await stage.start_emulators()
    stage.ok_bot_token = stage.ok.bot_api.issue_bot_token(OK_GROUP_ID)  # no public address
    stage.ok.add_user(FIRST, "Пётр", "Соколов")
    await stage.start_app()
    yield stage
    await stage.stop()


async def test_without_a_public_address_ok_messages_are_read_every_few_seconds(
    stage: Stage, admin: Chat
) -> None:
    [told] = await stage.tg.wait_until(lambda: notes(admin), timeout=TIMEOUT)
    assert "задайте [web] public_base_url" in told["text"]
    assert "не приходят" not in told["text"]  # the old alert, which said they never come

    async def first_read() -> bool:
        return await cursor(stage) is not None  # a new desk starts reading from now

    await wait_for(stage, first_read)
    assert stage.ok.bot_api.subscriptions.get(OK_GROUP_ID) is None  # nowhere to send to
    stage.ok.bot_api.faults.add(Fault("graph.user.chats", "500", count=2))  # OK falters
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, FIRST, "Где получить справку о составе семьи?")
    card = await room_card(stage, "Обращение № 1")  # no restart: the periodic read took it
    assert "Пётр Соколов" in card["text"] and not stage.ok.bot_api.faults.pending
    # a passing outage the next read got over is nobody's news (catchup.PATIENCE)
    assert not [m["text"] for m in admin.bot_messages() if "Не получилось прочитать" in m["text"]]
    await stage.ok.wait_until(lambda: len(acks(stage, FIRST)) == 1, TIMEOUT)
    later = reads(stage) + 2

    async def read_twice_more() -> bool:
        return reads(stage) >= later

    await wait_for(stage, read_twice_more)  # the same span read again: nothing new
    assert len(await tickets(stage)) == 1 and len(acks(stage, FIRST)) == 1

    await stage.stop_app()  # a restart: the admins were told already
    started = reads(stage)
    await stage.start_app()

    async def read_after_restart() -> bool:
        return reads(stage) > started

    await wait_for(stage, read_after_restart)
    assert len(notes(admin)) == 1
