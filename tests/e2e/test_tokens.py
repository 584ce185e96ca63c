"""Tokens: replaced from chat (the message is deleted at once, the token is kept encrypted, used
at once and after a restart), checked every morning (an expired one is named to the admins with
the fix), and by `pressdesk doctor` (a missing right in the channel is named)."""

from __future__ import annotations

from bot.app_networks import doctor
from bot.dates import utcnow
from sandbox.stage import (
    ADMIN_ID,
    CHANNEL_ID,
    MAX_CHANNEL_ID,
    OK_GROUP_ID,
    VK_ADMIN_ID,
    VK_GROUP_ID,
    Stage,
)
from storage.models import Person
from tests.e2e.conftest import (
    TIMEOUT,
    Chat,
    approve_now,
    audit_line,
    database_bytes,
    landed,
    report_event,
    wall,
)

USER_TOKEN = "ВКонтакте: ключ администратора сообщества"
OK_TOKEN = "Одноклассники: ключ администратора группы"


async def replace_token(stage: Stage, admin: Chat, value: str, title: str = USER_TOKEN) -> dict:
    """/tokens → «Заменить: <title>» → the value, whose message is deleted from the chat."""
    admin.send("/tokens")
    listing = await admin.expect("Ключи доступа к сетям:")
    admin.press(listing, f"Заменить: {title}")
    await admin.edited(listing, "пришлите новый ключ одним сообщением")
    sent = admin.send(value)
    await stage.tg.wait_until(
        lambda: any(
            m["message_id"] == sent["message_id"] for m in stage.tg.deleted_messages(ADMIN_ID)
        ),
        timeout=TIMEOUT,
    )
    assert all(value not in (m.get("text") or "") for m in stage.tg.chat_messages(ADMIN_ID))
    return sent


async def test_a_token_replaced_from_chat_works_at_once_and_after_a_restart(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    old = stage.vk_user_token
    new = stage.vk.issue_user_token(VK_ADMIN_ID, admin_of=[VK_GROUP_ID])
    stage.vk.revoke_token(old)  # the old one was revoked in VK: publishing would fail now

    await replace_token(stage, admin, "vk1.a.not-a-real-token")
    refusal = await admin.expect("Этот ключ не подходит")
    assert (
        "ключ больше не действует" in refusal["text"] and "Прежний ключ остаётся" in refusal["text"]
    )

    await replace_token(stage, admin, new)
    done = await admin.expect("Ключ заменён и уже используется")
    assert new not in done["text"]
    admin.send("/tokens")
    assert "заменён в чате" in (await admin.expect("Ключи доступа к сетям:"))["text"]

    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "ВКонтакте")  # one «Опубликовано» per network, in the order they land
    assert len(wall(stage)) == 1

    data = database_bytes(stage)
    assert new.encode() not in data and old.encode() not in data

    # After a restart the environment still holds the old token; the stored one wins.
    await stage.stop_app()
    await stage.start_app()
    assert stage.app.secrets.vk_user.get_secret_value() == new
    assert not [p for c in stage.app.checks for p in await c.check_access()]


async def test_an_expired_token_is_named_in_the_admins_morning_message(
    stage: Stage, admin: Chat, editor: Chat
) -> None:
    assert stage.app.scheduler.scheduler.get_job("registry:health") is not None
    await stage.app.token_health.morning()  # all is well: nobody is disturbed
    stage.vk.revoke_token(stage.vk_user_token)
    await stage.app.token_health.morning()
    note = await admin.expect("Проверка ключей доступа к сетям нашла проблемы")
    assert f"{USER_TOKEN}: ключ больше не действует (истёк или отозван)" in note["text"]
    assert "Что сделать: Получите новый ключ пользователя-администратора" in note["text"]
    assert "Telegram" not in note["text"]  # only what is wrong
    assert not [m for m in editor.bot_messages() if "нашла проблемы" in (m.get("text") or "")]
    rows = {r.network: r for r in await stage.app.registry.rows()}
    assert rows["vk"].health == "problem" and "ключ больше не действует" in rows["vk"].health_note
    assert rows["telegram"].health == "ok"


async def test_doctor_names_a_missing_right_and_its_fix(stage: Stage, admin: Chat) -> None:
    ok, text = await doctor(stage.app.config, stage.app.secrets)
    assert ok, text
    assert "✓ Telegram: ключ бота: в порядке" in text
    stage.tg.chats[CHANNEL_ID].denied_rights = {"can_delete_messages"}
    ok, text = await doctor(stage.app.config, stage.app.secrets)
    assert not ok
    assert "у бота в канале нет прав: удалять сообщения" in text
    assert "Администраторы → бот: включите удалять сообщения" in text
    admin.send("/doctor")
    assert "удалять сообщения" in (await admin.expect("нашла проблемы"))["text"]


async def test_the_secrets_check_finds_a_token_where_it_should_not_be(
    stage: Stage, database_engine: str
) -> None:
    """The check every e2e test ends with (conftest.assert_no_secrets) does find a token."""
    import pytest

    from tests.e2e.conftest import assert_no_secrets, stage_tokens

    tokens = stage_tokens(stage)
    with pytest.raises(AssertionError, match="in the log"):
        assert_no_secrets(stage, tokens, f"DEBUG request with {stage.vk_user_token}")
    leaked = stage.data_dir / "pressdesk.db-copy"  # as a careless backup would hold it
    leaked.write_bytes(b"page" + stage.vk_group_token.encode())
    with pytest.raises(AssertionError, match="in the database"):
        assert_no_secrets(stage, tokens, "")
    leaked.unlink()
    if database_engine != "postgresql":
        return  # SQLite's rows are its file's bytes (above); a deleted row stays in free pages
    # A token pasted where a name goes: PostgreSQL's rows are read as text.
    async with stage.app.uow() as uow:
        pasted = Person(full_name=stage.vk_user_token, role="reporter", created_at=utcnow())
        uow.session.add(pasted)
        await uow.session.flush()
        pasted_id = pasted.id
        await uow.commit()
    with pytest.raises(AssertionError, match="in the database"):
        assert_no_secrets(stage, tokens, "")
    async with stage.app.uow() as uow:
        await uow.session.delete(await uow.session.get(Person, pasted_id))
        await uow.commit()


async def test_the_max_token_is_replaced_from_chat_and_publishes_at_once(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    old = stage.max_token
    new = "max-new-" + "x" * 32
    stage.max.bots[new] = dict(stage.max.bots[old])  # MAX issued the same bot a new token
    stage.max.revoke(old)

    admin.send("/tokens")
    listing = await admin.expect("Ключи доступа к сетям:")
    admin.press(listing, "Заменить: MAX: ключ бота")
    await admin.edited(listing, "пришлите новый ключ одним сообщением")
    sent = admin.send("not-a-max-token")
    refusal = await admin.expect("Этот ключ не подходит")
    assert "Прежний ключ остаётся" in refusal["text"]
    assert any(m["message_id"] == sent["message_id"] for m in stage.tg.deleted_messages(ADMIN_ID))

    admin.send("/tokens")
    listing = await admin.expect("Ключи доступа к сетям:")
    admin.press(listing, "Заменить: MAX: ключ бота")
    await admin.edited(listing, "пришлите новый ключ одним сообщением")
    admin.send(new)
    done = await admin.expect("Ключ заменён и уже используется")
    assert new not in done["text"]

    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "MAX")
    assert len(stage.max.posts(MAX_CHANNEL_ID)) == 1
    assert new.encode() not in database_bytes(stage)

    await stage.stop_app()
    await stage.start_app()
    assert stage.app.secrets.max_token.get_secret_value() == new


async def test_the_ok_token_is_checked_replaced_from_chat_and_kept_after_a_restart(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    old = stage.ok_token
    new = stage.ok.issue_token(stage.ok_app_key, admin_of=[OK_GROUP_ID])
    outsider = stage.ok.issue_token(stage.ok_app_key, admin_of=[])  # works, runs no group
    stage.ok.revoke(old)  # the old one was revoked in OK: publishing there would fail now

    await replace_token(stage, admin, "tkn1-not-a-real-token", OK_TOKEN)
    refusal = (await admin.expect("Этот ключ не подходит"))["text"]
    assert "ключ доступа больше не действует" in refusal and "Прежний ключ остаётся" in refusal
    assert "Что сделать: Получите в настройках приложения Одноклассников" in refusal

    await replace_token(stage, admin, outsider, OK_TOKEN)
    refusal = (await admin.expect("Этот ключ не подходит"))["text"]
    assert "владелец ключа не администратор группы" in refusal and outsider not in refusal

    await replace_token(stage, admin, new, OK_TOKEN)
    done = await admin.expect("Ключ заменён и уже используется")
    assert OK_TOKEN in done["text"] and new not in done["text"]
    admin.send("/tokens")
    listing = (await admin.expect("Ключи доступа к сетям:"))["text"]
    assert f"{OK_TOKEN} — заменён в чате" in listing
    assert "Ключ и секрет приложения Одноклассников меняют в настройках сервера" in listing
    line = await audit_line(stage, "token.rotate")
    assert line.actor_ref and line.details == OK_TOKEN and new not in line.details

    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Одноклассники")  # on the new token: the old one is revoked
    assert len(stage.ok.topics(OK_GROUP_ID)) == 1
    assert new.encode() not in database_bytes(stage)

    await stage.stop_app()
    await stage.start_app()  # the environment still holds the revoked token
    assert stage.app.secrets.ok_access_token.get_secret_value() == new
    assert stage.app.secrets.ok_application_key.get_secret_value() == stage.ok_app_key
    assert not [p for c in stage.app.checks for p in await c.check_access()]
