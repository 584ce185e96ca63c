"""Invite and «Открыть комментарии» buttons: checked before anything is done, refused in plain
Russian, and kept in the audit."""

from __future__ import annotations

import pytest

from bot.ports import Action
from handlers.telegram.callbacks import DeskCB
from sandbox.stage import Stage
from storage.models import FsmRecord
from tests.e2e.conftest import Chat, audit_lines


async def dialog_states(stage: Stage) -> list[FsmRecord]:
    from sqlmodel import select

    async with stage.app.uow() as uow:
        rows = (await uow.session.exec(select(FsmRecord))).all()
    return [r for r in rows if r.state]


@pytest.mark.parametrize("data", ["i1:editor:-1", "i1:admin:0", "i1:admin:1"])
async def test_a_reporter_pressing_a_forged_invite_button_is_refused(
    stage: Stage, reporter: Chat, data: str
) -> None:
    last = reporter.bot_messages()[-1]
    query = stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, last["message_id"], data
    )
    assert "только администратор" in await reporter.alert(query)
    assert reporter.current(last).get("text") == last.get("text")  # nothing was shown instead
    assert await dialog_states(stage) == []  # and no dialog was started
    [line] = await audit_lines(stage, "invite.refused")
    assert line.actor_ref == f"tg:{reporter.user_id}"


@pytest.mark.parametrize("data", ["i1:root:1", "i1:root:-1", "i1:editor:-7"])
async def test_an_admin_pressing_a_button_no_bot_made_is_told_it_is_stale(
    stage: Stage, admin: Chat, data: str
) -> None:
    last = admin.bot_messages()[-1]
    query = stage.tg.user_presses_button(admin.user_id, admin.user_id, last["message_id"], data)
    assert "устарела" in await admin.alert(query)
    assert len(await audit_lines(stage, "invite.refused")) == 1


async def test_a_reporter_pressing_open_comments_is_refused_before_any_answer(
    stage: Stage, reporter: Chat
) -> None:
    last = reporter.bot_messages()[-1]
    forged = DeskCB(action=Action.open_comments, ref=0).pack()
    query = stage.tg.user_presses_button(
        reporter.user_id, reporter.user_id, last["message_id"], forged
    )
    assert "только редакторы" in await reporter.alert(query)
    assert len(await audit_lines(stage, "access.denied")) == 1
    assert not any("на проверке" in (m.get("text") or "") for m in reporter.bot_messages())
