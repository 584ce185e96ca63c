"""What stops working reaches an admin once, not only the log; an optional feature failing at
start never stops the bot."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import ADMIN_ID, Stage
from tests.e2e.conftest import Chat


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path)
    await stage.start_emulators()
    await stage.start_app()
    admin = Chat(stage, ADMIN_ID)
    admin.send("/start")
    await admin.expect("Здравствуйте")
    await stage.stop_app()  # the admin is registered; each test starts the bot again
    yield stage
    await stage.stop()


def alerts(admin: Chat, fragment: str) -> list[dict]:
    return [m for m in admin.bot_messages() if fragment in (m.get("text") or "")]


@pytest.mark.parametrize("kind", ["garbage", "wrong_type"])
async def test_an_unparsable_get_chat_at_start_turns_comments_off_and_tells_the_admin(
    stage: Stage, kind: str
) -> None:
    stage.tg.inject_fault("getChat", kind)
    stage.tg.inject_fault("setMyCommands", kind)
    await stage.start_app()  # does not raise
    admin = Chat(stage, ADMIN_ID)
    note = await admin.expect("Модерация комментариев в Telegram выключена")
    assert "непонятно" in note["text"]
    admin.send("/help")  # and the bot works
    await admin.expect("/report")
    assert len(alerts(admin, "Модерация комментариев")) == 1


async def test_the_vk_catch_up_stopping_tells_the_admin_once(stage: Stage) -> None:
    stage.vk.inject_fault("execute", "error", count=100, error_code=15)
    await stage.start_app()
    admin = Chat(stage, ADMIN_ID)
    await admin.expect("Проверка пропущенных комментариев (ВКонтакте) остановилась")
    await stage.app.moderation.catch_up()  # it stops again: no second note
    admin.send("/help")
    await admin.expect("/report")
    assert len(alerts(admin, "Проверка пропущенных комментариев")) == 1


async def test_a_crashed_scheduler_job_tells_the_admin_once(stage: Stage) -> None:
    await stage.start_app()
    runs = 0

    async def digest() -> None:
        nonlocal runs
        runs += 1
        raise RuntimeError("boom")

    stage.app.scheduler.every("moderation:digest-test", digest, 0.002)
    admin = Chat(stage, ADMIN_ID)
    await admin.expect("Не сработало задание по расписанию: проверка комментариев")
    await stage.tg.wait_until(lambda: runs >= 3)
    admin.send("/help")
    await admin.expect("/report")
    assert len(alerts(admin, "Не сработало задание")) == 1


async def test_a_job_cancelled_as_the_bot_stops_is_no_crash(stage: Stage) -> None:
    await stage.start_app()
    started = asyncio.Event()

    async def digest() -> None:
        started.set()
        await asyncio.Event().wait()  # still running when the bot stops

    stage.app.scheduler.every("moderation:digest-test", digest, 0.002)
    await asyncio.wait_for(started.wait(), 10)
    await stage.stop_app()
    await stage.start_app()
    admin = Chat(stage, ADMIN_ID)
    admin.send("/help")
    await admin.expect("/report")
    assert alerts(admin, "Не сработало задание") == []
