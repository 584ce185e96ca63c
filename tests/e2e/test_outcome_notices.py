"""A publication's outcome reaches people even when the instance that published it dies before
telling them: the notices are written with the outcome and delivered after a restart, once
(issue 12). While it lives, its heartbeat keeps them from being delivered twice."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox.stage import Stage
from storage.delivery import UndeliveredNotice
from storage.models import Publication
from tests.e2e.conftest import Chat, approve_now, join, landed, report_event, wait_for

NETWORKS = ("Telegram", "ВКонтакте")
SETTINGS = {
    "publish": {"lease_seconds": 1.0},
    "delivery": {"redeliver_every_seconds": 0.3},
}


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=SETTINGS)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def notices(stage: Stage) -> list[UndeliveredNotice]:
    async with stage.app.uow() as uow:
        return list((await uow.session.exec(select(UndeliveredNotice))).all())


async def all_published(stage: Stage) -> bool:
    async with stage.app.uow() as uow:
        rows = (await uow.session.exec(select(Publication))).all()
        return bool(rows) and all(r.state == "published" for r in rows)


def landed_messages(chat: Chat) -> list[str]:
    return [m["text"] for m in chat.bot_messages() if "Опубликовано" in (m.get("text") or "")]


async def only_telegram_and_vk(editor: Chat) -> None:
    ask = await editor.expect("Когда публикуем?")
    editor.press(ask, "Сейчас")
    where = await editor.edited(ask, "Куда публикуем")
    for label in ("✓ Одноклассники", "✓ MAX"):
        editor.press(editor.current(where), label)
        await editor.tg.wait_until(
            lambda lb=label: lb not in str(editor.current(where).get("reply_markup")),
            timeout=10,
        )
    editor.press(editor.current(where), "Готово")


async def test_outcomes_told_after_the_instance_died_before_telling(
    stage: Stage, admin: Chat
) -> None:
    reporter = await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )
    editor = await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")
    outbox = stage.app.outbox
    teller = next(t for t in outbox._tasks if t.get_name() == "outbox:notices")
    teller.cancel()  # the instance will die after publishing, before telling anyone

    await report_event(reporter, photos=())
    editor.press(await editor.expect("Новое сообщение № 1"), "Одобрить")
    await only_telegram_and_vk(editor)
    await wait_for(stage, lambda: all_published(stage))
    kept = await notices(stage)
    # one per network for the editor and one for the author, on disk with the outcome
    assert len(kept) == 4 and all(n.delivered_at is None for n in kept)
    assert landed_messages(editor) == [] and landed_messages(reporter) == []

    outbox._notices = asyncio.Queue()  # what the dead process held in memory is gone
    outbox.kept.held.clear()
    await stage.stop_app()
    await stage.start_app()

    texts = await landed(editor, *NETWORKS)
    assert all(f"\n{n}: " in texts for n in NETWORKS)
    await landed(reporter, *NETWORKS)
    await wait_for(stage, lambda: _all_delivered(stage))
    assert len(landed_messages(editor)) == 2 and len(landed_messages(reporter)) == 2


async def _all_delivered(stage: Stage) -> bool:
    return all(n.delivered_at is not None for n in await notices(stage))


async def test_a_live_instance_tells_once_and_marks_its_notices(stage: Stage, admin: Chat) -> None:
    editor = await join(stage, admin, 3001, "Мария Соколова", "Редактор", "Пресс-служба")
    reporter = await join(
        stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
    )
    await report_event(reporter, photos=())
    editor.press(await editor.expect("Новое сообщение № 1"), "Одобрить")
    await approve_now(editor)
    await landed(editor, "Telegram", "ВКонтакте", "Одноклассники", "MAX")
    await wait_for(stage, lambda: _all_delivered(stage))
    assert {n.delivered_via for n in await notices(stage)} == {"outbox"}
    # a redelivery of everything kept now: the told notices are marked, nothing goes twice
    await stage.app.notifier.redeliver(everything=True)
    assert len(landed_messages(editor)) == 4 and len(landed_messages(reporter)) == 4
