"""Work that must never silently disappear (issue 9, items 5-9): a cancelled post, a half-filled
report, an answer that was a command, a file that is not what it claims, a time in the past."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from sandbox.stage import Stage
from tests.e2e.conftest import Chat, report_event


class Clock:
    """Real time plus an offset a test may set (the emulators' rate windows keep working)."""

    def __init__(self) -> None:
        self.offset = 0.0

    def __call__(self) -> float:
        return time.time() + self.offset

    def set(self, moment: datetime) -> None:
        self.offset = moment.timestamp() - time.time()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def stage(tmp_path: Path, clock: Clock) -> AsyncIterator[Stage]:
    stage = Stage(tmp_path, clock=clock)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def approved(reporter: Chat, editor: Chat) -> dict:
    """A report sent and approved; returns the «Когда публикуем?» question."""
    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № ")
    editor.press(card, "Одобрить")
    return await editor.expect("Когда публикуем?")


async def test_a_time_in_the_past_is_refused_not_moved_a_year_ahead(
    stage: Stage, clock: Clock, reporter: Chat, editor: Chat
) -> None:
    clock.set(datetime(2026, 12, 1, 5, 0, tzinfo=UTC))  # 1 December, 12:00 in Tomsk
    ask = await approved(reporter, editor)
    editor.press(ask, "Другое время")
    await editor.expect("Напишите дату и время")
    for typed in ("30.11 10:00", "вчера 10:00", "01.12 10:00"):
        editor.send(typed)
        refusal = await editor.expect("уже прошло")
        assert "Напишите время в будущем" in refusal["text"]
    editor.send("02.12 10:00")
    where = await editor.expect("Куда публикуем")
    assert "завтра в 10:00" in where["text"]
    async with stage.app.uow() as uow:
        [post] = await uow.posts.in_states(["approved"])
    assert post.scheduled_at.replace(tzinfo=UTC) == datetime(2026, 12, 2, 3, 0, tzinfo=UTC)
