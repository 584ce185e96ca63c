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
from datetime import datetime
from typing import Any

from bot.domain import Network
from bot.ports import IncomingComment
from networks.graph_comments import GraphComments, when

FIELDS = "id,text,timestamp,username,from{id,username},hidden"
LINK_RE = re.compile(r"instagram\.com/(?:p|reel)/[\w-]+/c/(\d+)")


class InstagramComments(GraphComments):
    network = Network.instagram
    net = "Instagram"
    hidden_flag = "hide"
    ban_refusal = "Instagram не даёт блокировать авторов через API"
    page_size = 50

    def parse_link(self, url: str) -> str | None:
        found = LINK_RE.search(url)
        return found[1] if found else None

    async def fetch(self, external_id: str) -> IncomingComment | None:
        item = await self._get_or_none(external_id, FIELDS + ",media{id,permalink}")
        if item is None:
            return None
        media = item.get("media") or {}
        return self._incoming(item, str(media.get("id", "")), media.get("permalink", ""))

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", ""  # names come with each comment (username)

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments and their replies under the account's posts since `since`, a batch a post."""
        posts = await self._list(
            f"{self._owner}/media", {"fields": "id,timestamp,permalink,comments_count"}
        )
        for post in posts[: self._max_posts]:
            if when(post["timestamp"]) < since:
                break  # newest first: the rest is older
            if not post.get("comments_count"):
                continue
            found: list[IncomingComment | None] = []
            for item in await self._list(f"{post['id']}/comments", {"fields": FIELDS}):
                found.append(self._incoming(item, post["id"], post.get("permalink", "")))
                for reply in await self._list(f"{item['id']}/replies", {"fields": FIELDS}):
                    found.append(self._incoming(reply, post["id"], post.get("permalink", "")))
            yield [c for c in found if c is not None]

    # ---- helpers ----------------------------------------------------------------------------
    def _incoming(
        self, item: dict[str, Any], media_id: str, permalink: str
    ) -> IncomingComment | None:
        author = item.get("from") or {}
        if self._own(author):
            return None  # the office's own replies are not moderated
        username = item.get("username") or author.get("username", "")
        author_id = self._author_id(author)
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

    async def _list(self, path: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        return await self._pages(path, params, self._max_posts * 10)
