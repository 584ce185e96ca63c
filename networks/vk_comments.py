"""Comments on the VK community wall: long poll events in, moderation actions and catch-up out.

wall.deleteComment, wall.restoreComment, groups.ban and wall.getComments take the community
admin's USER token (a community token gets error 27), limited to 3 requests a second: the API
object given here is the one the wall publisher uses (networks.vk_api.RateLimitedAPI), so both
share one pace, and the catch-up packs 25 getComments calls into one `execute`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections import deque
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import aiohttp
from vkbottle import API, VKAPIError

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed

log = logging.getLogger(__name__)

EXECUTE_CALLS = 25  # VK runs at most 25 API calls in one execute
PAGE = 100  # wall.getComments and wall.get give at most 100 items per call
THREAD_ITEMS = 10  # replies VK attaches to each top-level comment (its maximum)
LINK_RE = re.compile(
    r"vk\.com/wall(-?\d+)_(\d+)(?:_r(\d+)|\?(?:[^#\s]*&)?reply=(\d+))", re.IGNORECASE
)
GONE = {100}  # "one of the parameters specified was missing or invalid": no such comment
TOO_MANY = 6
REFUSALS = {
    5: "ключ администратора сообщества больше не действует — обновите его",
    15: "у ключа администратора нет права управлять сообществом",
    27: "для этого нужен ключ администратора сообщества, а настроен ключ сообщества",
    211: "у ключа нет права удалять комментарии на этой стене",
}


def _when(stamp: int) -> datetime:
    return datetime.fromtimestamp(stamp, UTC)


class VKComments:
    network = Network.vk
    can_hide = False  # VK has no hiding of wall comments, only deleting and restoring
    can_restore = True

    def __init__(
        self,
        user_api: API,
        group_api: API,
        group_id: int,
        timeout: float = 20,
        max_posts: int = 1000,
    ) -> None:
        self._api = user_api
        self._group_api = group_api
        self._group_id = group_id
        self._owner = -group_id
        self._timeout = timeout
        self._max_posts = max_posts
        self._domain = ""
        self.requests = 0  # user-token requests made (the benchmark reads it)

    # ---- incoming ---------------------------------------------------------------------------
    def from_event(self, obj: dict[str, Any]) -> IncomingComment | None:
        """A wall_reply_new / wall_reply_edit object, or None if it is not for moderation."""
        owner = obj.get("post_owner_id", obj.get("owner_id"))
        if owner != self._owner:
            return None
        return self._incoming(obj, obj["post_id"], {})

    def external_id(self, comment_id: int) -> str:
        return f"{self._owner}_{comment_id}"

    def _incoming(
        self, item: dict[str, Any], post_id: int, names: dict[int, tuple[str, str]]
    ) -> IncomingComment | None:
        author = item.get("from_id", 0)
        if author == self._owner or item.get("deleted"):
            return None  # the office's own replies are not moderated
        post_url = f"https://vk.com/wall{self._owner}_{post_id}"
        url = f"{post_url}?reply={item['id']}"
        if item.get("parents_stack"):
            url += f"&thread={item['parents_stack'][0]}"
        name, author_url = names.get(author, ("", ""))
        return IncomingComment(
            network=Network.vk,
            external_id=self.external_id(item["id"]),
            post_ref=str(post_id),
            author_id=author,
            text=item.get("text") or "",
            written_at=_when(item.get("date") or 0),
            author_name=name,
            author_url=author_url or self._profile(author),
            url=url,
            post_url=post_url,
        )

    @staticmethod
    def _profile(author: int) -> str:
        return f"https://vk.com/id{author}" if author > 0 else f"https://vk.com/club{-author}"

    # ---- what VK allows -------------------------------------------------------------------
    def can_ban(self, comment: IncomingComment) -> bool:
        return comment.author_id > 0

    def deletable_until(self, written_at: datetime) -> datetime | None:
        return None  # a community admin may delete a comment at any age

    async def delete(self, comment: IncomingComment) -> None:
        await self._call(
            "wall.deleteComment", {"owner_id": self._owner, "comment_id": self._cid(comment)}
        )

    async def restore(self, comment: IncomingComment) -> None:
        await self._call(
            "wall.restoreComment", {"owner_id": self._owner, "comment_id": self._cid(comment)}
        )

    async def ban(self, comment: IncomingComment) -> None:
        await self._call(
            "groups.ban",
            {
                "group_id": self._group_id,
                "owner_id": comment.author_id,
                "comment": "Комментарий нарушил правила сообщества",
                "comment_visible": 1,
            },
        )

    async def hide(self, comment: IncomingComment) -> None:
        raise ModerationFailed("ВКонтакте не умеет скрывать комментарии, их можно только удалить")

    def parse_link(self, url: str) -> str | None:
        found = LINK_RE.search(url)
        if found is None or int(found[1]) != self._owner:
            return None
        return self.external_id(int(found[3] or found[4]))

    async def fetch(self, external_id: str) -> IncomingComment | None:
        answer = await self._call(
            "wall.getComment",
            {"owner_id": self._owner, "comment_id": self._cid_of(external_id), "extended": 1},
            gone_ok=True,
        )
        if not answer or not answer.get("items"):
            return None
        item = answer["items"][0]
        return self._incoming(item, item["post_id"], self._names(answer))

    async def author(self, author_id: int) -> tuple[str, str]:
        if author_id < 0:
            return "", self._profile(author_id)
        try:
            async with asyncio.timeout(self._timeout):
                answer = await self._group_api.request("users.get", {"user_ids": author_id})
            user = answer["response"][0]
            return f"{user['first_name']} {user['last_name']}".strip(), self._profile(author_id)
        except (VKAPIError, aiohttp.ClientError, TimeoutError, LookupError, ValueError) as exc:
            log.info("no name for VK user %s: %s", author_id, exc)
            return "", self._profile(author_id)

    async def close(self) -> None:
        """Nothing of its own: the wall publisher closes the user-token API, the app the
        community's, which the long poll, the chat and the notifier share."""

    # ---- catch-up -----------------------------------------------------------------------------
    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Every comment under the posts since `since`, in batches of one execute each."""
        posts = await self._recent_posts(since)
        # a page is (post id, thread root or None for the top level, offset)
        pages: deque[tuple[int, int | None, int]] = deque((pid, None, 0) for pid in posts)
        while pages:
            batch = [pages.popleft() for _ in range(min(EXECUTE_CALLS, len(pages)))]
            code = "return [" + ",".join(self._get_comments(*page) for page in batch) + "];"
            results = await self._call("execute", {"code": code})
            found: list[IncomingComment] = []
            for (post_id, root, offset), result in zip(batch, results or [], strict=False):
                if not result:
                    continue  # that post was deleted meanwhile (execute lists the error)
                names = self._names(result)
                items = result.get("items", [])
                for item in items:
                    thread = item.get("thread") or {}
                    replies = thread.get("items", [])
                    found += filter(
                        None, (self._incoming(c, post_id, names) for c in [item, *replies])
                    )
                    if thread.get("count", 0) > len(replies):
                        pages.append((post_id, item["id"], len(replies)))
                if items and offset + len(items) < result.get("current_level_count", 0):
                    pages.append((post_id, root, offset + len(items)))
            yield found

    async def _recent_posts(self, since: datetime) -> list[int]:
        """Ids of posts since `since` that have comments, newest first (one request)."""
        calls = min(EXECUTE_CALLS, max(1, -(-self._max_posts // PAGE)))
        # The wall is named by its short address: VK documents `domain` for wall.get as well
        # as owner_id, and the emulator's copy of the schema knows only `domain`.
        domain = await self._screen_name()
        code = (
            "return ["
            + ",".join(
                f'API.wall.get({{domain: "{domain}", offset: {k * PAGE}, count: {PAGE}}})'
                for k in range(calls)
            )
            + "];"
        )
        results = await self._call("execute", {"code": code})
        posts: list[int] = []
        seen: set[int] = set()
        for result in results or []:
            for post in (result or {}).get("items", []):
                if post["id"] in seen or _when(post["date"]) < since:
                    continue  # pinned posts repeat and may be old
                seen.add(post["id"])
                if (post.get("comments") or {}).get("count", 0) > 0:
                    posts.append(post["id"])
        return posts[: self._max_posts]

    async def _screen_name(self) -> str:
        if not self._domain:
            try:
                async with asyncio.timeout(self._timeout):
                    answer = await self._group_api.request(
                        "groups.getById", {"group_id": self._group_id}
                    )
                groups = answer["response"]
                groups = groups.get("groups", groups) if isinstance(groups, dict) else groups
                self._domain = groups[0].get("screen_name") or f"club{self._group_id}"
            except (VKAPIError, aiohttp.ClientError, TimeoutError, LookupError, ValueError) as exc:
                raise ModerationFailed(
                    "ВКонтакте не назвал адрес сообщества", detail=repr(exc)
                ) from exc
        return self._domain

    def _get_comments(self, post_id: int, root: int | None, offset: int) -> str:
        where = (
            f"comment_id: {root}"
            if root
            else f"post_id: {post_id}, thread_items_count: {THREAD_ITEMS}"
        )
        return (
            f"API.wall.getComments({{owner_id: {self._owner}, {where}, offset: {offset}, "
            f'count: {PAGE}, sort: "asc", extended: 1, fields: "first_name,last_name"}})'
        )

    def _names(self, answer: dict[str, Any]) -> dict[int, tuple[str, str]]:
        names = {
            p["id"]: (
                f"{p.get('first_name', '')} {p.get('last_name', '')}".strip(),
                self._profile(p["id"]),
            )
            for p in answer.get("profiles") or []
        }
        for g in answer.get("groups") or []:
            names[-g["id"]] = (g.get("name", ""), self._profile(-g["id"]))
        return names

    # ---- one request ----------------------------------------------------------------------------
    @staticmethod
    def _cid(comment: IncomingComment) -> int:
        return VKComments._cid_of(comment.external_id)

    @staticmethod
    def _cid_of(external_id: str) -> int:
        return int(external_id.rsplit("_", 1)[1])

    async def _call(self, method: str, params: dict[str, Any], gone_ok: bool = False) -> Any:
        """A user-token request, paced under VK's limit; VK's refusals become ModerationFailed."""
        for attempt in range(5):
            self.requests += 1
            try:
                async with asyncio.timeout(self._timeout):
                    answer = await self._api.request(method, params)
                return answer["response"]
            except VKAPIError as exc:
                if exc.code == TOO_MANY and attempt < 4:
                    await asyncio.sleep(1.0)  # someone else used the token: wait for the window
                    continue
                if exc.code in GONE:
                    if gone_ok:
                        return None
                    raise ModerationFailed(
                        "комментария уже нет", gone=True, detail=str(exc)
                    ) from exc
                message = REFUSALS.get(exc.code, f"ВКонтакте ответил ошибкой: {exc.error_msg}")
                raise ModerationFailed(
                    message, detail=f"VK error {exc.code}: {exc.error_msg}"
                ) from exc
            except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
                if attempt < 2:
                    continue
                raise ModerationFailed("ВКонтакте не ответил вовремя", detail=repr(exc)) from exc
        raise ModerationFailed("ВКонтакте просит подождать — попробуйте через минуту")
