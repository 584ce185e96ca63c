"""Comments under the Instagram business account's posts: read, hidden, deleted (Graph API).

From Meta's comment moderation guide (developers.facebook.com/docs/instagram-platform/
comment-moderation) and IG Comment reference: `GET /{ig-media-id}/comments` and
`GET /{ig-comment-id}/replies` read them (fields id, text, timestamp, username, from, hidden);
`POST /{ig-comment-id}` with `hide=true|false` hides or shows one; `DELETE /{ig-comment-id}`
deletes it; the token needs instagram_basic, instagram_manage_comments and
pages_read_engagement. Meta recommends webhooks for new comments; the bot reads them every few
minutes instead (`poll_minutes`), so no public webhook endpoint is needed.

Instagram has no banning through the API and no undelete; «Вернуть» after an automatic hide
shows the comment again. A comment's own link is the web form instagram.com/p/{code}/c/{id}/.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from typing import Any

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed
from networks.facebook_comments import when
from networks.graph import GraphClient, GraphError, moderation_error

FIELDS = "id,text,timestamp,username,from{id,username},hidden"
PAGE = 50
LINK_RE = re.compile(r"instagram\.com/(?:p|reel)/[\w-]+/c/(\d+)")
NET = "Instagram"


class InstagramComments:
    network = Network.instagram
    can_hide = True
    can_restore = False  # restore() only shows a hidden comment again

    def __init__(
        self,
        graph: GraphClient,
        user_id: str,
        poll_minutes: float = 5,
        poll_days: int = 7,
        max_posts: int = 1000,
    ) -> None:
        self._graph = graph
        self._user = user_id
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
        await self._call(self._graph.post(comment.external_id, {"hide": True}))

    async def restore(self, comment: IncomingComment) -> None:
        await self._call(self._graph.post(comment.external_id, {"hide": False}))

    async def ban(self, comment: IncomingComment) -> None:
        raise ModerationFailed("Instagram не даёт блокировать авторов через API")

    def parse_link(self, url: str) -> str | None:
        found = LINK_RE.search(url)
        return found[1] if found else None

    async def fetch(self, external_id: str) -> IncomingComment | None:
        try:
            item = await self._graph.get(external_id, fields=FIELDS + ",media{id,permalink}")
        except GraphError as exc:
            if exc.gone:
                return None
            raise moderation_error(exc, NET) from exc
        media = item.get("media") or {}
        return self._incoming(item, str(media.get("id", "")), media.get("permalink", ""))

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", ""  # names come with each comment (username)

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments and their replies under the account's posts since `since`, a batch a post."""
        posts = await self._pages(
            f"{self._user}/media", {"fields": "id,timestamp,permalink,comments_count"}
        )
        for post in posts[: self._max_posts]:
            if when(post["timestamp"]) < since:
                break  # newest first: the rest is older
            if not post.get("comments_count"):
                continue
            found: list[IncomingComment | None] = []
            for item in await self._pages(f"{post['id']}/comments", {"fields": FIELDS}):
                found.append(self._incoming(item, post["id"], post.get("permalink", "")))
                for reply in await self._pages(f"{item['id']}/replies", {"fields": FIELDS}):
                    found.append(self._incoming(reply, post["id"], post.get("permalink", "")))
            yield [c for c in found if c is not None]

    async def close(self) -> None:
        """The publisher closes the shared Graph client."""

    # ---- helpers ----------------------------------------------------------------------------
    def _incoming(
        self, item: dict[str, Any], media_id: str, permalink: str
    ) -> IncomingComment | None:
        author = item.get("from") or {}
        if str(author.get("id", "")) == self._user:
            return None  # the office's own replies are not moderated
        username = item.get("username") or author.get("username", "")
        author_id = int(author["id"]) if str(author.get("id", "")).isdigit() else 0
        return IncomingComment(
            network=Network.instagram,
            external_id=str(item["id"]),
            post_ref=media_id,
            author_id=author_id,
            text=item.get("text") or "",
            written_at=when(item["timestamp"]),
            author_name=f"@{username}" if username else "",
            author_url=f"https://www.instagram.com/{username}/" if username else "",
            url=f"{permalink.rstrip('/')}/c/{item['id']}/" if permalink else "",
            post_url=permalink,
        )

    async def _pages(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        items: list[dict[str, Any]] = []
        after = None
        while len(items) < self._max_posts * 10:
            query = {**params, "limit": PAGE, **({"after": after} if after else {})}
            answer = await self._call(self._graph.get(path, **query))
            items += answer.get("data") or []
            paging = answer.get("paging") or {}
            after = (paging.get("cursors") or {}).get("after")
            if not paging.get("next") or not after:
                break
        return items

    @staticmethod
    async def _call(request: Any) -> dict[str, Any]:
        try:
            return await request
        except GraphError as exc:
            raise moderation_error(exc, NET) from exc
