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
from datetime import datetime
from typing import Any

from bot.domain import Network
from bot.ports import IncomingComment
from networks.graph_comments import GraphComments, when

FIELDS = "id,message,from{id,name},created_time,permalink_url,is_hidden,parent{id}"
LINK_RE = re.compile(r"facebook\.com/\S*?(\d+)(?:_|/posts/)(\d+)\S*?[?&]comment_id=(\d+)")


class FacebookComments(GraphComments):
    network = Network.facebook
    net = "Facebook"
    hidden_flag = "is_hidden"
    ban_refusal = "блокировать авторов на Facebook бот не умеет — удалите комментарий"
    page_size = 100

    def parse_link(self, url: str) -> str | None:
        found = LINK_RE.search(url)
        if found is None or found[1] != self._owner:
            return None
        return f"{found[2]}_{found[3]}"

    async def fetch(self, external_id: str) -> IncomingComment | None:
        item = await self._get_or_none(external_id, FIELDS + ",object{id}")
        if item is None:
            return None
        post = (item.get("object") or {}).get("id") or external_id.split("_", 1)[0]
        if "_" not in post:
            post = f"{self._owner}_{post}"
        return self._incoming(item, post, "")

    async def author(self, author_id: int) -> tuple[str, str]:
        return "", f"https://www.facebook.com/{author_id}"

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments under the Page's posts since `since`, a batch per post."""
        posts = await self._pages(
            f"{self._owner}/feed",
            {"fields": "id,created_time,permalink_url", "since": int(since.timestamp())},
            self._max_posts,
        )
        for post in posts[: self._max_posts]:
            items = await self._pages(
                f"{post['id']}/comments", {"fields": FIELDS, "filter": "stream"}, 10**6
            )
            found = [self._incoming(i, post["id"], post.get("permalink_url", "")) for i in items]
            yield [c for c in found if c is not None]

    # ---- helpers ----------------------------------------------------------------------------
    def _incoming(
        self, item: dict[str, Any], post_id: str, post_url: str
    ) -> IncomingComment | None:
        author = item.get("from") or {}
        if self._own(author):
            return None  # the office's own replies are not moderated
        author_id = self._author_id(author)
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
