"""Comments under the Facebook Page's posts: read, hidden, deleted (Graph API).

From Meta's documentation: `GET /{post-id}/comments` with `filter=stream` lists every comment,
replies included, in order (developers.facebook.com/docs/graph-api/reference/object/comments);
`POST /{comment-id}` with `is_hidden=true|false` hides or shows a comment on a Page post — hidden
comments stay visible to their author and friends (Graph API v2.2 changelog,
developers.facebook.com/docs/graph-api/changelog/version2.2); `DELETE /{comment-id}` deletes it.
The Page token needs pages_read_engagement and pages_manage_engagement. Graph pushes new comments
only by webhooks (a public HTTPS endpoint and app review); the bot reads them instead every few
minutes (`poll_minutes`), through the same moderation loop as VK and Telegram.

Not built: banning the author (the Page `blocked` edge exists but is not confirmed here), so
«Удалить и заблокировать» does not appear for Facebook. A deleted comment cannot be brought
back; «Вернуть» after an automatic hide shows it again.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed
from networks.graph import GraphClient, GraphError, moderation_error

FIELDS = "id,message,from{id,name},created_time,permalink_url,is_hidden,parent{id}"
PAGE = 100
LINK_RE = re.compile(r"facebook\.com/\S*?(\d+)(?:_|/posts/)(\d+)\S*?[?&]comment_id=(\d+)")
NET = "Facebook"


def when(stamp: str) -> datetime:
    return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S%z")


class FacebookComments:
    network = Network.facebook
    can_hide = True
    can_restore = False  # a deleted comment is gone; restore() only shows a hidden one again

    def __init__(
        self,
        graph: GraphClient,
        page_id: str,
        poll_minutes: float = 5,
        poll_days: int = 7,
        max_posts: int = 1000,
    ) -> None:
        self._graph = graph
        self._page = page_id
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
        await self._call(self._graph.post(comment.external_id, {"is_hidden": True}))

    async def restore(self, comment: IncomingComment) -> None:
        await self._call(self._graph.post(comment.external_id, {"is_hidden": False}))

    async def ban(self, comment: IncomingComment) -> None:
        raise ModerationFailed("блокировать авторов на Facebook бот не умеет — удалите комментарий")

    def parse_link(self, url: str) -> str | None:
        found = LINK_RE.search(url)
        if found is None or found[1] != self._page:
            return None
        return f"{found[2]}_{found[3]}"

    async def fetch(self, external_id: str) -> IncomingComment | None:
        try:
            item = await self._graph.get(external_id, fields=FIELDS + ",object{id}")
        except GraphError as exc:
            if exc.gone:
                return None
            raise moderation_error(exc, NET) from exc
        post = (item.get("object") or {}).get("id") or external_id.split("_", 1)[0]
        if "_" not in post:
            post = f"{self._page}_{post}"
        return self._incoming(item, post, "")

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", f"https://www.facebook.com/{author_id}"

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments under the Page's posts since `since`, a batch per post."""
        posts = await self._pages(
            f"{self._page}/feed",
            {"fields": "id,created_time,permalink_url", "since": int(since.timestamp())},
            self._max_posts,
        )
        for post in posts:
            items = await self._pages(
                f"{post['id']}/comments", {"fields": FIELDS, "filter": "stream"}, 10**6
            )
            found = [self._incoming(i, post["id"], post.get("permalink_url", "")) for i in items]
            yield [c for c in found if c is not None]

    async def close(self) -> None:
        """The publisher closes the shared Graph client."""

    # ---- helpers ----------------------------------------------------------------------------
    def _incoming(
        self, item: dict[str, Any], post_id: str, post_url: str
    ) -> IncomingComment | None:
        author = item.get("from") or {}
        if str(author.get("id", "")) == self._page:
            return None  # the office's own replies are not moderated
        author_id = int(author["id"]) if str(author.get("id", "")).isdigit() else 0
        return IncomingComment(
            network=Network.facebook,
            external_id=str(item["id"]),
            post_ref=post_id,
            author_id=author_id,
            text=item.get("message") or "",
            written_at=when(item["created_time"]),
            author_name=author.get("name", ""),
            author_url=f"https://www.facebook.com/{author_id}" if author_id else "",
            url=item.get("permalink_url", ""),
            post_url=post_url or f"https://www.facebook.com/{post_id}",
        )

    async def _pages(self, path: str, params: dict[str, Any], most: int) -> list[dict[str, Any]]:
        """Every item of a Graph list, following its `after` cursors."""
        items: list[dict[str, Any]] = []
        after = None
        while len(items) < most:
            query = {**params, "limit": PAGE, **({"after": after} if after else {})}
            answer = await self._call(self._graph.get(path, **query))
            items += answer.get("data") or []
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
        return items[:most]

    @staticmethod
    async def _call(request: Any) -> dict[str, Any]:
        try:
            return await request
        except GraphError as exc:
            raise moderation_error(exc, NET) from exc
