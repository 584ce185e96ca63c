"""Token checks of OK, MAX and the Graph API (Facebook, Instagram), as `pressdesk doctor`,
/doctor, the morning token health and the registry use them (issue 15)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app_networks import doctor
from sandbox.stage import ADMIN_ID, FB_PAGE_ID, IG_USER_ID, MAX_CHANNEL_ID, OK_GROUP_ID, Stage
from tests.e2e.conftest import Chat

META_ON = {"facebook": {"enabled": True}, "instagram": {"enabled": True}}
TITLES = (
    "Одноклассники: ключ администратора группы",
    "MAX: ключ бота",
    "Facebook: ключ Страницы",
    "Instagram: ключ доступа",
)


@pytest.fixture
async def stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=META_ON)
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


@pytest.fixture
async def admin(stage: Stage) -> Chat:
    chat = Chat(stage, ADMIN_ID)
    chat.send("/start")
    await chat.expect("Здравствуйте")
    return chat


async def test_doctor_checks_every_network_and_names_what_is_missing(
    stage: Stage, admin: Chat
) -> None:
    ok, text = await doctor(stage.app.config, stage.app.secrets)
    assert ok, text
    for title in TITLES:
        assert f"✓ {title}: в порядке" in text

    stage.ok.state.tokens[stage.ok_token]["perms"].discard("GROUP_CONTENT")
    bot_id = next(iter(stage.max.chats[MAX_CHANNEL_ID]["admins"]))
    stage.max.set_rights(MAX_CHANNEL_ID, bot_id, ["read_all_messages", "delete_message"])
    stage.graph.state.tokens[stage.graph_token].scopes = ("pages_read_engagement",)
    stage.graph.expire_token(stage.ig_token)

    ok, text = await doctor(stage.app.config, stage.app.secrets)
    assert not ok
    lines = text.splitlines()
    assert (
        "✗ Одноклассники: ключ администратора группы: у приложения нет права GROUP_CONTENT" in text
    )
    assert "✓ Одноклассники" not in text
    assert "✗ MAX: ключ бота: у бота нет права публиковать сообщения." in lines
    assert "у ключа нет разрешения pages_manage_posts (публикации на Странице)" in text
    assert "у ключа нет разрешения pages_manage_engagement" in text  # moderation is on
    assert "✗ Instagram: ключ доступа: ключ больше не действует (истёк или отозван)." in lines
    assert "✓ Telegram: ключ бота: в порядке" in text
    assert "Что сделать: Откройте канал в MAX" in text

    admin.send("/doctor")
    said = (await admin.expect("нашла проблемы"))["text"]
    assert "GROUP_CONTENT" in said and "MAX: ключ бота" in said and "Instagram" in said


async def test_a_dead_ok_token_reaches_the_admins_and_the_registry(
    stage: Stage, admin: Chat
) -> None:
    await stage.app.token_health.morning()  # all is well: nobody is disturbed
    stage.ok.revoke(stage.ok_token)
    stage.max.chats[MAX_CHANNEL_ID]["admins"].clear()  # the bot was removed from the channel
    await stage.app.token_health.morning()
    note = (await admin.expect("Проверка ключей доступа к сетям нашла проблемы"))["text"]
    assert (
        "Одноклассники: ключ администратора группы: ключ доступа больше не действует "
        "(истёк или отозван)"
    ) in note
    assert "MAX: ключ бота: бот не состоит в канале" in note
    assert "Facebook" not in note and "Telegram" not in note
    rows = {r.network: r for r in await stage.app.registry.rows()}
    assert rows["ok"].health == "problem" and "больше не действует" in rows["ok"].health_note
    assert rows["max"].health == "problem"
    assert rows["facebook"].health == "ok" and rows["instagram"].health == "ok"


async def test_the_registry_lists_the_desks_own_ok_max_and_meta_accounts(stage: Stage) -> None:
    stage.ok.state.groups[OK_GROUP_ID]["members_count"] = 4321
    stage.max.chats[MAX_CHANNEL_ID]["subscribers"] = 987
    stage.graph.state.objects[FB_PAGE_ID]["followers_count"] = 555
    stage.graph.state.objects[IG_USER_ID]["followers_count"] = 777
    await stage.app.registry.sync_own()
    rows = {r.network: r for r in await stage.app.registry.rows()}
    assert rows["ok"].url == f"https://ok.ru/group/{OK_GROUP_ID}" and rows["ok"].followers == 4321
    assert rows["max"].url == f"https://max.ru/c/{MAX_CHANNEL_ID}"
    assert rows["max"].followers == 987
    assert rows["max"].name == stage.max.chats[MAX_CHANNEL_ID]["title"]
    assert rows["facebook"].followers == 555
    assert rows["facebook"].url == f"https://www.facebook.com/{FB_PAGE_ID}"
    assert rows["instagram"].followers == 777 and "instagram.com/" in rows["instagram"].url
