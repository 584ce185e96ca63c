"""SIGKILL of a real `pressdesk run` while a Telegram post waits out a 429's `retry_after`: the
request was refused, nothing went out, so after the restart the post is simply published once
and nobody is asked «Возможно, опубликовано». Once the request after the wait did go out, the
same kill still asks (Telegram has no idempotency key). SQLite, and PostgreSQL when given."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import PublicationState
from sandbox.processes import DeskProcess, Ledger, write_config
from sandbox.stage import ADMIN_ID, CHANNEL_ID, Stage
from storage.models import Publication
from tests.e2e.conftest import Chat, buttons

# A real process starts in tens of seconds on a loaded machine: the bounds only end a hung test.
FAST = {"lease_seconds": 2.0, "poll_seconds": 0.3, "retry_delay_seconds": 0.2}
TITLE = "Открытие площадки"


class World:
    def __init__(self, stage: Stage, ledger: Ledger, desk: DeskProcess) -> None:
        self.stage, self.ledger, self.desk = stage, ledger, desk
        self.editor = Chat(stage, ADMIN_ID)

    def in_channel(self) -> int:
        texts = Counter(
            (m.get("text") or "").split("\n")[0] for m in self.stage.tg.chat_messages(CHANNEL_ID)
        )
        return texts[TITLE]

    def asked(self) -> list[str]:
        return [m["text"] for m in self.editor.bot_messages() if "Возможно" in m["text"]]

    async def row_until(self, holds: Callable[[Publication], bool], within: float) -> None:
        """Poll the database: the condition is the row's (no emulator sees a mark)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while not any(holds(r) for r in await self.ledger.publications()):
            if loop.time() > deadline:
                raise TimeoutError(f"the row never held {holds} within {within} s")
            await asyncio.sleep(0.05)


@pytest.fixture
async def world(tmp_path: Path, database_engine: str) -> AsyncIterator[World]:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    stage.tg.open_private_chat(ADMIN_ID)  # the editor wrote to the bot long ago
    url = stage.config().database.url  # PostgreSQL's own database when the engine is it
    ledger = Ledger(url)
    await ledger.prepare()
    config = write_config(stage, tmp_path / "config.toml", url, publish=FAST)
    desk = DeskProcess(stage, config)
    try:
        yield World(stage, ledger, desk)
    finally:
        desk.kill()
        await ledger.close()
        await stage.stop()


def channel_sends(world: World) -> int:
    return sum(
        method == "sendMessage" and str(params.get("chat_id")) == str(CHANNEL_ID)
        for method, params in world.stage.tg.calls
    )


async def test_killed_while_waiting_out_a_429_it_is_published_once_and_nobody_is_asked(
    world: World,
) -> None:
    # The channel refuses the first try: "retry after 10". The desk waits, marked as waiting.
    world.stage.tg.inject_fault("sendMessage", "429", retry_after=10, chat_id=CHANNEL_ID)
    await world.ledger.schedule([TITLE], [datetime.now(UTC)], ["telegram"], datetime.now(UTC))
    world.desk.start()
    await world.stage.tg.wait_until(lambda: channel_sends(world) == 1, timeout=180)
    await world.row_until(lambda r: r.state == PublicationState.sending and r.waiting, 30)
    world.desk.kill()  # mid-wait: nothing of the post is out
    world.desk.start()
    [row] = await world.ledger.settled(within=240)
    await world.editor.expect("Опубликовано", within=60)
    world.desk.stop()
    assert row.state == PublicationState.published
    assert world.in_channel() == 1
    assert channel_sends(world) == 2  # the refused try and the one after the restart
    assert world.asked() == []


async def test_killed_after_the_request_after_the_wait_went_out_the_editor_is_asked(
    world: World,
) -> None:
    world.stage.tg.inject_fault("sendMessage", "429", retry_after=1, chat_id=CHANNEL_ID)
    world.stage.tg.answer_delays["sendmessage"] = 30.0  # it lands, its answer comes late
    await world.ledger.schedule([TITLE], [datetime.now(UTC)], ["telegram"], datetime.now(UTC))
    world.desk.start()
    await world.stage.tg.wait_until(lambda: world.in_channel() == 1, timeout=180)
    world.desk.kill()  # between Telegram's taking the post and the database's commit
    world.stage.tg.answer_delays.clear()
    world.desk.start()
    [row] = await world.ledger.settled(within=240)
    assert row.state == PublicationState.uncertain
    ask = await world.editor.expect("Возможно, опубликовано", within=30)
    assert buttons(ask) == ["Да, вышло", "Опубликовать снова"]
    world.desk.stop()
    assert world.in_channel() == 1  # asked, never sent again on its own
