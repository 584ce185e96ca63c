"""The office's Facebook Page through the Graph API (off by default; see README).

How a post goes out, as Meta documents the Page endpoints:
- text only: `POST /{page-id}/feed` with `message` → `{"id": "{page-id}_{post-id}"}`
  (developers.facebook.com/docs/pages-api/posts);
- one photo: `POST /{page-id}/photos` with the file as `source` and the text as `message`
  → `{"id": photo-id, "post_id": …}` (developers.facebook.com/docs/graph-api/reference/page/photos);
- several photos: each uploaded with `published=false`, then one `POST /{page-id}/feed` with
  `attached_media[i]={"media_fbid": photo-id}` — the documented multi-photo post;
- a video: `POST /{page-id}/videos` with `source` and `description` (Meta's reference names the
  graph-video host for uploads; the same path works on the configured base URL).
The post's address is asked back as `permalink_url`. A lost answer to a write (timeout, a
proxy's page) is "uncertain": Graph has no idempotency key, so the outbox asks find_existing().
The Page access token (a long-lived one from a Page admin, with pages_manage_posts,
pages_read_engagement, pages_manage_engagement) comes from PRESSDESK_FACEBOOK_PAGE_TOKEN.

Not confirmed against Meta's docs: the number of photos one post may carry (10 here, a safe
figure) and the 63,206-character text limit (Facebook's long-known post limit, not in the
Graph reference).
"""

from __future__ import annotations

from datetime import datetime

from bot.domain import MediaKind, Network
from bot.ports import Check, MediaItem, OutgoingPost, Published, Publisher
from networks.graph import GraphClient, GraphError, publish_error

TEXT_LIMIT = 63206
PHOTO_LIMIT = 10
NET = "Facebook"


class FacebookPage(Publisher):
    """Graph has no idempotency key for Page posts: a lost answer is "uncertain", and
    find_existing() looks for the post's text among the Page's newest posts."""

    network = Network.facebook

    def __init__(self, graph: GraphClient, page_id: str) -> None:
        self._graph = graph
        self._page = page_id

    def check(self, post: OutgoingPost) -> Check:
        problems: list[str] = []
        photos = [m for m in post.media if m.kind == MediaKind.photo]
        if post.poll is not None:
            problems.append("опросы не поддерживаются: бот не создаёт опросы в Facebook")
        videos = [m for m in post.media if m.kind == MediaKind.video]
        if len(post.text) > TEXT_LIMIT:
            problems.append(f"текст длиннее {TEXT_LIMIT} знаков (сейчас {len(post.text)})")
        if any(m.kind == MediaKind.document for m in post.media):
            problems.append("документы Facebook в публикации Страницы не принимает")
        if videos and (photos or len(videos) > 1):
            problems.append("видео уходит на Facebook одно и без фото — оставьте одно видео")
        if len(photos) > PHOTO_LIMIT:
            problems.append(f"не больше {PHOTO_LIMIT} фото")
        if not post.text.strip() and not post.media:
            problems.append("пустая публикация")
        return Check(problems=tuple(problems))

    async def publish(self, post: OutgoingPost) -> Published:
        try:
            post_id = await self._create(post)
            url = await self._permalink(post_id)
        except GraphError as exc:
            raise publish_error(exc, NET) from exc
        return Published(post_id, url)

    async def _create(self, post: OutgoingPost) -> str:
        page = self._page
        photos = [m for m in post.media if m.kind == MediaKind.photo]
        videos = [m for m in post.media if m.kind == MediaKind.video]
        if videos:
            answer = await self._graph.post(
                f"{page}/videos", {"description": post.text}, {"source": _file(videos[0])}
            )
            return str(answer["id"])
        if len(photos) == 1:
            answer = await self._graph.post(
                f"{page}/photos", {"message": post.text}, {"source": _file(photos[0])}
            )
            return str(answer.get("post_id") or answer["id"])
        params: dict[str, object] = {"message": post.text}
        for index, photo in enumerate(photos):
            uploaded = await self._graph.post(
                f"{page}/photos", {"published": False}, {"source": _file(photo)}
            )
            params[f"attached_media[{index}]"] = {"media_fbid": str(uploaded["id"])}
        answer = await self._graph.post(f"{page}/feed", params)
        return str(answer["id"])

    async def _permalink(self, post_id: str) -> str:
        try:
            answer = await self._graph.get(post_id, fields="permalink_url")
            return str(answer.get("permalink_url") or _fallback(post_id))
        except GraphError:
            return _fallback(post_id)  # it is out; a missing link must not make it "failed"

    async def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        try:
            answer = await self._graph.get(
                f"{self._page}/feed",
                fields="id,message,permalink_url",
                since=int(since.timestamp()),
                limit=25,
            )
        except GraphError as exc:
            raise publish_error(exc, NET) from exc
        for found in answer.get("data") or []:
            if (found.get("message") or "") == post.text:
                return Published(str(found["id"]), found.get("permalink_url") or "")
        return None

    def home_url(self) -> str:
        return f"https://www.facebook.com/{self._page}"

    async def close(self) -> None:
        await self._graph.close()


def _file(item: MediaItem) -> tuple[str, bytes, str]:
    return item.filename or item.path.name, item.read(), item.mime_type


def _fallback(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"
