"""The community's answers to citizens on VK: a private message (messages.send, whose random_id
VK de-duplicates for an hour) or a reply comment from the community under the post
(wall.createComment with the community token, reply_to_comment and a guid)."""

from __future__ import annotations

import asyncio
import hashlib

import aiohttp
from vkbottle import API, VKAPIError

from bot.domain import Network
from bot.ports import IncomingComment, Published, PublishError

CLOSED = {901: "житель запретил сообщения от сообщества", 902: "настройки приватности жителя"}
GONE = {100: "комментарий или публикация удалены", 15: "нет доступа к публикации"}
TEXT_LIMIT = 4096


def stable_random_id(*parts: object) -> int:
    """The same answer gets the same random_id, so VK keeps one copy of a repeated send."""
    digest = hashlib.sha256("\x1f".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") & 0x7FFFFFFF or 1


class VKReplies:
    network = Network.vk

    def __init__(self, api: API, group_id: int, timeout: float = 20) -> None:
        self._api = api
        self._group_id = group_id
        self._timeout = timeout

    def comment_thread(self, comment: IncomingComment) -> str:
        """ "<post id>:<comment id>" from the comment's "-<group>_<comment id>" and post."""
        owner, _, comment_id = comment.external_id.rpartition("_")
        if owner != str(-self._group_id) or not comment.post_ref:
            return ""
        return f"{comment.post_ref}:{comment_id}"

    async def reply(self, channel: str, thread_ref: str, text: str, key: str) -> Published:
        if len(text) > TEXT_LIMIT:
            raise PublishError("rejected", f"ответ длиннее {TEXT_LIMIT} знаков")
        try:
            async with asyncio.timeout(self._timeout):
                if channel == "message":
                    return await self._message(int(thread_ref), text, key)
                return await self._comment(thread_ref, text, key)
        except VKAPIError as exc:
            detail = f"VK error {exc.code}: {exc.error_msg}"
            if exc.code in (6, 9, 10):
                raise PublishError("temporary", "ВКонтакте просит подождать", 1.0, detail) from exc
            reason = CLOSED.get(exc.code) or GONE.get(exc.code) or exc.error_msg
            raise PublishError(
                "rejected", f"ВКонтакте не принял ответ: {reason}", None, detail
            ) from exc
        except aiohttp.ClientConnectorError as exc:
            raise PublishError("temporary", "ВКонтакте недоступен", None, repr(exc)) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            raise PublishError(
                "uncertain", "ВКонтакте не ответил вовремя", None, repr(exc)
            ) from exc

    async def _message(self, peer_id: int, text: str, key: str) -> Published:
        response = await self._api.request(
            "messages.send",
            {
                "peer_id": peer_id,
                "random_id": stable_random_id("ticket", self._group_id, peer_id, key),
                "message": text,
            },
        )
        message_id = int(response["response"])
        return Published(
            str(message_id), f"https://vk.com/gim{self._group_id}?sel={peer_id}&msgid={message_id}"
        )

    async def _comment(self, thread_ref: str, text: str, key: str) -> Published:
        post_id, _, comment_id = thread_ref.partition(":")
        response = await self._api.request(
            "wall.createComment",
            {
                "owner_id": -self._group_id,
                "post_id": int(post_id),
                "from_group": self._group_id,
                "reply_to_comment": int(comment_id),
                "message": text,
                "guid": f"pressdesk-{key}",
            },
        )
        new_id = int(response["response"]["comment_id"])
        return Published(
            str(new_id),
            f"https://vk.com/wall-{self._group_id}_{post_id}?reply={new_id}&thread={comment_id}",
        )
