"""The optional second opinion: an OpenAI-compatible endpoint (emulated on loopback) asked about
flagged comments only, its answer a line on the editors' card (confirm-only)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.moderation.second_opinion import parse
from emulators.llm import LLMEmulator
from sandbox.stage import MODERATION_CHAT_ID, VK_GROUP_ID, Stage
from tests.e2e.test_moderation import (
    CLEAN,
    VK_CITIZEN,
    Clock,
    audit_actions,
    card_in,
    start,
    stored_count,
    vk_post,
)

RUDE = "Автор, ты дебил, удали пост"


@pytest.fixture
async def llm() -> AsyncIterator[LLMEmulator]:
    emulator = LLMEmulator(key="secret-key")
    await emulator.start()
    yield emulator
    await emulator.stop()


async def opinion_stage(tmp_path: Path, llm: LLMEmulator, monkeypatch: pytest.MonkeyPatch) -> Stage:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PRESSDESK_SECOND_OPINION_KEY", "secret-key")
    stage = Stage(
        tmp_path,
        clock=Clock(),
        settings={
            "telegram": {"moderation_chat_id": MODERATION_CHAT_ID},
            "moderation": {
                "second_opinion": {"enabled": True, "base_url": llm.base_url, "model": "m"}
            },
        },
    )
    await stage.start_emulators()
    stage.vk.add_user(VK_CITIZEN, "Сергей", "Кузнецов")
    return stage


async def test_a_flag_is_confirmed_and_a_clean_comment_is_never_sent(
    tmp_path: Path, llm: LLMEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    stage = await opinion_stage(tmp_path, llm, monkeypatch)
    try:
        await start(stage)
        post_id = await vk_post(stage)
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, CLEAN)
        await stored_count(stage, 1)
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
        card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
        assert "второе мнение: подтверждает нарушение" in card["text"]
        # confirm-only: only the flagged comment went out, with the key from the environment
        assert [r["body"]["messages"][-1]["content"] for r in llm.requests] == [RUDE]
        assert llm.requests[0]["authorization"] == "Bearer secret-key"
        assert "comment.second_opinion" in await audit_actions(stage)
    finally:
        await stage.stop()


async def test_a_disagreeing_or_broken_endpoint_never_clears_a_flag(
    tmp_path: Path, llm: LLMEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    llm.violation_words = ()  # the endpoint sees nothing wrong
    stage = await opinion_stage(tmp_path, llm, monkeypatch)
    try:
        await start(stage)
        post_id = await vk_post(stage)
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, RUDE)
        card = await card_in(stage, MODERATION_CHAT_ID, "Комментарий на проверке")
        assert "второе мнение: не видит нарушения" in card["text"]  # still on the editors' desk
        llm.status = 503
        stage.vk.post_comment(-VK_GROUP_ID, post_id, VK_CITIZEN, "Сука, опять яма")
        card = await card_in(stage, MODERATION_CHAT_ID, "второе мнение недоступно")
        assert "сервис ответил 503" in card["text"]
    finally:
        await stage.stop()


def test_unreadable_answers_are_no_opinion() -> None:
    assert parse({"choices": []}, 0.1).confirmed is None
    assert parse({"choices": [{"message": {"content": "да"}}]}, 0.1).confirmed is None
    ok = {
        "choices": [{"message": {"content": 'Ответ: {"violation": true, "reason": "мат"}'}}],
        "usage": {"total_tokens": 42},
    }
    opinion = parse(ok, 0.2)
    assert (opinion.confirmed, opinion.reason, opinion.tokens) == (True, "мат", 42)
    assert (
        parse({"choices": [{"message": {"content": '{"violation": "yes"}'}}]}, 0).confirmed is None
    )
