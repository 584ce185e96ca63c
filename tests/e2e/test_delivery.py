"""Messages to people arrive although Telegram asks the bot to slow down (429, flood limits)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from sandbox.stage import ADMIN_ID, MODERATION_CHAT_ID, VK_GROUP_ID, Stage
from tests.e2e.conftest import Chat
from tests.e2e.test_moderation import RUDE, VK_CITIZEN, bot_texts, start, vk_post


async def test_a_429_on_the_reply_to_invite_is_waited_out(stage: Stage, admin: Chat) -> None:
    stage.tg.inject_fault("sendMessage", "429", retry_after=1)
    admin.send("/invite")
    await admin.expect("Кого приглашаем?")
    refused = [c for c in stage.tg.calls if c[0] == "sendMessage"]
    assert len(refused) >= 2  # refused once, then sent


@pytest.fixture
async def flood_stage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Stage]:
    monkeypatch.chdir(tmp_path)
    stage = Stage(tmp_path, settings={"telegram": {"moderation_chat_id": MODERATION_CHAT_ID}})
    await stage.start_emulators()
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    # a tighter limit than the bot's own pacing knows of: only retry_after gets the cards out
    stage.tg.enforce_flood_limits(private=(5, 1.0), group=(4, 2.0))
    yield stage
    await stage.stop()


async def test_a_wave_of_flagged_comments_reaches_the_moderation_chat(flood_stage: Stage) -> None:
    stage = flood_stage
    await start(stage)
    post_id = await vk_post(stage)
    for n in range(10):
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, f"{RUDE} ({n})")

    def cards() -> list[dict]:
        return [m for m in bot_texts(stage, MODERATION_CHAT_ID) if "на проверке" in m["text"]]

    await stage.tg.wait_until(lambda: len(cards()) == 10, timeout=30)
    assert stage.tg.flood_refusals > 0  # the emulator did refuse some, and they came later
    assert all(any(f"({n})" in c["text"] for c in cards()) for n in range(10))
    assert stage.tg.chat_messages(ADMIN_ID)  # the admin's greeting went out as well
