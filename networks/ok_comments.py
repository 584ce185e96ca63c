"""Comments under the office's topics in its OK group, read by polling (OK pushes no comment
events to an application), and what the moderation loop may do about them.

Reads `discussions.getComments` (discussionType GROUP_TOPIC, paged by `anchor` while
`has_more`); names come from `users.getInfo`. Deleting uses DELETE_METHOD, which OK's
documented method list does not show (see networks/ok.py): when OK does not know it, the editor
is told to delete the comment in the group. OK gives an application no hiding, no restoring and
no banning of commenters, so those are not offered.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bot.domain import Network
from bot.ports import IncomingComment, ModerationFailed
from networks.ok_api import OKApi, OKCallError, OKUnavailable

if TYPE_CHECKING:
    from networks.registry import PublishedRefs

log = logging.getLogger(__name__)

DELETE_METHOD = "discussions.deleteComment"
PAGE = 100
UNKNOWN_METHOD = 3
NOT_FOUND = 300
REFUSALS = {
    10: "у ключа нет права управлять комментариями группы",
    102: "ключ доступа группы в Одноклассниках больше не действует — получите новый",
    104: "секретный ключ приложения Одноклассников не подходит к ключу доступа",
}


def _when(value: Any) -> datetime:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    except ValueError:
        return datetime.now(UTC)


class OKComments:
    network = Network.ok
    can_hide = False
    can_restore = False

    def __init__(
        self,
        api: OKApi,
        group_id: str,
        published: PublishedRefs,
        poll_seconds: float = 60,
        poll_window: timedelta = timedelta(days=14),
    ) -> None:
        self._api = api
        self._gid = group_id
        self._published = published
        self.poll_minutes = poll_seconds / 60  # read by bot/moderation/polling.py
        self.poll_window = poll_window

    def can_ban(self, comment: IncomingComment) -> bool:
        return False

    def deletable_until(self, written_at: datetime) -> datetime | None:
        return None

    async def delete(self, comment: IncomingComment) -> None:
        topic_id, _, comment_id = comment.external_id.partition("_")
        params = {"discussionId": topic_id, "discussionType": "GROUP_TOPIC"}
        await self._call(DELETE_METHOD, **params, commentId=comment_id)

    async def ban(self, comment: IncomingComment) -> None:
        raise ModerationFailed("в Одноклассниках бот не блокирует авторов комментариев")

    async def hide(self, comment: IncomingComment) -> None:
        raise ModerationFailed("Одноклассники не умеют скрывать комментарии, только удалять")

    async def restore(self, comment: IncomingComment) -> None:
        raise ModerationFailed("Одноклассники не возвращают удалённые комментарии")

    def parse_link(self, url: str) -> str | None:
        return None  # an OK link names the topic, not one comment in it

    async def fetch(self, external_id: str) -> IncomingComment | None:
        return None

    async def author(self, author_id: int) -> tuple[str, str]:
        profile = f"https://ok.ru/profile/{author_id}"
        try:
            users = await self._api.call(
                "users.getInfo", uids=author_id, fields="first_name,last_name,name"
            )
            user = users[0]
            name = user.get("name") or f"{user.get('first_name', '')} {user.get('last_name', '')}"
            return name.strip(), profile
        except (OKCallError, OKUnavailable, LookupError, TypeError, AttributeError) as exc:
            log.info("no name for OK user %s: %s", author_id, exc)
            return "", profile

    async def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments under our topics published since `since` (the poller and the catch-up)."""
        async for batch in self.comments_under(await self._published(Network.ok, since)):
            yield batch

    async def comments_under(self, post_refs: list[str]) -> AsyncIterator[list[IncomingComment]]:
        for topic_id in post_refs:
            anchor = ""
            while True:
                params: dict[str, Any] = {
                    "discussionId": topic_id,
                    "discussionType": "GROUP_TOPIC",
                    "count": PAGE,
                }
                if anchor:
                    params["anchor"] = anchor
                try:
                    answer = await self._call("discussions.getComments", **params)
                except ModerationFailed as exc:
                    if exc.gone:
                        break  # the topic was deleted in the group
                    raise
                found = [self._incoming(topic_id, c) for c in answer.get("comments") or []]
                yield [c for c in found if c is not None]
                anchor = str(answer.get("anchor") or "")
                if not answer.get("has_more") or not anchor:
                    break

    def _incoming(self, topic_id: str, item: dict[str, Any]) -> IncomingComment | None:
        author = str(item.get("author_id") or "")
        if not author.isdigit() or author == self._gid:
            return None  # the group's own replies are not moderated
        post_url = f"https://ok.ru/group/{self._gid}/topic/{topic_id}"
        return IncomingComment(
            network=Network.ok,
            external_id=f"{topic_id}_{item['id']}",
            post_ref=topic_id,
            author_id=int(author),
            text=str(item.get("text") or ""),
            written_at=_when(item.get("date")),
            author_name=str(item.get("author_name") or ""),
            author_url=f"https://ok.ru/profile/{author}",
            url=post_url,
            post_url=post_url,
        )

    async def _call(self, method: str, **params: Any) -> Any:
        try:
            return await self._api.call(method, **params)
        except OKUnavailable as exc:
            raise ModerationFailed("Одноклассники не ответили вовремя", detail=str(exc)) from exc
        except OKCallError as exc:
            if exc.code == NOT_FOUND:
                raise ModerationFailed("комментария уже нет", gone=True, detail=str(exc)) from exc
            if exc.code == UNKNOWN_METHOD:
                raise ModerationFailed(
                    "Одноклассники не дают боту удалять комментарии — удалите его в группе",
                    detail=str(exc),
                ) from exc
            message = REFUSALS.get(exc.code, f"Одноклассники ответили ошибкой: {exc.message}")
            raise ModerationFailed(message, detail=str(exc)) from exc

    async def close(self) -> None:
        """The publisher closes the shared API session."""
