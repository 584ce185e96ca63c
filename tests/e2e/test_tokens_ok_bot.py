"""The OK group's bot token (PRESSDESK_OK_BOT_TOKEN, the group's messages) replaced from chat:
a bad one is refused with what to do and the old one stays; a new one is tried first, answers
the next citizen at once, and is the one in use after a restart, its webhook subscribed."""

from __future__ import annotations

from handlers.ok_webhook import webhook_path
from sandbox.stage import OK_GROUP_ID, Stage
from tests.e2e.conftest import TIMEOUT, Chat, audit_line, database_bytes
from tests.e2e.test_replies import QUESTION
from tests.e2e.test_replies_ok_max import OK_CITIZEN, ok_group_stage, ok_sent
from tests.e2e.test_tokens import replace_token

BOT_TOKEN = "Одноклассники: ключ бота сообщений группы"
OTHER_CITIZEN = "575000000002"


stage = ok_group_stage((OK_CITIZEN, "Пётр", "Соколов"), (OTHER_CITIZEN, "Мария", "Орлова"))


def subscribed(stage: Stage) -> list[str]:
    return [s["url"] for s in stage.ok.bot_api.subscriptions.get(OK_GROUP_ID, [])]


async def test_the_ok_bot_token_is_checked_replaced_from_chat_and_kept_after_a_restart(
    stage: Stage, admin: Chat
) -> None:
    await stage.ok.wait_until(lambda: subscribed(stage), TIMEOUT)
    await replace_token(stage, admin, "tkn1-not-a-bot-token:XYZ", BOT_TOKEN)
    refusal = (await admin.expect("Этот ключ не подходит"))["text"]
    assert "ключ не действует" in refusal and "Прежний ключ остаётся в работе" in refusal
    assert "Что сделать: Получите новый ключ в настройках группы в Одноклассниках" in refusal
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OK_CITIZEN, QUESTION)
    await stage.ok.wait_until(lambda: len(ok_sent(stage)) == 1, timeout=TIMEOUT)  # the old one

    new = stage.ok.bot_api.issue_bot_token(OK_GROUP_ID)  # the old one stops working in OK
    await replace_token(stage, admin, new, BOT_TOKEN)
    done = (await admin.expect("Ключ заменён и уже используется"))["text"]
    assert BOT_TOKEN in done and "Что ещё не так" not in done and new not in done
    line = await audit_line(stage, "token.rotate")
    assert line.details == BOT_TOKEN and new not in line.details
    stage.ok.bot_api.citizen_writes(OK_GROUP_ID, OTHER_CITIZEN, "Когда вывезут мусор?")
    await stage.ok.wait_until(lambda: ok_sent(stage, OTHER_CITIZEN), timeout=TIMEOUT)  # the new
    admin.send("/tokens")
    assert f"{BOT_TOKEN} — заменён в чате" in (await admin.expect("Ключи доступа"))["text"]
    assert new.encode() not in database_bytes(stage)

    await stage.stop_app()
    await stage.start_app()  # the environment still holds the replaced token
    assert stage.app.secrets.ok_bot.get_secret_value() == new
    path = webhook_path(new)
    # OK now sends to the new token's URL only: the old one is dropped (nothing answers there)
    await stage.ok.wait_until(lambda: [u[-len(path) :] for u in subscribed(stage)] == [path])
    assert not [p for c in stage.app.checks for p in await c.check_access()]
