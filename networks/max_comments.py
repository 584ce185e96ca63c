"""Comments under the office's posts in its MAX channel, read by polling, and deleting them.

maxapi's get_comments (GET /messages/{mid}/comments, paged by `after` in milliseconds, up to
100 at a time) and delete_comment (DELETE …?comment_id=). MAX gives a bot no hiding and no
ban in a channel's comments, so those are not offered (see networks/max.py for the sources).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from maxapi import Bot
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed
from networks.ratelimit import Pace

if TYPE_CHECKING:
    from networks.registry import PublishedRefs

log = logging.getLogger(__name__)

PAGE = 100


def error_code(exc: MaxApiError) -> str:
    return str(exc.raw.get("code", "")) if isinstance(exc.raw, dict) else ""


def max_retry_after(exc: BaseException) -> float | None:
    """MAX's 429 carries no wait of its own. The bot's window of a second frees a turn within
    one of its turns (1/30 s): another instance on the token (no [redis] url) filled it; a
    whole second left ~30 turns unused on each refusal."""
    return 1 / 30 if isinstance(exc, MaxApiError) and exc.code == 429 else None


class MaxComments:
    network = Network.max
    can_hide = False
    can_restore = False

    def __init__(
        self,
        bot: Bot,
        pace: Pace,
        published: PublishedRefs,
        poll_seconds: float = 60,
        poll_window: timedelta = timedelta(days=14),
        timeout: float = 20,
    ) -> None:
        self._bot = bot
        self._pace = pace
        self._published = published
        self.poll_minutes = poll_seconds / 60  # read by bot/moderation/polling.py
        self.poll_window = poll_window
        self._timeout = timeout

    def can_ban(self, comment: IncomingComment) -> bool:
        return False

    def deletable_until(self, written_at: datetime) -> datetime | None:
        return None

    async def delete(self, comment: IncomingComment) -> None:
        post, _, comment_id = comment.external_id.partition("/")
        await self._call(lambda: self._bot.delete_comment(message_id=post, comment_id=comment_id))

    async def ban(self, comment: IncomingComment) -> None:
        raise ModerationFailed("в MAX бот не может заблокировать автора комментария")

    async def hide(self, comment: IncomingComment) -> None:
        raise ModerationFailed("MAX не умеет скрывать комментарии, только удалять")

    async def restore(self, comment: IncomingComment) -> None:
        raise ModerationFailed("MAX не возвращает удалённые комментарии")

    def parse_link(self, url: str) -> str | None:
        return None  # a MAX link names the post, not a comment under it

    async def fetch(self, external_id: str) -> IncomingComment | None:
        return None

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", ""  # the name comes with each comment

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments under our posts published since `since` (the poller and the catch-up)."""
        async for batch in self.comments_under(await self._published(Network.max, since)):
            yield batch

    async def comments_under(self, post_refs: list[str]) -> AsyncIterator[list[IncomingComment]]:
        for mid in post_refs:
            after = 0
            while True:
                try:
                    page = await self._call(
                        lambda mid=mid, after=after: self._bot.get_comments(
                            message_id=mid, after=after or None, count=PAGE
                        )
                    )
                except ModerationFailed as exc:
                    if exc.gone:
                        break  # the post was deleted from the channel
                    raise
                found = [self._incoming(mid, c) for c in page.messages]
                yield [c for c in found if c is not None]
                if len(page.messages) < PAGE:
                    break
                after = max(c.timestamp for c in page.messages) + 1

    def _incoming(self, mid: str, item: Any) -> IncomingComment | None:
        sender = item.sender
        if sender is None or sender.is_bot:
            return None  # the channel's own replies are not moderated
        name = f"{sender.first_name} {sender.last_name or ''}".strip()
        return IncomingComment(
            network=Network.max,
            external_id=f"{mid}/{item.body.mid}",
            post_ref=mid,
            author_id=sender.user_id,
            text=item.body.text or "",
            written_at=datetime.fromtimestamp(item.timestamp / 1000, UTC),
            author_name=name,
            author_url=f"https://max.ru/u/{sender.username}" if sender.username else "",
        )

    async def _call(self, request: Callable[[], Awaitable[Any]]) -> Any:
        try:
            async with asyncio.timeout(self._timeout * 3):
                return await self._pace.call(request, retry_after=max_retry_after)
        except InvalidToken as exc:
            raise ModerationFailed("ключ бота MAX не действует", detail=repr(exc)) from exc
        except MaxApiError as exc:
            if exc.code == 404:
                raise ModerationFailed("комментария уже нет", gone=True, detail=repr(exc)) from exc
            if exc.code == 403:
                raise ModerationFailed(
                    "бот не администратор канала в MAX", detail=repr(exc)
                ) from exc
            message = f"MAX ответил ошибкой: {error_code(exc) or exc.code}"
            raise ModerationFailed(message, detail=repr(exc)) from exc
        except (MaxConnection, TimeoutError) as exc:
            raise ModerationFailed("MAX не ответил вовремя", detail=repr(exc)) from exc

    async def close(self) -> None:
        """The channel publisher closes the shared session."""
