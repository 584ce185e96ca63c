"""A token replaced from chat against the environment's: whichever was set later wins. The
environment unchanged since → the chat token is used after a restart; IT replaced it in the
server's settings after the chat one → the environment's is used, the stored one is dropped,
the admins are told and the audit log says so; `pressdesk doctor` names each token's source."""

from __future__ import annotations

from sqlmodel import select

from bot.app_networks import doctor
from sandbox.stage import VK_ADMIN_ID, VK_GROUP_ID, Stage
from storage.registry import StoredToken
from tests.e2e.conftest import Chat, audit_line, audit_lines, database_bytes
from tests.e2e.test_tokens import USER_TOKEN, replace_token


async def stored(stage: Stage) -> list[StoredToken]:
    assert stage.app is not None
    async with stage.app.uow() as uow:
        return list((await uow.session.exec(select(StoredToken))).all())


async def replaced_from_chat(stage: Stage, admin: Chat) -> str:
    """The VK user token replaced from chat by a new one VK issued; that new token."""
    from_chat = stage.vk.issue_user_token(VK_ADMIN_ID, admin_of=[VK_GROUP_ID])
    await replace_token(stage, admin, from_chat)
    await admin.expect("Ключ заменён и уже используется")
    return from_chat


async def test_the_chat_token_keeps_winning_while_the_environment_is_unchanged(
    stage: Stage, admin: Chat
) -> None:
    from_chat = await replaced_from_chat(stage, admin)
    [row] = await stored(stage)
    assert row.env_fingerprint and stage.vk_user_token not in row.env_fingerprint

    # A row stored before fingerprints existed: it keeps winning and gets one at start.
    assert stage.app is not None
    async with stage.app.uow() as uow:
        row = await uow.session.get(StoredToken, "vk_user")
        fingerprint, row.env_fingerprint = row.env_fingerprint, None
        uow.session.add(row)
        await uow.commit()
    await stage.stop_app()
    await stage.start_app()  # the environment still holds its old token
    assert stage.app.secrets.vk_user.get_secret_value() == from_chat
    assert [r.env_fingerprint for r in await stored(stage)] == [fingerprint]

    await stage.stop_app()
    await stage.start_app()
    assert stage.app.secrets.vk_user.get_secret_value() == from_chat
    ok, text = await doctor(stage.app.config, stage.secrets())
    assert ok, text
    assert f"• {USER_TOKEN} — введён в чате" in text and "Анна Петрова" in text
    assert "• Telegram: ключ бота — окружение (PRESSDESK_TELEGRAM_TOKEN)" in text

    await stage.stop_app()
    in_env, stage.vk_user_token = stage.vk_user_token, None  # removed: it names no newer one
    await stage.start_app()
    assert stage.app.secrets.vk_user.get_secret_value() == from_chat
    stage.vk_user_token = in_env  # for the end-of-test look for leaked tokens
    assert not await audit_lines(stage, "token.superseded")
    assert not [m for m in admin.bot_messages() if "заменён в настройках сервера" in m["text"]]


async def test_a_token_rotated_in_the_environment_later_wins_and_the_admins_are_told(
    stage: Stage, admin: Chat
) -> None:
    from_chat = await replaced_from_chat(stage, admin)

    await stage.stop_app()
    stage.vk_user_token = stage.vk.issue_user_token(VK_ADMIN_ID, admin_of=[VK_GROUP_ID])
    stage.vk.revoke_token(from_chat)  # IT issued a new one and put it in pressdesk.env
    ok, text = await doctor(stage.config(), stage.secrets())  # before the restart
    assert ok, text  # it checks the environment's token, the one the bot will use
    assert f"• {USER_TOKEN} — окружение (PRESSDESK_VK_USER_TOKEN); ключ, введённый в чате" in text
    await stage.start_app()

    note = (await admin.expect("заменён в настройках сервера"))["text"]
    assert f"«{USER_TOKEN}» заменён в настройках сервера: бот использует его" in note
    assert "введённый в чате" in note and "(Анна Петрова), больше не действует" in note
    assert stage.app.secrets.vk_user.get_secret_value() == stage.vk_user_token
    assert not [p for c in stage.app.checks for p in await c.check_access()]
    assert await stored(stage) == []
    line = await audit_line(stage, "token.superseded")
    assert "PRESSDESK_VK_USER_TOKEN изменён в настройках сервера" in line.details
    assert from_chat not in line.details and stage.vk_user_token not in line.details
    admin.send("/tokens")
    assert f"{USER_TOKEN} — из настроек сервера" in (await admin.expect("Ключи доступа"))["text"]
    assert stage.vk_user_token.encode() not in database_bytes(stage)

    await stage.stop_app()
    await stage.start_app()  # told once: nothing is stored any more
    assert stage.app.secrets.vk_user.get_secret_value() == stage.vk_user_token
    assert len(await audit_lines(stage, "token.superseded")) == 1
