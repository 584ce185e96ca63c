"""Posts go first (bot/publishing_workers.py `posts_out`): a read that can wait (comments read
by polling) waits while the same network's posts are due or going out, on each engine. The
outbox is the real one, without its workers."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update

from bot.app_replies import read_messages
from bot.config import parse_config
from bot.domain import Network, PostState, PublicationState
from bot.media import MediaStore
from bot.moderation.polling import CommentPoller
from bot.ports import IncomingComment
from bot.publishing import Outbox
from storage.models import Post, Publication
from tests.storage.test_outbox_leases import Nobody, Wall, uows  # noqa: F401 - the fixture
from tests.storage.test_storage import engine  # noqa: F401 - the fixture: SQLite, PostgreSQL

NOW = datetime.now(UTC).replace(microsecond=0)


def outbox(uows, tmp_path: Path, wait_s: float = 600.0) -> Outbox:  # type: ignore[no-untyped-def]  # noqa: F811
    config = parse_config({"publish": {"reads_wait_seconds": wait_s, "poll_seconds": 0.05}})
    publishers = {Network.vk: Wall()}
    return Outbox(uows, Nobody(), publishers, MediaStore(tmp_path), config, lambda: NOW, "me")


async def due_post(uows, network: str, due: datetime) -> int:  # type: ignore[no-untyped-def]  # noqa: F811
    async with uows() as uow:
        post = await uow.posts.add(
            Post(
                text="Новость",
                state=PostState.scheduled,
                scheduled_at=due,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        row = Publication(
            post_id=post.id,
            network=network,
            state=PublicationState.scheduled,
            due_at=due,
            updated_at=NOW,
        )
        uow.session.add(row)
        await uow.commit()
        assert row.id is not None
        return row.id


async def settle(uows, row_id: int) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    async with uows() as uow:
        await uow.session.exec(
            update(Publication)
            .where(Publication.id == row_id)  # type: ignore[arg-type]
            .values(state=PublicationState.published)
        )
        await uow.commit()


class Comments:
    """A moderator read by polling; says when its comments were read."""

    network = Network.vk

    def __init__(self) -> None:
        self.read = asyncio.Event()

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        self.read.set()
        yield []


async def test_a_comment_read_waits_for_the_networks_due_posts(uows, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    box = outbox(uows, tmp_path)
    row = await due_post(uows, "vk", NOW - timedelta(seconds=1))
    await due_post(uows, "max", NOW - timedelta(seconds=1))  # another network's: no matter
    await due_post(uows, "vk", NOW + timedelta(hours=1))  # not due yet: no matter
    moderator = Comments()

    async def ingest(batch: object) -> list:
        return []

    async def tell(text: str) -> None:
        raise AssertionError(text)

    poller = CommentPoller(ingest, tell, lambda: NOW, box.posts_out)
    polling = asyncio.create_task(poller.poll(moderator))  # type: ignore[arg-type]
    try:
        # Still waiting while the post is due: the read has not started.
        done, _ = await asyncio.wait({polling}, timeout=0.3)
        assert not done and not moderator.read.is_set()
        await settle(uows, row)
        await asyncio.wait_for(polling, 10)
    finally:
        polling.cancel()
    assert moderator.read.is_set()


async def test_a_read_waits_no_longer_than_the_setting(uows, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    box = outbox(uows, tmp_path, wait_s=0.2)
    await due_post(uows, "vk", NOW - timedelta(seconds=1))  # a backlog that does not end
    loop = asyncio.get_running_loop()
    started = loop.time()
    await asyncio.wait_for(box.posts_out(Network.vk), 10)
    assert 0.15 <= loop.time() - started < 5


async def test_with_no_post_due_a_read_goes_at_once(uows, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]  # noqa: F811
    box = outbox(uows, tmp_path)
    await due_post(uows, "vk", NOW + timedelta(minutes=5))
    await asyncio.wait_for(box.posts_out(Network.vk), 2)


class Dialogs:
    """A network read by polling for citizens' messages (MAX); says when it was read."""

    network = Network.max

    def __init__(self) -> None:
        self.read = asyncio.Event()

    async def poll(self) -> list:
        self.read.set()
        return []

    async def advance(self) -> None:
        return None


async def test_citizens_messages_read_by_polling_wait_for_the_networks_due_posts(  # type: ignore[no-untyped-def]
    uows,  # noqa: F811
    tmp_path: Path,
) -> None:
    box = outbox(uows, tmp_path)
    row = await due_post(uows, "max", NOW - timedelta(seconds=1))
    dialogs = Dialogs()
    reading = asyncio.create_task(read_messages(None, dialogs, box.posts_out))  # type: ignore[arg-type]
    try:
        done, _ = await asyncio.wait({reading}, timeout=0.3)
        assert not done and not dialogs.read.is_set()
        await settle(uows, row)
        assert await asyncio.wait_for(reading, 10) == 0
    finally:
        reading.cancel()
    assert dialogs.read.is_set()
