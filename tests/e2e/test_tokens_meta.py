"""The Facebook Page token replaced from chat (Facebook and Instagram switched on): a dead one
is refused with what to do, the new one is checked with debug_token first, publishes the next
post on the Graph emulator, and is the one in use after a restart."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import FB_PAGE_ID, IG_USER_ID, Stage
from tests.e2e.conftest import (
    PHOTO_A,
    Chat,
    approve_now,
    audit_line,
    database_bytes,
    landed,
    report_event,
)
from tests.e2e.test_tokens import replace_token

META_ON = {"facebook": {"enabled": True}, "instagram": {"enabled": True}}
PAGE_TOKEN = "Facebook: ключ Страницы"


@pytest.fixture
def own_instagram() -> bool:
    """PRESSDESK_INSTAGRAM_TOKEN set (else Instagram uses the Page's token)."""
    return True


@pytest.fixture
async def stage(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, own_instagram: bool
) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings=META_ON)
    if not own_instagram:
        made = stage.secrets
        monkeypatch.setattr(stage, "secrets", lambda: made().model_copy(update={"instagram": None}))
    await stage.start_emulators()
    await stage.start_app()
    yield stage
    await stage.stop()


async def test_the_page_token_is_checked_replaced_from_chat_and_kept_after_a_restart(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    old = stage.graph_token
    new = stage.graph.issue_token(FB_PAGE_ID)
    stage.graph.expire_token(old)  # publishing on the Page would fail now

    await replace_token(stage, admin, "EAAG" + "0" * 48, PAGE_TOKEN)
    refusal = (await admin.expect("Этот ключ не подходит"))["text"]
    assert "ключ больше не действует" in refusal and "Прежний ключ остаётся" in refusal
    assert "Что сделать: Получите новый ключ Страницы" in refusal

    await replace_token(stage, admin, new, PAGE_TOKEN)
    done = await admin.expect("Ключ заменён и уже используется")
    assert PAGE_TOKEN in done["text"] and new not in done["text"]
    admin.send("/tokens")
    listing = (await admin.expect("Ключи доступа к сетям:"))["text"]
    assert f"{PAGE_TOKEN} — заменён в чате" in listing
    assert "Instagram: ключ доступа — из настроек сервера" in listing  # its own, untouched
    line = await audit_line(stage, "token.rotate")
    assert line.actor_ref and line.details == PAGE_TOKEN and new not in line.details

    await report_event(reporter, photos=())
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Facebook")
    assert len(stage.graph.feed(FB_PAGE_ID)) == 1
    assert new.encode() not in database_bytes(stage)

    await stage.stop_app()
    await stage.start_app()  # the environment still holds the expired token
    assert stage.app.secrets.facebook.get_secret_value() == new
    assert not [p for c in stage.app.checks for p in await c.check_access()]


@pytest.mark.parametrize("own_instagram", [False])
async def test_instagram_on_the_page_token_is_switched_with_it(
    stage: Stage, admin: Chat, reporter: Chat, editor: Chat
) -> None:
    admin.send("/tokens")
    listing = (await admin.expect("Ключи доступа к сетям:"))["text"]
    assert f"Instagram: ключ доступа — тот же ключ, что «{PAGE_TOKEN}»" in listing
    old, new = stage.graph_token, stage.graph.issue_token(FB_PAGE_ID)
    stage.graph.expire_token(old)

    await replace_token(stage, admin, new, PAGE_TOKEN)
    await admin.expect("Ключ заменён и уже используется")
    await report_event(reporter, photos=(PHOTO_A,))
    card = await editor.expect("Новое сообщение № 1")
    editor.press(card, "Одобрить")
    await approve_now(editor)
    await landed(editor, "Facebook", "Instagram")  # both on the new token
    assert len(stage.graph.ig_media(IG_USER_ID)) == 1

    await stage.stop_app()
    await stage.start_app()
    assert stage.app.secrets.instagram is None
    assert not [p for c in stage.app.checks for p in await c.check_access()]
