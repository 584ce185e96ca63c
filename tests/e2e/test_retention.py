# ruff: noqa: F811  (the fixtures `stage` and `clock` come from test_moderation)
"""Citizens' personal data: past its term a daily job blanks comments and their authors, deletes
the training texts taken from decisions and strangers' ids in refusal lines, and keeps the
counts; /forget <link> erases one citizen at once. The audit chain stays whole throughout."""

from __future__ import annotations

from sqlmodel import select

from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID, VK_GROUP_ID, Stage
from storage.audit import ANONYMOUS, verify
from storage.models import AuditLog, Comment, ModerationExample
from tests.e2e.conftest import Chat
from tests.e2e.test_moderation import (  # noqa: F401  (clock and stage are fixtures)
    RUDE,
    VK_CITIZEN,
    Clock,
    card_in,
    clock,
    rows,
    stage,
    start,
    vk_post,
)


async def a_decided_comment(stage: Stage) -> Comment:
    post_id = await vk_post(stage)
    stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
    card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
    stage.tg.press(ADMIN_ID, MODERATION_CHAT_ID, card["message_id"], "Оставить")

    async def decided() -> Comment | None:
        found = await rows(stage, Comment)
        return found[0] if found and found[0].decision else None

    for _ in range(300):
        if (comment := await decided()) is not None:
            return comment
        await stage.vk.state.wait_changed(0.05)
    raise AssertionError("the comment was never decided")


async def chain_ok(stage: Stage) -> None:
    async with stage.app.uow() as uow:
        verdict = await verify(uow.session, AuditLog)
    assert verdict.ok, verdict.problems


async def test_the_daily_job_blanks_what_is_past_its_term(stage: Stage, clock: Clock) -> None:
    await start(stage)
    stage.tg.add_user(5555, "Случайный", "Прохожий")
    stranger = Chat(stage, 5555)
    stranger.send("Здравствуйте")
    await stranger.expect("доступен только по приглашению")
    comment = await a_decided_comment(stage)
    assert comment.text and comment.author_id == VK_CITIZEN and comment.author_name
    assert await rows(stage, ModerationExample)

    purged = await stage.app.retention.purge()  # nothing is old yet
    assert (purged.comments, purged.examples, purged.audit_lines) == (0, 0, 0)

    clock.advance(181 * 24)
    purged = await stage.app.retention.purge()
    assert purged.comments == 1 and purged.examples >= 1 and purged.audit_lines >= 1
    [blank] = await rows(stage, Comment)
    assert (blank.text, blank.author_id, blank.author_name, blank.author_url) == ("", 0, "", "")
    assert blank.decision == "keep" and blank.network == "vk"  # the counts still add up
    assert await rows(stage, ModerationExample) == []
    refusals = await rows(stage, AuditLog, AuditLog.action == "access.refused")
    assert refusals and all(line.actor_ref == ANONYMOUS and not line.details for line in refusals)
    [_purge_line] = await rows(
        stage,
        AuditLog,
        AuditLog.action == "retention.purge",
        AuditLog.details.contains("комментариев: 1"),
    )
    await chain_ok(stage)
    assert stage.app.scheduler.scheduler.get_job("retention:purge") is not None


async def test_forget_erases_one_citizen_on_request(stage: Stage) -> None:
    await start(stage)
    comment = await a_decided_comment(stage)
    admin = Chat(stage, ADMIN_ID)
    admin.cursor = len(admin.bot_messages())
    admin.send("/forget https://example.com/nothing")
    await admin.expect("Пришлите ссылку на комментарий жителя")
    admin.send(f"/forget {comment.url}")
    done = await admin.expect("Данные жителя стёрты")
    assert "комментариев: 1" in done["text"]
    [blank] = await rows(stage, Comment)
    assert blank.text == "" and blank.author_id == 0
    async with stage.app.uow() as uow:
        lines = (
            await uow.session.exec(select(AuditLog).where(AuditLog.action == "citizen.forget"))
        ).all()
    assert len(lines) == 1 and str(VK_CITIZEN) not in lines[0].details
    await chain_ok(stage)
    admin.send(f"/forget {comment.url}")
    await admin.expect("данные уже стёрты")
