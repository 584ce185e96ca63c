"""SIGKILL of a real `pressdesk run` while it publishes, then a restart: nothing twice, nothing
lost, and what nobody can know is asked about. The emulators live in this process, so what the
channel and the wall received survives the bot."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.domain import PublicationState
from sandbox.processes import DeskProcess, Ledger, write_config
from sandbox.stage import ADMIN_ID, CHANNEL_ID, VK_GROUP_ID, Stage
from storage.models import AuditLog
from tests.e2e.conftest import Chat, buttons

# A real process starts in tens of seconds on a loaded machine: the bounds only end a hung test.
FAST = {"lease_seconds": 2.0, "poll_seconds": 0.3, "retry_delay_seconds": 0.2}


class World:
    def __init__(self, stage: Stage, ledger: Ledger, desk: DeskProcess) -> None:
        self.stage, self.ledger, self.desk = stage, ledger, desk
        self.editor = Chat(stage, ADMIN_ID)

    def channel_texts(self) -> Counter[str]:
        return Counter(
            (m.get("text") or m.get("caption") or "").split("\n")[0]
            for m in self.stage.tg.chat_messages(CHANNEL_ID)
        )

    def wall_texts(self) -> Counter[str]:
        return Counter(p["text"].split("\n")[0] for p in self.stage.vk.wall_posts(-VK_GROUP_ID))


@pytest.fixture
async def world(tmp_path: Path, database_engine: str) -> AsyncIterator[World]:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    stage.tg.open_private_chat(ADMIN_ID)  # the editor wrote to the bot long ago
    url = stage.config().database.url  # PostgreSQL's own database when the engine is it
    ledger = Ledger(url)
    await ledger.prepare()
    # Telegram's per-chat limits are the bench's business: here 50 posts must not take minutes.
    quick = {"telegram_group_chat": [500, 1.0], "telegram_private_chat": [500, 1.0]}
    config = write_config(stage, tmp_path / "config.toml", url, publish=FAST, delivery=quick)
    desk = DeskProcess(stage, config)
    try:
        yield World(stage, ledger, desk)
    finally:
        desk.kill()
        await ledger.close()
        await stage.stop()


def now() -> datetime:
    return datetime.now(UTC)


async def test_sigkill_mid_publication_of_50_posts_nothing_twice_nothing_lost(
    world: World,
) -> None:
    titles = [f"Новость № {n}" for n in range(1, 51)]
    await world.ledger.schedule(titles, [now()] * 50, ["telegram", "vk"], now())
    world.stage.tg.answer_delays["sendmessage"] = 0.3  # the channel answers slowly
    world.desk.start()
    await world.stage.tg.wait_until(lambda: len(world.channel_texts()) >= 10, timeout=180)
    world.desk.kill()
    world.desk.start()
    rows = await world.ledger.settled(within=240)
    world.desk.stop()

    channel, wall = world.channel_texts(), world.wall_texts()
    assert all(wall[t] == 1 for t in titles), "each post exactly once on the wall"
    assert all(channel[t] <= 1 for t in titles), "no post twice in the channel"
    by_state = Counter((r.network, r.state) for r in rows)
    assert set(by_state) <= {
        ("vk", "published"),
        ("telegram", "published"),
        ("telegram", "uncertain"),
    }, by_state
    uncertain = [r for r in rows if r.state == PublicationState.uncertain]
    assert len(uncertain) <= 2  # at most what was in flight at the kill
    published_tg = [r for r in rows if r.network == "telegram" and r.state == "published"]
    assert len(published_tg) + len(uncertain) == 50  # none lost
    assert sum(channel[t] for t in titles) >= len(published_tg)
    asked = [
        m["text"] for m in world.editor.bot_messages() if "Возможно, опубликовано" in m["text"]
    ]
    assert len(asked) == len(uncertain)


async def cut_off_one(world: World, network: str, delay_method: str) -> list[int]:
    """One post on `network`, its answer held; SIGKILL once the network has it; restart."""
    ids = await world.ledger.schedule(["Открытие площадки"], [now()], [network], now())
    delays = world.stage.tg.answer_delays if network == "telegram" else world.stage.vk.answer_delays
    delays[delay_method] = 30.0  # the post lands, its answer would come in 30 s
    world.desk.start()
    landed = world.channel_texts if network == "telegram" else world.wall_texts
    await world.stage.tg.wait_until(lambda: landed()["Открытие площадки"] == 1, timeout=180)
    world.desk.kill()  # between the network's answer and the database's commit
    delays.clear()
    world.desk.start()
    return ids


async def test_sigkill_after_vk_took_the_post_completes_by_guid(world: World) -> None:
    await cut_off_one(world, "vk", "wall.post")
    [row] = await world.ledger.settled(within=240)
    world.desk.stop()
    assert row.state == PublicationState.published
    [post] = world.stage.vk.wall_posts(-VK_GROUP_ID)
    assert row.external_id == str(post["id"])  # VK answered the same guid with the same post
    await world.editor.expect("Опубликовано")


async def uncertain_telegram(world: World) -> dict:
    await cut_off_one(world, "telegram", "sendmessage")
    [row] = await world.ledger.settled(within=240)
    assert row.state == PublicationState.uncertain
    ask = await world.editor.expect("Возможно, опубликовано", within=30)
    assert "https://t.me/tomsk_district_demo" in ask["text"]
    assert buttons(ask) == ["Да, вышло", "Опубликовать снова"]
    return ask


async def audit_actions(world: World, action: str) -> list[AuditLog]:
    from sqlmodel import select

    async with world.ledger.uow() as uow:
        query = select(AuditLog).where(AuditLog.action == action)
        return list((await uow.session.exec(query)).all())


async def test_sigkill_after_telegram_took_the_post_asks_and_yes_it_is_out(world: World) -> None:
    ask = await uncertain_telegram(world)
    world.editor.press(ask, "Да, вышло")
    await world.editor.edited(ask, "Отмечено")
    [row] = await world.ledger.publications()
    assert row.state == PublicationState.published
    assert len(await audit_actions(world, "publication.confirmed_out")) == 1
    world.desk.stop()
    assert world.channel_texts()["Открытие площадки"] == 1


async def test_sigkill_after_telegram_took_the_post_publish_again_sends_it_once_more(
    world: World,
) -> None:
    ask = await uncertain_telegram(world)
    world.editor.press(ask, "Опубликовать снова")
    await world.editor.edited(ask, "Публикую «")
    await world.stage.tg.wait_until(
        lambda: world.channel_texts()["Открытие площадки"] == 2, timeout=30
    )
    [row] = await world.ledger.settled(within=30)
    assert row.state == PublicationState.published
    assert len(await audit_actions(world, "publication.publish_again")) == 1
    world.desk.stop()
    assert world.channel_texts()["Открытие площадки"] == 2
