"""bot/moderation/polling.py: the last day's posts are read at every round, the older ones of
the window at the first round and every OLDER_EVERY-th after it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

from bot.domain import Network
from bot.moderation.polling import OLDER_EVERY, RECENT, CommentPoller
from bot.ports import IncomingComment

NOW = datetime(2026, 12, 2, 12, 0, tzinfo=UTC)


class Polled:
    network = Network.max
    poll_minutes = 1.0
    poll_window = timedelta(days=14)

    def __init__(self) -> None:
        self.since: list[datetime] = []

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        self.since.append(since)
        yield []


async def test_older_posts_are_read_every_tenth_round_and_the_last_days_at_each() -> None:
    async def ingest(batch: object) -> list:
        return []

    async def tell(text: str) -> None:
        raise AssertionError(text)

    poller = CommentPoller(ingest, tell, lambda: NOW)
    moderator = Polled()
    for _ in range(2 * OLDER_EVERY + 1):
        await poller.poll(moderator)  # type: ignore[arg-type]
    full = [i for i, since in enumerate(moderator.since) if since == NOW - timedelta(days=14)]
    assert full == [0, OLDER_EVERY, 2 * OLDER_EVERY]
    assert all(since == NOW - RECENT for i, since in enumerate(moderator.since) if i not in full)
