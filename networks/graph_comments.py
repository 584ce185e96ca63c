"""What the Facebook Page's and the Instagram account's comment moderation share (Graph API).

Both read comments every few minutes (`poll_minutes`) instead of webhooks, hide and show a
comment with `POST /{comment-id}` (the flag's name differs), delete it with
`DELETE /{comment-id}`, follow a list's `after` cursors, and neither bans nor undeletes
through the API. What differs — fields, links, how posts are listed — stays in
networks/facebook_comments.py and networks/instagram_comments.py.
"""

from __future__ import annotations

from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any, ClassVar

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed
from networks.graph import GraphClient, GraphError, moderation_error


def when(stamp: str) -> datetime:
    """A Graph timestamp (`2026-12-01T10:00:00+0000`) as an aware datetime."""
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")


class GraphComments:
    """The common part of a Graph comment moderator; subclasses name the network's details."""

    network: Network
    net: ClassVar[str]  # the network's name in error messages
    hidden_flag: ClassVar[str]  # the POST /{comment-id} field that hides (true) or shows it
    ban_refusal: ClassVar[str]  # why ban() refuses, in Russian
    page_size: ClassVar[int]
    can_hide = True
    can_restore = False  # a deleted comment is gone; restore() only shows a hidden one again

    def __init__(
        self,
        graph: GraphClient,
        owner_id: str,
        poll_minutes: float = 5,
        poll_days: int = 7,
        max_posts: int = 1000,
    ) -> None:
        self._graph = graph
        self._owner = owner_id  # the Page or the account: its own replies are not moderated
        self.poll_minutes = poll_minutes
        self.poll_window = timedelta(days=poll_days)
        self._max_posts = max_posts

    def can_ban(self, comment: IncomingComment) -> bool:
        return False

    def deletable_until(self, written_at: datetime) -> datetime | None:
        return None

    async def delete(self, comment: IncomingComment) -> None:
        await self._call(self._graph.delete(comment.external_id))

    async def hide(self, comment: IncomingComment) -> None:
        await self._call(self._graph.post(comment.external_id, {self.hidden_flag: True}))

    async def restore(self, comment: IncomingComment) -> None:
        await self._call(self._graph.post(comment.external_id, {self.hidden_flag: False}))

    async def ban(self, comment: IncomingComment) -> None:
        raise ModerationFailed(self.ban_refusal)

    async def close(self) -> None:
        """The publisher closes the shared Graph client."""

    # ---- helpers ----------------------------------------------------------------------------
    def _own(self, author: dict[str, Any]) -> bool:
        return str(author.get("id", "")) == self._owner

    @staticmethod
    def _author_id(author: dict[str, Any]) -> int:
        return int(author["id"]) if str(author.get("id", "")).isdigit() else 0

    async def _get_or_none(self, external_id: str, fields: str) -> dict[str, Any] | None:
        """One comment, or None when Graph says it no longer exists."""
        try:
            return await self._graph.get(external_id, fields=fields)
        except GraphError as exc:
            if exc.gone:
                return None
            raise moderation_error(exc, self.net) from exc

    async def _pages(self, path: str, params: dict[str, Any], most: int) -> list[dict[str, Any]]:
        """The items of a Graph list, following its `after` cursors until `most` are read."""
        items: list[dict[str, Any]] = []
        after = None
        while len(items) < most:
            query = {**params, "limit": self.page_size, **({"after": after} if after else {})}
            answer = await self._call(self._graph.get(path, **query))
            items += answer.get("data") or []
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
        return items

    async def _call(self, request: Awaitable[dict[str, Any]]) -> dict[str, Any]:
        try:
            return await request
        except GraphError as exc:
            raise moderation_error(exc, self.net) from exc
