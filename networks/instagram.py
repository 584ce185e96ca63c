"""The office's Instagram business account through the Graph API (off by default; see README).

Instagram publishes in steps (developers.facebook.com/docs/instagram-platform/content-publishing,
…/reference/ig-user/media, …/reference/ig-container, …/reference/ig-user/content_publishing_limit):
1. `POST /{ig-user-id}/media` with `image_url` (JPEG only) or `media_type=REELS` + `video_url`,
   and `caption` → a container id. A carousel: one container per item with
   `is_carousel_item=true`, then a parent with `media_type=CAROUSEL` and `children` (up to 10).
   Instagram fetches the media from that public URL itself: here the bot's own signed links
   (networks/public_media.py).
2. `GET /{container-id}?fields=status_code` until `FINISHED` (`IN_PROGRESS` meanwhile; `ERROR`
   and `EXPIRED` — not published within 24 hours — are final).
3. `POST /{ig-user-id}/media_publish` with `creation_id` → the media id; its `permalink` is the
   link people get.
`GET /{ig-user-id}/content_publishing_limit?fields=quota_usage,config` tells how many posts the
account published through the API in the moving 24 hours and the quota (`config.quota_total`,
50 in Meta's current example); a carousel counts as one. The limits `check()` applies: at least
one photo or video, caption up to 2,200 characters and 30 hashtags (Meta's IG media reference
and third-party guides agree), at most 10 carousel items.

A retried publication reuses the container it made before (kept with `post.part_sent`, so it
survives a restart): a container already PUBLISHED is not published again, its media is looked
up by caption among the account's newest posts.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Callable
from datetime import datetime

from bot.domain import MediaKind, Network
from bot.ports import (
    Check,
    Fit,
    MediaItem,
    OutgoingPost,
    PreviewPart,
    Published,
    Publisher,
    PublishError,
)
from networks.graph import GraphClient, GraphError, publish_error
from networks.graph_comments import when
from networks.public_media import MediaLinks, MediaServer

CAPTION_LIMIT = 2200
HASHTAG_LIMIT = 30
CAROUSEL_LIMIT = 10
HASHTAG_RE = re.compile(r"(?<!\w)#\w+")
NET = "Instagram"


class InstagramAccount(Publisher):
    network = Network.instagram

    def __init__(
        self,
        graph: GraphClient,
        user_id: str,
        links: MediaLinks,
        poll_seconds: float = 5,
        wait_seconds: float = 300,
        clock: Callable[[], float] = time.monotonic,
        server: MediaServer | None = None,
        listen: tuple[str, int] = ("127.0.0.1", 0),
    ) -> None:
        self._graph = graph
        self._user = user_id
        self._links = links
        self.server = server  # serves the signed links; started before the first publication
        self._listen = listen
        self._starting = asyncio.Lock()
        self._poll = poll_seconds
        self._wait = wait_seconds
        self._clock = clock
        self._containers: dict[int, str] = {}  # post id -> the container made for it

    def check(self, post: OutgoingPost) -> Check:
        problems: list[str] = []
        media = [m for m in post.media if m.kind != MediaKind.document]
        if post.poll is not None:
            problems.append("опросы не поддерживаются: бот не создаёт опросы в Instagram")
        if not media:
            problems.append("Instagram не публикует без фото или видео — добавьте хотя бы одно")
        if len(media) < len(post.media):
            problems.append("документы Instagram не принимает")
        if len(media) > CAROUSEL_LIMIT:
            problems.append(f"в карусели Instagram не больше {CAROUSEL_LIMIT} фото и видео")
        if any(m.kind == MediaKind.photo and m.mime_type != "image/jpeg" for m in media):
            problems.append("Instagram принимает фото только в формате JPEG")
        if len(post.text) > CAPTION_LIMIT:
            problems.append(f"подпись длиннее {CAPTION_LIMIT} знаков (сейчас {len(post.text)})")
        tags = len(HASHTAG_RE.findall(post.text))
        if tags > HASHTAG_LIMIT:
            problems.append(f"не больше {HASHTAG_LIMIT} хештегов (сейчас {tags})")
        if media and not self._links.configured:
            problems.append(
                "не настроен публичный адрес для фото ([public_media] base_url) — "
                "Instagram не сможет их забрать"
            )
        return Check(problems=tuple(problems))

    def preview(self, post: OutgoingPost) -> tuple[PreviewPart, ...]:
        """The feed shows the first photo or video (the cover); the rest are swiped to."""
        media = tuple(m for m in post.media if m.kind != MediaKind.document)
        if not media:
            return (PreviewPart("Без фото Instagram не публикует", post.text),)
        rest = f", ещё {len(media) - 1} — листаются" if len(media) > 1 else ""
        return (PreviewPart(f"В ленте — первое: {media[0].filename}{rest}", post.text, media),)

    def fits(self, post: OutgoingPost) -> tuple[Fit, ...]:
        if len(post.text) > CAPTION_LIMIT:
            return (Fit("limit", f"Сократить до {CAPTION_LIMIT}", CAPTION_LIMIT),)
        return ()

    async def publish(self, post: OutgoingPost) -> Published:
        await self._serve()
        try:
            media_id = await self._publish(post)
            answer = await self._graph.get(media_id, fields="permalink")
        except GraphError as exc:
            raise publish_error(exc, NET) from exc
        self._containers.pop(post.post_id, None)
        url = str(answer.get("permalink") or "https://www.instagram.com/")
        return Published(media_id, url)

    async def _publish(self, post: OutgoingPost) -> str:
        kept = post.sent.get("container")
        container = self._containers.get(post.post_id) or (kept.external_id if kept else None)
        if container is not None:
            status = await self._status(container)
            if status == "PUBLISHED":
                found = await self._published_with(post.text)
                if found:
                    return found
            if status not in ("FINISHED", "IN_PROGRESS"):
                container = None  # expired or broken: start again
        if container is None:
            await self._check_quota()
            container = await self._container(post)
            self._containers[post.post_id] = container
            await post.part_sent("container", Published(container, ""))
        await self._until_finished(container)
        answer = await self._graph.post(f"{self._user}/media_publish", {"creation_id": container})
        return str(answer["id"])

    async def _container(self, post: OutgoingPost) -> str:
        media = [m for m in post.media if m.kind != MediaKind.document]
        if len(media) == 1:
            return await self._item(media[0], {"caption": post.text})
        children = [await self._item(m, {"is_carousel_item": True}) for m in media]
        for child in children:
            await self._until_finished(child)
        answer = await self._graph.post(
            f"{self._user}/media",
            {"media_type": "CAROUSEL", "children": ",".join(children), "caption": post.text},
        )
        return str(answer["id"])

    async def _item(self, item: MediaItem, extra: dict[str, object]) -> str:
        url = self._links.url_for(item)
        if item.kind == MediaKind.video:
            media_type = "VIDEO" if extra.get("is_carousel_item") else "REELS"
            params = {"media_type": media_type, "video_url": url, **extra}
        else:
            params = {"image_url": url, **extra}
        answer = await self._graph.post(f"{self._user}/media", params)
        return str(answer["id"])

    async def _status(self, container: str) -> str:
        answer = await self._graph.get(container, fields="status_code,status")
        return str(answer.get("status_code") or "")

    async def _until_finished(self, container: str) -> None:
        deadline = self._clock() + self._wait
        while True:
            answer = await self._graph.get(container, fields="status_code,status")
            status = answer.get("status_code")
            if status == "FINISHED":
                return
            if status in ("ERROR", "EXPIRED"):
                said = str(answer.get("status", ""))
                if "fetch" in said:
                    reason = (
                        "Instagram не смог забрать фото по публичной ссылке — проверьте, что "
                        "[public_media] base_url открывается из интернета"
                    )
                elif status == "EXPIRED":
                    reason = "Instagram не опубликовал фото за сутки — повторите публикацию"
                else:
                    reason = "Instagram не принял фото или видео — проверьте формат и пропорции"
                raise PublishError(
                    "rejected", reason, None, f"container {container}: {status} {said}"
                )
            if self._clock() >= deadline:
                raise PublishError(
                    "temporary",
                    "Instagram слишком долго обрабатывает фото или видео",
                    None,
                    f"container {container} still {status}",
                )
            await asyncio.sleep(self._poll)

    async def _check_quota(self) -> None:
        answer = await self._graph.get(
            f"{self._user}/content_publishing_limit", fields="quota_usage,config"
        )
        rows = answer.get("data") or [{}]
        used = int(rows[0].get("quota_usage") or 0)
        total = int((rows[0].get("config") or {}).get("quota_total") or 0)
        if total and used >= total:
            raise PublishError(
                "rejected",
                f"Instagram: исчерпан суточный лимит публикаций через API ({total} за 24 часа) — "
                "повторите позже",
                None,
                f"quota_usage {used} of {total}",
            )

    async def _published_with(self, caption: str, since: datetime | None = None) -> str | None:
        answer = await self._graph.get(
            f"{self._user}/media", fields="id,caption,timestamp", limit=10
        )
        for media in answer.get("data") or []:
            if since is not None and when(media["timestamp"]) < since:
                break  # newest first
            if (media.get("caption") or "") == caption:
                return str(media["id"])
        return None

    async def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        try:
            media_id = await self._published_with(post.text, since)
            if media_id is None:
                return None
            answer = await self._graph.get(media_id, fields="permalink")
        except GraphError as exc:
            raise publish_error(exc, NET) from exc
        return Published(media_id, str(answer.get("permalink") or ""))

    async def _serve(self) -> None:
        """Instagram fetches the media while we publish: the server must be up by then."""
        if self.server is None or self.server.address:
            return
        async with self._starting:
            if self.server.address:
                return
            try:
                await self.server.start(*self._listen)
            except OSError as exc:
                raise PublishError(
                    "auth",
                    f"не запускается сервер фото для Instagram на {self._listen[0]}:"
                    f"{self._listen[1]} — проверьте [public_media] host и port",
                    None,
                    repr(exc),
                ) from exc

    async def close(self) -> None:
        if self.server is not None:
            await self.server.stop()
        await self._graph.close()
