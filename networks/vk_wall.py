"""The VK community wall, through vkbottle. wall.post needs a community admin's user token."""

from __future__ import annotations

import asyncio

import aiohttp
from vkbottle import API, PhotoWallUploader, VKAPIError

from bot.domain import MediaKind, Network
from bot.ports import Check, OutgoingPost, Published, PublishError

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


class VKWall:
    network = Network.vk

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
                        "guid": f"pressdesk-post-{post.post_id}",
                    },
                )
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise PublishError(
                "temporary", "ВКонтакте не ответил вовремя", None, repr(exc)
            ) from exc
        except ValueError as exc:  # a 5xx page instead of JSON
            raise PublishError(
                "temporary", "ВКонтакте ответил ошибкой сервера", None, repr(exc)
            ) from exc
        post_id = response["response"]["post_id"]
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
