"""Dialogs in Redis (`[redis] url`), as several instances need them: a half-filled report in
Telegram and in VK survives a restart of the instance, because no instance keeps it in memory."""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from redis.asyncio import Redis

from sandbox.stage import Stage
from tests.e2e.conftest import Chat, join, start_report

REDIS_URL = os.environ.get("PRESSDESK_TEST_REDIS_URL")
pytestmark = pytest.mark.skipif(
    not REDIS_URL, reason="Redis: set PRESSDESK_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run"
)


@pytest.fixture
async def prefix() -> AsyncIterator[str]:
    name = f"pressdesk-test-{uuid.uuid4().hex[:8]}"
    yield name
    redis = Redis.from_url(REDIS_URL)
    keys = [key async for key in redis.scan_iter(f"{name}:*")]
    if keys:
        await redis.delete(*keys)
    await redis.aclose()


async def test_a_half_filled_report_survives_a_restart_in_redis(
    tmp_path: Path, prefix: str
) -> None:
    stage = Stage(tmp_path, settings={"redis": {"url": REDIS_URL, "key_prefix": prefix}})
    await stage.start_emulators()
    await stage.start_app()
    try:
        admin = Chat(stage, 1001)
        admin.send("/start")
        await admin.expect("Здравствуйте")
        reporter = await join(
            stage, admin, 2001, "Иван Иванов", "Руководитель подразделения", "Отдел спорта"
        )
        await start_report(reporter, "Турнир по волейболу")
        redis = Redis.from_url(REDIS_URL)
        keys = [key async for key in redis.scan_iter(f"{prefix}:*")]
        await redis.aclose()
        assert keys, "the dialog is not in Redis"

        await stage.stop_app()
        await stage.start_app()
        reporter.send("Вчера")
        await reporter.expect("Где?")
    finally:
        await stage.stop()


async def test_the_vk_dialog_keeps_its_state_in_the_same_redis(prefix: str) -> None:
    from handlers.vk.state import SharedStateDispenser
    from storage.fsm import shared_dialogs

    storage = shared_dialogs(REDIS_URL, prefix)
    dispenser = SharedStateDispenser(storage, 100001)
    try:
        await dispenser.set(42, "ReportDialog:place", title="Ёлка", date="2026-12-01")
        again = SharedStateDispenser(shared_dialogs(REDIS_URL, prefix), 100001)  # another instance
        peer = await again.get(42)
        assert peer is not None and peer.state == "ReportDialog:place"
        assert peer.payload == {"title": "Ёлка", "date": "2026-12-01"}
        await dispenser.delete(42)
        assert await again.get(42) is None
        await again._storage.close()
    finally:
        await storage.close()
