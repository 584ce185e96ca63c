"""U+0000 (which PostgreSQL refuses in text) is taken out where data comes in, on both chats."""

from __future__ import annotations

from sqlmodel import select

from sandbox.stage import VK_GROUP_ID, Stage
from storage.models import Comment, Report
from tests.e2e.conftest import Chat, report_event, wait_for
from tests.e2e.test_moderation import VK_CITIZEN, vk_post


async def test_a_report_title_with_nul_is_taken(stage: Stage, reporter: Chat) -> None:
    await report_event(reporter, title="День\x00 села", description="Концерт\x00 и ярмарка.")
    async with stage.app.uow() as uow:
        [report] = (await uow.session.exec(select(Report))).all()
    assert report.title == "День села" and report.description == "Концерт и ярмарка."


async def test_a_vk_comment_with_nul_is_stored_and_flagged(stage: Stage, admin: Chat) -> None:
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    post_id = await vk_post(stage)
    stage.vk.post_comment(
        -VK_GROUP_ID, post_id, VK_CITIZEN, "Заработок от 5000\x00 в день, пиши в лс"
    )
    found: list[Comment] = []

    async def stored() -> bool:
        async with stage.app.uow() as uow:
            found[:] = (await uow.session.exec(select(Comment))).all()
        return bool(found)

    await wait_for(stage, stored)
    assert "\x00" not in found[0].text and found[0].state == "flagged"
