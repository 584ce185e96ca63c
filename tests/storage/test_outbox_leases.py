"""The outbox's lease paths on each engine: what a restarted instance releases at start, and where
a crash's row goes back in the queue. The outbox is the real one, without its workers."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import select

from bot.config import parse_config
from bot.domain import Network, PostState, PublicationState
from bot.media import MediaStore
from bot.ports import Card, CardRef, OutgoingPost, Published
from bot.publishing import Outbox
from storage.db import session_factory
from storage.models import Person, Post, Publication
from storage.uow import UnitOfWork
from tests.storage.test_storage import engine  # noqa: F401 - the fixture: SQLite, PostgreSQL

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def uows(engine):  # type: ignore[no-untyped-def]  # noqa: F811
    sessions = session_factory(engine)
    return lambda: UnitOfWork(sessions)


class Nobody:
    async def send(self, person: Person, card: Card) -> CardRef | None:
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        return None


class Wall:
    """A publisher with an idempotency key (VK's guid): a crash's row is simply sent again."""

    network = Network.vk
    idempotent = True
    idempotency_window = 3600.0

    async def publish(self, post: OutgoingPost) -> Published:
        raise AssertionError("not sent in these tests")


def outbox(uows, tmp_path: Path, instance: str) -> Outbox:  # type: ignore[no-untyped-def]
    config = parse_config({"publish": {"lease_seconds": 15.0}})
    publishers = {Network.vk: Wall()}
    return Outbox(uows, Nobody(), publishers, MediaStore(tmp_path), config, lambda: NOW, instance)


async def claimed(uows, instance: str, waiting: bool, lease_s: float = 15.0) -> int:  # type: ignore[no-untyped-def]
    """A post due a minute ago whose VK row `instance` holds under a lease."""
    due = NOW - timedelta(minutes=1)
    async with uows() as uow:
        post = await uow.posts.add(
            Post(
                text="Новость",
                state=PostState.publishing,
                scheduled_at=due,
                created_at=NOW,
                updated_at=NOW,
            )
        )
        row = Publication(
            post_id=post.id,
            network="vk",
            state=PublicationState.sending,
            due_at=due,
            claimed_by=instance,
            lease_until=NOW + timedelta(seconds=lease_s),
            attempts=1,
            waiting=waiting,
            first_sent_at=due,
            updated_at=NOW,
        )
        uow.session.add(row)
        await uow.commit()
        assert row.id is not None
        return row.id


async def rows(uows) -> dict[int, Publication]:  # type: ignore[no-untyped-def]
    async with uows() as uow:
        query = select(Publication).execution_options(populate_existing=True)
        return {r.id: r for r in (await uow.session.exec(query)).all() if r.id is not None}


def dead_pid() -> int:
    done = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    return int(done.stdout)


async def test_a_restarted_instance_releases_what_its_dead_predecessor_left_waiting(
    uows, tmp_path: Path
) -> None:
    gone = dead_pid()
    ours = os.getpid()
    released = [
        await claimed(uows, f"deskhost:{gone}:aaaaaa", waiting=True),
        # in a container the process has the same pid at each start
        await claimed(uows, f"deskhost:{ours}:bbbbbb", waiting=True),
    ]
    kept = [
        # a request of it may be out: only its lease running out settles it
        await claimed(uows, f"deskhost:{gone}:cccccc", waiting=False),
        await claimed(uows, f"deskhost:{os.getppid()}:dddddd", waiting=True),  # alive
        await claimed(uows, f"otherhost:{gone}:eeeeee", waiting=True),  # another host
    ]
    restarted = outbox(uows, tmp_path, f"deskhost:{ours}:ffffff")

    assert await restarted.release_predecessors() == 2

    now = await rows(uows)
    for row_id in released:
        row = now[row_id]
        assert row.state == PublicationState.scheduled and row.claimed_by is None
        assert row.due_at == NOW - timedelta(minutes=1)  # its place in the queue kept
    for row_id in kept:
        assert now[row_id].state == PublicationState.sending
    assert not await restarted.reconcile()  # their leases have not run out


async def test_a_crash_row_sent_again_by_its_key_keeps_its_place_in_the_queue(
    uows, tmp_path: Path
) -> None:
    row_id = await claimed(uows, "deskhost:1:aaaaaa", waiting=False, lease_s=-1)
    survivor = outbox(uows, tmp_path, "deskhost:2:bbbbbb")

    assert await survivor.reconcile() == 1

    row = (await rows(uows))[row_id]
    assert row.state == PublicationState.scheduled
    # due when it was due, so it goes before the posts due after it, not behind the backlog
    assert row.due_at == NOW - timedelta(minutes=1)
