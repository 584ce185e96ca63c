"""The VK community wall, through vkbottle. wall.post needs a community admin's user token.

Media (checked with the search tool against dev.vk.com): photos through vkbottle's
PhotoWallUploader; a video through `video.save` (user token, scope video, `group_id`) → its
`upload_url`, the file as multipart field `video_file`, whose answer carries `video_id` and
`size` (dev.vk.com/en/api/upload/video-in-profile), attached as `video<owner>_<id>`; a document
through `docs.getWallUploadServer` (`group_id`) → `upload_url`, multipart field `file`, then
`docs.save` with the returned `file` and a `title` → {type: "doc", doc} attached as
`doc<owner>_<id>` (dev.vk.com/en/api/upload/document-in-profile: any format except MP3 and
executables, at most 200 MB). A wall post takes up to 10 attachments.

wall.post carries `guid`: VK answers a repeated call with the same guid with the first post
instead of a second one, for about an hour (NETWORK-API-NOTES.md; the emulator keeps the same
window). So this publisher is idempotent within that window, and past it `find_existing` reads
the wall (wall.get) for a post with the same text published since the first attempt.

Polls: `polls.create` (owner_id of the community, question, add_answers as a JSON array,
is_multiple, end_date) first, written down as the part "poll" before `wall.post` attaches it as
`poll{owner_id}_{id}` (VK's schema, emulators/vk/schema/polls); the results come from
`polls.getById` (answers with votes). VK's schema says 1-10 answers; it names no length limit
for the question or an answer, so the check has none (NOT confirmed what VK refuses).

Uploads are kept as parts (`UPLOAD_PART` + the file's hash) the moment they are on VK, so a
retry after a restart attaches them instead of uploading again: a video saved with `group_id`
and without `is_private` appears in the community's video list whether or not it is ever posted
(video.save's parameters in VK's schema, as vk-io's VideoSaveParams gives them:
negezor.github.io/vk-io/references/vk-io/interfaces/Params.VideoSaveParams.html), and a second
upload of a large file costs the same minutes as the first.
"""

from __future__ import annotations

import asyncio
import io
import json
from datetime import datetime
from typing import Any

import aiohttp
from vkbottle import API, PhotoWallUploader, VKAPIError

from bot.content import MediaItem, megabytes
from bot.domain import MediaKind, Network
from bot.ports import (
    POLL_PART,
    UPLOAD_PART,
    Check,
    Fit,
    OutgoingPost,
    PollSpec,
    PollTally,
    PreviewPart,
    Published,
    Publisher,
    PublishError,
)

TEXT_LIMIT = 16384
ATTACHMENT_LIMIT = 10
DOCUMENT_LIMIT = 200 * 1024 * 1024
POLL_ANSWERS = 10  # polls.create: "There can be from 1 to 10 answers"

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
    # The user token's 3 a second go as a burst of 3 in each second; a post in flight at a
    # crash is sent again by its guid, so more than one at a time costs nothing there.
    senders = 3
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
        if len(post.media) + (post.poll is not None) > ATTACHMENT_LIMIT:
            problems.append(
                f"не больше {ATTACHMENT_LIMIT} вложений в одной записи"
                + (" (опрос — тоже вложение)" if post.poll is not None else "")
            )
        for item in post.documents:
            if item.nbytes > DOCUMENT_LIMIT:
                problems.append(
                    f"документ «{item.filename}» больше {megabytes(DOCUMENT_LIMIT)} "
                    f"({megabytes(item.nbytes)}) — ВКонтакте его не примет"
                )
        if post.is_empty:
            problems.append("пустая публикация")
        if post.poll is not None and len(post.poll.options) > POLL_ANSWERS:
            problems.append(f"в опросе ВКонтакте не больше {POLL_ANSWERS} вариантов")
        return Check(problems=tuple(problems))

    async def publish(self, post: OutgoingPost) -> Published:
        try:
            async with asyncio.timeout(self._timeout * (2 + len(post.media))):
                attachments = [await self._upload_once(post, item) for item in post.media]
                if post.poll is not None:
                    attachments.append(await self._poll(post))
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

    async def _upload_once(self, post: OutgoingPost, item: MediaItem) -> str:
        """The file's attachment; uploaded once per publication: written down as a part (named
        by the file's content hash) before wall.post, so a retry, after a restart too, attaches
        the same photo, video or document instead of leaving a second copy in the community's
        videos and documents."""
        name = UPLOAD_PART + item.path.name
        kept = post.sent.get(name)
        if kept is not None:
            return kept.external_id
        attachment = await self._upload(item)
        await post.part_sent(name, Published(attachment, ""))
        return attachment

    async def _upload(self, item: MediaItem) -> str:
        """One file on VK, as the attachment string wall.post takes."""
        if item.kind == MediaKind.photo:
            return await PhotoWallUploader(self._api).upload(item.read(), group_id=self._group_id)
        if item.kind == MediaKind.video:
            slot = (
                await self._api.request(
                    "video.save",
                    {"group_id": self._group_id, "name": item.filename[:128], "wallpost": 0},
                )
            )["response"]
            answer = await self._send_file(slot["upload_url"], "video_file", item)
            if not answer.get("video_id") and not answer.get("size"):
                raise self._refused_file(item, answer)
            return f"video{slot['owner_id']}_{slot['video_id']}"
        server = (
            await self._api.request("docs.getWallUploadServer", {"group_id": self._group_id})
        )["response"]
        answer = await self._send_file(server["upload_url"], "file", item)
        if not answer.get("file"):
            raise self._refused_file(item, answer)
        saved = (
            await self._api.request("docs.save", {"file": answer["file"], "title": item.filename})
        )["response"]
        doc = saved[saved.get("type") or "doc"]
        return f"doc{doc['owner_id']}_{doc['id']}"

    async def _send_file(self, url: str, field: str, item: MediaItem) -> dict[str, Any]:
        body = io.BytesIO(item.read())
        body.name = item.filename
        raw = await self._api.http_client.request_text(url, method="POST", data={field: body})
        answer = json.loads(raw)
        if not isinstance(answer, dict):
            raise ValueError(f"upload answer is not an object: {raw[:200]!r}")
        return answer

    @staticmethod
    def _refused_file(item: MediaItem, answer: dict[str, Any]) -> PublishError:
        what = {MediaKind.video: "видео", MediaKind.document: "документ"}.get(item.kind, "файл")
        return PublishError(
            "rejected",
            f"ВКонтакте не принял {what} «{item.filename}» — замените его или снимите отметку",
            None,
            f"VK upload refused {item.filename}: {answer!r}",
        )

    async def _poll(self, post: OutgoingPost) -> str:
        """The poll's attachment; created once (a retry finds it among the parts sent)."""
        made = post.sent.get(POLL_PART)
        if made is None:
            poll = post.poll
            assert poll is not None
            response = await self._api.request(
                "polls.create",
                {
                    "owner_id": -self._group_id,
                    "question": poll.question,
                    "add_answers": json.dumps(list(poll.options), ensure_ascii=False),
                    "is_multiple": int(poll.multiple),
                    "end_date": int(poll.ends_at.timestamp()),
                },
            )
            created = response["response"]
            made = Published(f"{created['owner_id']}_{created['id']}", "")
            await post.part_sent(POLL_PART, made)
        return f"poll{made.external_id}"

    async def poll_results(self, poll: PollSpec, ref: Published) -> PollTally:
        owner_id, _, poll_id = ref.external_id.rpartition("_")
        try:
            async with asyncio.timeout(self._timeout):
                response = await self._api.request(
                    "polls.getById", {"owner_id": int(owner_id), "poll_id": int(poll_id)}
                )
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise PublishError("temporary", "ВКонтакте не ответил", None, repr(exc)) from exc
        found = response["response"]
        votes = {a["text"]: int(a.get("votes", 0)) for a in found.get("answers", [])}
        return PollTally(tuple(votes.get(o, 0) for o in poll.options), found.get("votes"))

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

    # ---- the preview, and after publication ---------------------------------------------------
    def preview(self, post: OutgoingPost) -> tuple[PreviewPart, ...]:
        kinds: dict[MediaKind, int] = {}
        for item in post.media:
            kinds[item.kind] = kinds.get(item.kind, 0) + 1
        files = ", ".join(f"{n} {kind.short}" for kind, n in kinds.items())
        label = f"Запись на стене, {files}" if files else "Запись на стене"
        if post.poll is not None:
            label += f", опрос «{post.poll.question}»"
        return (PreviewPart(label, post.text, post.media),)

    def fits(self, post: OutgoingPost) -> tuple[Fit, ...]:
        if len(post.text) > TEXT_LIMIT:
            return (Fit("limit", f"Сократить до {TEXT_LIMIT}", TEXT_LIMIT),)
        return ()

    def edit_refusal(self, post: OutgoingPost) -> str:
        if len(post.text) > TEXT_LIMIT:
            return f"текст длиннее {TEXT_LIMIT} знаков"
        return "" if post.text.strip() or post.media else "пустой текст"

    def delete_refusal(self, post: OutgoingPost) -> str:
        return ""

    async def edit(self, post: OutgoingPost) -> None:
        """wall.edit replaces the whole post: its attachments are read back (wall.getById) and
        sent again with the new text, so the photos stay."""
        post_id = self._post_id(post)
        try:
            async with asyncio.timeout(self._timeout * 2):
                found = await self._api.request(
                    "wall.getById", {"posts": f"-{self._group_id}_{post_id}"}
                )
                items = found["response"].get("items", [])
                if not items:
                    raise PublishError("rejected", "ВКонтакте: записи на стене больше нет")
                attachments = [_attachment_ref(a) for a in items[0].get("attachments") or []]
                await self._api.request(
                    "wall.edit",
                    {
                        "owner_id": -self._group_id,
                        "post_id": post_id,
                        "message": post.text,
                        "attachments": ",".join(a for a in attachments if a),
                    },
                )
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError, KeyError) as exc:
            raise PublishError("temporary", "ВКонтакте не ответил", None, repr(exc)) from exc

    async def delete(self, post: OutgoingPost) -> None:
        post_id = self._post_id(post)
        try:
            async with asyncio.timeout(self._timeout):
                await self._api.request(
                    "wall.delete", {"owner_id": -self._group_id, "post_id": post_id}
                )
        except VKAPIError as exc:
            raise self._sorted(exc) from exc
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            raise PublishError("temporary", "ВКонтакте не ответил", None, repr(exc)) from exc

    @staticmethod
    def _post_id(post: OutgoingPost) -> int:
        first = next(iter(post.sent.values()), None)
        if first is None or not first.external_id.isdigit():
            raise PublishError("rejected", "ВКонтакте: не знаю, какая это запись на стене")
        return int(first.external_id)

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


def _attachment_ref(attachment: dict) -> str:
    """An attachment of a wall post as wall.edit takes it back: photo-100_5(_accesskey)."""
    kind = attachment.get("type", "")
    item = attachment.get(kind) or {}
    if "owner_id" not in item or "id" not in item:
        return ""
    ref = f"{kind}{item['owner_id']}_{item['id']}"
    return f"{ref}_{item['access_key']}" if item.get("access_key") else ref
