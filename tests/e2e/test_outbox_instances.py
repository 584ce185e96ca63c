"""Two desk instances share one database: 200 posts due at once, each published exactly once on
the channel and on the wall. Each instance has its own engine (its own connections), so their
claims meet in the database; the publishers are the real aiogram and vkbottle clients against
the emulators. PostgreSQL when PRESSDESK_TEST_PG_URL is set (CI has it), SQLite always."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

from aiogram import Bot
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer

from bot.config import parse_config
from bot.domain import Network, PublicationState
from bot.media import MediaStore
from bot.ports import Card, CardRef
from bot.publishing import Outbox
from networks.telegram_channel import TelegramChannel
from networks.vk_api import RateLimitedAPI
from networks.vk_wall import VKWall
from sandbox.processes import Ledger
from sandbox.stage import BOT_TOKEN, CHANNEL_ID, CHANNEL_USERNAME, VK_GROUP_ID, Stage
from storage.db import create_engine, session_factory
from storage.models import Person
from storage.uow import UnitOfWork

POSTS = 200


class Told:
    """The people's side: what each instance told (the outcome, not the chat, is under test)."""

    def __init__(self) -> None:
        self.cards: list[str] = []

    async def send(self, person: Person, card: Card) -> CardRef | None:
        self.cards.append(card.text)
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        return None


async def test_two_instances_publish_200_posts_due_at_once_exactly_once(tmp_path: Path) -> None:
    stage = Stage(tmp_path)
    await stage.start_emulators()
    url = stage.config().database.url  # PostgreSQL's own database when the engine is it
    stage.vk.user_rps = 1000  # the rate limits are the bench's subject, not this test's
    ledger = Ledger(url)
    await ledger.prepare()
    now = datetime.now(UTC)
    titles = [f"Новость № {n}" for n in range(POSTS)]
    await ledger.schedule(titles, [now] * POSTS, ["telegram", "vk"], now)
    config = parse_config(
        # Leases and timeouts generous: a loaded machine must not turn a slow answer into an
        # uncertain one here (that path is test_crash_publishing's subject, not this test's).
        {"publish": {"lease_seconds": 60.0, "poll_seconds": 0.2, "retry_delay_seconds": 0.1}}
    )
    instances, closing = [], []
    for name in ("first", "second"):
        engine = create_engine(url)
        sessions = session_factory(engine)
        bot = Bot(
            BOT_TOKEN,
            session=AiohttpSession(api=TelegramAPIServer.from_base(stage.tg.base_url)),
        )
        vk = RateLimitedAPI(stage.vk_user_token, stage.vk.base_url + "/method/", 500)
        publishers = {
            Network.telegram: TelegramChannel(bot, CHANNEL_ID, CHANNEL_USERNAME, 60.0),
            Network.vk: VKWall(vk, VK_GROUP_ID, 60.0),
        }
        told = Told()
        outbox = Outbox(
            lambda sessions=sessions: UnitOfWork(sessions),
            told,
            publishers,
            MediaStore(tmp_path / "media"),
            config,
            lambda: datetime.now(UTC),
            instance=name,
        )
        instances.append((outbox, told))
        closing.append((engine, bot, vk))
    try:
        for outbox, _ in instances:
            await outbox.start()
        rows = await ledger.settled(within=120)
    finally:
        for outbox, _ in instances:
            await outbox.stop()
        for engine, bot, vk in closing:
            await bot.session.close()
            await vk.http_client.close()
            await engine.dispose()
        await ledger.close()
        await stage.stop()

    assert Counter(r.state for r in rows) == {PublicationState.published: 2 * POSTS}
    channel = Counter(m["text"].split("\n")[0] for m in stage.tg.chat_messages(CHANNEL_ID))
    wall = Counter(p["text"].split("\n")[0] for p in stage.vk.wall_posts(-VK_GROUP_ID))
    assert channel == dict.fromkeys(titles, 1)
    assert wall == dict.fromkeys(titles, 1)
    landed = [len(told.cards) for _, told in instances]
    assert sum(landed) == 2 * POSTS * 1  # one «Опубликовано» per network, told once
    assert all(n > 0 for n in landed), f"both instances took a share: {landed}"
