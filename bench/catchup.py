"""Catch-up benchmark: 100,000 comments on 1,000 VK posts, found by the real catch-up.

Runs the VK emulator (VK's 3 requests a second for a user token, 25 calls per execute) and
the production path: VKComments.history() feeding Moderation.catch_up() into SQLite.
The LAST line is one JSON object (comments, found, duplicates, requests, comments per request,
and the reference's requests beside them).
"""

from __future__ import annotations

import asyncio
import json
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

from bot.config import parse_config
from bot.domain import Network
from bot.moderation.service import Moderation
from bot.ports import Card, CardRef, IncomingComment
from emulators.vk import VKEmulator
from networks.vk_api import USER_RPS, RateLimitedAPI
from networks.vk_comments import VKComments
from storage.db import create_engine, migrate, session_factory
from storage.models import Comment, Person
from storage.uow import UnitOfWork

GROUP = 100001
ADMIN = 900001
POSTS = 1000
PER_POST = 100  # 70 top-level comments and a thread of 30 replies under the first one
REPLIES = 30
TEXTS = [
    "Спасибо за информацию!",
    "Когда починят дорогу на Ленина?",
    "Позор, опять ничего не сделали",
    "А во сколько начало?",
    "Отличная новость для района",
    "Где можно записаться?",
]


class Silent:
    """No chat in the benchmark: cards for flagged comments go nowhere."""

    async def send(self, person: Person, card: Card) -> CardRef | None:
        return None

    async def edit(self, ref: CardRef, card: Card) -> None:
        return None


class Counting:
    """Wraps the adapter to count what the catch-up saw, duplicates included."""

    def __init__(self, inner: VKComments) -> None:
        self.inner = inner
        self.seen: list[str] = []
        self.network = inner.network
        self.can_hide, self.can_restore = inner.can_hide, inner.can_restore

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        async for batch in self.inner.history(since):
            self.seen += [c.external_id for c in batch]
            yield batch


async def fill(emu: VKEmulator) -> int:
    state = emu.state
    token = state.tokens[emu.issue_user_token(ADMIN, admin_of=[GROUP])]
    total = 0
    for n in range(POSTS):
        params = {
            "owner_id": str(-GROUP),
            "from_group": "1",
            "message": f"Новость {n}",
            "v": "5.199",
        }
        post_id = (await emu.dispatcher.invoke("wall.post", params, token))["post_id"]
        first = emu.post_comment(-GROUP, post_id, 10_000 + n, TEXTS[n % len(TEXTS)], emit=False)
        for k in range(1, PER_POST - REPLIES):
            emu.post_comment(-GROUP, post_id, 20_000 + k, TEXTS[(n + k) % len(TEXTS)], emit=False)
        for k in range(REPLIES):
            emu.post_comment(-GROUP, post_id, 30_000 + k, f"Ответ {k}", first["id"], emit=False)
        total += PER_POST
    return total


async def run() -> dict[str, float | int]:
    emu = VKEmulator()
    await emu.start()
    emu.add_group(GROUP, "Администрация Томского района", "tomsk_district_demo")
    emu.add_user(ADMIN, "Анна", "Петрова")
    comments = await fill(emu)
    user_token = emu.issue_user_token(ADMIN, admin_of=[GROUP])
    refused = 0
    rate_limit = emu.dispatcher.rate_limit

    def spy(raw: str, token: object) -> None:
        nonlocal refused
        try:
            rate_limit(raw, token)  # type: ignore[arg-type]
        except Exception:
            refused += 1
            raise

    emu.dispatcher.rate_limit = spy  # type: ignore[method-assign]
    with tempfile.TemporaryDirectory() as tmp:
        config = parse_config(
            {
                "database": {"url": f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"},
                "vk": {"group_id": GROUP},
            }
        )
        engine = create_engine(config.database.url)
        await migrate(engine)
        sessions = session_factory(engine)
        api = RateLimitedAPI(user_token, emu.base_url + "/method/", USER_RPS)
        group_api = RateLimitedAPI(emu.issue_group_token(GROUP), emu.base_url + "/method/", 20)
        vk = Counting(VKComments(api, group_api, GROUP, timeout=60, max_posts=POSTS))
        moderation = Moderation(
            lambda: UnitOfWork(sessions),
            Silent(),
            None,
            {Network.vk: vk},
            config,  # type: ignore[dict-item]
            lambda: datetime.now(UTC),
        )
        before, inner_before = len(emu.requests), len(emu.inner_requests)
        started = time.perf_counter()
        new = await moderation.catch_up()
        seconds = time.perf_counter() - started
        requests = len(emu.requests) - before  # every API request, whatever the token
        # The reference: the same pages fetched one wall.getComments call per request.
        batched = sum(1 for method, _ in emu.requests[before:] if method == "execute")
        unbatched = requests - batched + (len(emu.inner_requests) - inner_before)
        async with UnitOfWork(sessions) as uow:
            stored = await uow.comments.count()
            from sqlmodel import func, select

            distinct = (
                await uow.session.exec(select(func.count(func.distinct(Comment.external_id))))
            ).one()
        await api.http_client.close()
        await group_api.http_client.close()
        await engine.dispose()
    await emu.stop()
    found = len(set(vk.seen))
    print(f"comments on the wall: {comments}", file=sys.stderr)
    seen = len(vk.seen)
    print(
        f"found by the catch-up: {found} ({seen} seen), new: {new}, rows: {stored}", file=sys.stderr
    )
    user_calls = vk.inner.requests
    print(
        f"requests: {requests} ({user_calls} with the user token), error 6: {refused}",
        file=sys.stderr,
    )
    print(f"time: {seconds:.1f} s", file=sys.stderr)
    print(
        f"reference, one call per request: {unbatched} requests "
        f"({found / max(unbatched, 1):.1f} comments per request, "
        f"about {unbatched / 3:.0f} s at VK's 3 requests a second)",
        file=sys.stderr,
    )
    return {
        "comments": comments,
        "found": found,
        "duplicates": (len(vk.seen) - found) + (stored - distinct),
        "stored": stored,
        "requests": requests,
        "comments_per_request": round(found / max(requests, 1), 1),
        "rate_limit_errors": refused,
        "reference_requests": unbatched,
        "requests_ratio": round(requests / max(unbatched, 1), 4),
        "seconds": round(seconds, 1),
    }


def main() -> None:
    print(json.dumps(asyncio.run(run())))


if __name__ == "__main__":
    main()
