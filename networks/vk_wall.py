"""The VK community wall, through vkbottle. wall.post needs a community admin's user token.

wall.post carries `guid`: VK answers a repeated call with the same guid with the first post
instead of a second one, for about an hour (NETWORK-API-NOTES.md; the emulator keeps the same
window). So this publisher is idempotent within that window, and past it `find_existing` reads
the wall (wall.get) for a post with the same text published since the first attempt.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import aiohttp
from vkbottle import API, PhotoWallUploader, VKAPIError

from bot.domain import MediaKind, Network
from bot.ports import Check, OutgoingPost, Published, Publisher, PublishError

TEXT_LIMIT = 16384
PHOTO_LIMIT = 10

# VK error codes sorted into what a person can do about them.
TEMPORARY = {1, 6, 9, 10, 29}
AUTH = {
    5: "ключ доступа администратора сообщества больше не действует — обновите его (см. README)",
    27: "для публикации нужен ключ администратора сообщества, а настроен ключ сообщества",
    15: "у ключа нет доступа к стене сообщества — нужен ключ администратора с правом wall",
    214: "публикация на стене сообщества запрещена его настройками",
    1051: "ключ VK ID (vk2.a.*) не подходит — нужен ключ администратора сообщества",
}


# VK's refusals, as the editor should read them; anything else is quoted as it came.
REJECTED = {
    100: "VK не принял текст или вложения (ошибка в параметрах)",
    219: "в сообществе запрещены ссылки такого вида",
    222: "VK не принимает ссылки в этом тексте — уберите их",
    224: "достигнут лимит рекламных записей сообщества",
}


GUID_WINDOW = 3600.0  # seconds VK remembers a guid
SEARCH_DEPTH = 100  # newest wall posts read when looking for one that may have gone out


class VKWall(Publisher):
    network = Network.vk
    idempotent = True
    # A little under VK's hour: a call at the edge of the window must not slip past it.
    idempotency_window = GUID_WINDOW - 300

    def __init__(self, api: API, group_id: int, timeout: float = 20) -> None:
        self._api = api
        self._group_id = group_id
        self._timeout = timeout

    def check(self, post: OutgoingPost) -> Check:
        problems = []
        if len(post.text) > TEXT_LIMIT:
            problems.append(f"текст длиннее {TEXT_LIMIT} знаков (сейчас {len(post.text)})")
        if any(m.kind != MediaKind.photo for m in post.media):
            problems.append(
                "видео и документы во ВКонтакте бот пока не загружает — "
                "уберите их или снимите отметку"
            )
        if sum(m.kind == MediaKind.photo for m in post.media) > PHOTO_LIMIT:
            problems.append(f"не больше {PHOTO_LIMIT} фото")
        if not post.text.strip() and not post.media:
            problems.append("пустая публикация")
        return Check(problems=tuple(problems))

    async def publish(self, post: OutgoingPost) -> Published:
        try:
            async with asyncio.timeout(self._timeout * (2 + len(post.media))):
                uploader = PhotoWallUploader(self._api)
                attachments = [
                    await uploader.upload(item.read(), group_id=self._group_id)
                    for item in post.media
                ]
                # guid: a retried call with the same guid returns the first post, not a second one.
                response = await self._api.request(
                    "wall.post",
                    {
                        "owner_id": -self._group_id,
                        "from_group": 1,
                        "message": post.text,
                        "attachments": ",".join(attachments),
                        "guid": post.key or f"pressdesk-post-{post.post_id}",
                    },
                )
                post_id = int(response["response"]["post_id"])
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except aiohttp.ClientConnectorError as exc:  # nothing reached VK
            raise PublishError("temporary", "ВКонтакте недоступен", None, repr(exc)) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            # wall.post may have been applied; the guid makes sending again safe.
            raise PublishError(
                "uncertain", "ВКонтакте не ответил вовремя", None, repr(exc)
            ) from exc
        except (ValueError, KeyError, TypeError) as exc:  # not VK's JSON: a 5xx page, a cut body
            raise PublishError("uncertain", "ответ ВКонтакте не читается", None, repr(exc)) from exc
        return self._published(post_id)

    async def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        """Our post on the wall: the same text, published by the community since `since`."""
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._api.request(
                    "wall.get",
                    # `domain`: VK's schema names the wall so (vk_comments.py does the same).
                    {"domain": f"club{self._group_id}", "count": SEARCH_DEPTH, "filter": "owner"},
                )
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise PublishError(
                "temporary", "ВКонтакте не ответил вовремя", None, repr(exc)
            ) from exc
        earliest = since.timestamp() - 60  # the wall's clock and ours may differ a little
        for item in response["response"].get("items", []):
            if item.get("text") == post.text and item.get("date", 0) >= earliest:
                return self._published(item["id"])
        return None

    def home_url(self) -> str:
        return f"https://vk.com/club{self._group_id}"

    def _published(self, post_id: int) -> Published:
        return Published(str(post_id), f"https://vk.com/wall-{self._group_id}_{post_id}")

    async def close(self) -> None:
        await self._api.http_client.close()

    @staticmethod
    def _sorted(exc: VKAPIError) -> PublishError:
        code = exc.code
        detail = f"VK error {code}: {exc.error_msg}"
        if code in TEMPORARY:
            return PublishError("temporary", "ВКонтакте временно не принимает запросы", 1.0, detail)
        if code in AUTH:
            return PublishError("auth", AUTH[code], None, detail)
        return PublishError(
            "rejected",
            f"ВКонтакте отклонил публикацию: {REJECTED.get(code, exc.error_msg)}",
            None,
            detail,
        )
