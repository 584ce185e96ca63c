"""Odnoklassniki: topics in the office's group through OK's REST API (fb.do).

What it relies on, and where that is written (checked with the search tool):
- `mediatopic.post` with `gid`, `type=GROUP_THEME` and `attachment` (JSON, required):
  apiok.ru/dev/methods/rest/mediatopic/mediatopic.post («gid … Вместе с этим параметром должен
  присутствовать type=GROUP_THEME»; «attachment Да … Закодированная в JSON информация о контенте
  медиатопика»). The attachment's shape {"media": [{"type": "text", "text": …}, {"type": "photo",
  "list": [{"id": token}]}]}: apiok.ru/en/dev/sdk/js/ui.postMediatopic (the same format) and
  the project's NETWORK-API-NOTES.md.
- Photos: `photosV2.getUploadUrl` with `gid` and `count` → {"photo_ids", "upload_url"}:
  apiok.ru/dev/methods/rest/photosV2/photosV2.getUploadUrl («gid … либо для создания медиатопика
  в группе»); the files go to upload_url as multipart pic1…picN and the answer gives a token per
  photo id: apiok.ru/dev/examples/moment_upload (the same two steps, `pic1`). Required rights:
  PHOTO_CONTENT and GROUP_CONTENT.
- The signature: networks/ok_api.py.
- Comments: `discussions.getComments` (discussionId, discussionType=GROUP_TOPIC, count, anchor →
  comments, has_more, anchor), `users.getInfo` for names: in the apiok.ru method list as an OK
  SDK links it (apiok.ru/dev/methods/rest/discussions/discussions.getComments); its parameter
  names as a public client uses them.
NOT confirmed: a method to delete a comment under a group topic. The documented discussions.*
list has none; the adapter calls `discussions.deleteComment` (DELETE_METHOD) and, if OK answers
"unknown method", tells the editor to delete the comment in the group by hand. OK's error codes
(PARAM_SIGNATURE = 104 and the others in ERRORS) are OK's own names and numbers, but no page
listing them was found to cite. No documented text or photo limit per topic was found, so the
check has none.
- Video: `video.getUploadUrl` (with `gid`, `file_name`, `file_size`) → a video id and an upload
  URL; the file goes there as the multipart field `data` (one file, up to 2 GB; right
  VIDEO_CONTENT): apiok.ru/en/dev/examples/video_upload. `video.update` with `vid` (and `title`)
  «завершает инициированную процедуру загрузки видео»: apiok.ru/dev/methods/rest/video/
  video.update. The topic then carries {"type": "movie", "list": [{"id": video_id}]}: NOT
  confirmed from a page (the media type name "movie" is OK's word for a video in its other
  methods); the emulator takes the same shape.
- Documents: a group topic has no file attachment among the media types found, so the check
  refuses documents (the other networks still get the post).
Polls: NOT confirmed. The poll goes into the topic's attachment as a media item
{"type": "poll", "question": …, "answers": [{"text": …}], "options": "SingleChoice,
AnonymousVoting"} (MultipleChoice for several answers), the shape OK's widget and SDK docs are
remembered to use; no page with it was found. The results are read with `mediatopic.getByIds`
(topic_ids, fields=media_topic.*,poll.*) → entities.polls[].answers[].votes_count — also not
confirmed. The emulator keeps exactly these shapes, so a wrong guess shows as a refusal from OK
at publish time (or «итоги не получены» in the results message), never as a silent loss.
"""

from __future__ import annotations

import json
from datetime import timedelta

from bot.config import Config, Secrets
from bot.content import MediaItem, refusal
from bot.domain import MediaKind, Network
from bot.ports import (
    POLL_PART,
    Check,
    OutgoingPost,
    PollSpec,
    PollTally,
    Published,
    Publisher,
    PublishError,
)
from networks.ok_access import OKAccess
from networks.ok_api import OKApi, OKCallError, OKUnavailable
from networks.ok_comments import OKComments
from networks.ok_stats import OKStats
from networks.registry import Connection, PublishedRefs

TEMPORARY = {1, 2, 8, 9999}  # UNKNOWN, SERVICE, FLOOD_BLOCKED, SYSTEM
AUTH = {
    101: "ключ приложения Одноклассников не подходит — проверьте PRESSDESK_OK_APPLICATION_KEY",
    102: "ключ доступа группы в Одноклассниках больше не действует — получите новый (см. README)",
    103: "ключ доступа группы в Одноклассниках не подходит — получите новый (см. README)",
    104: "Одноклассники не приняли подпись запроса: секретный ключ приложения не подходит "
    "к ключу доступа — проверьте PRESSDESK_OK_APPLICATION_SECRET_KEY",
    10: "у приложения нет права публиковать в группе — нужны права GROUP_CONTENT, PHOTO_CONTENT "
    "и VIDEO_CONTENT и ключ администратора группы",
    200: "у приложения нет нужного права (GROUP_CONTENT, PHOTO_CONTENT или VIDEO_CONTENT)",
}
REJECTED = {
    100: "Одноклассники не приняли текст или фото (ошибка в параметрах)",
    300: "группа не найдена — проверьте [ok] group_id в настройках",
}


def sorted_error(exc: OKCallError | OKUnavailable, posting: bool = False) -> PublishError:
    """`posting`: the failed call was mediatopic.post itself, so a lost answer may hide a
    topic that is already in the group (OK has no idempotency key)."""
    if isinstance(exc, OKUnavailable):
        if posting and exc.reached:
            return PublishError(
                "uncertain", "Одноклассники не ответили, вышла ли публикация", None, str(exc)
            )
        return PublishError("temporary", "Одноклассники не ответили вовремя", None, str(exc))
    detail = str(exc)
    if exc.code in TEMPORARY:
        return PublishError("temporary", "Одноклассники временно не принимают запросы", 2.0, detail)
    if exc.code in AUTH:
        return PublishError("auth", AUTH[exc.code], None, detail)
    reason = REJECTED.get(exc.code, exc.message)
    return PublishError("rejected", f"Одноклассники отклонили публикацию: {reason}", None, detail)


class OKGroup(Publisher):
    network = Network.ok

    def __init__(self, api: OKApi, group_id: str) -> None:
        self._api = api
        self._gid = group_id

    def check(self, post: OutgoingPost) -> Check:
        problems = []
        if not post.text.strip() and not post.media:
            problems.append("пустая публикация")
        if post.documents:
            problems.append(refusal([MediaKind.document], "в темах группы нет файлов"))
        return Check(problems=tuple(problems))

    async def publish(self, post: OutgoingPost) -> Published:
        media: list[dict] = []
        if post.text.strip():
            media.append({"type": "text", "text": post.text})
        photos = list(post.photos)
        try:
            if photos:
                tokens = await self._upload(photos)
                media.append({"type": "photo", "list": [{"id": t} for t in tokens]})
            if post.videos:
                ids = [await self._upload_video(m) for m in post.videos]
                media.append({"type": "movie", "list": [{"id": i} for i in ids]})
        except (OKCallError, OKUnavailable) as exc:
            raise sorted_error(exc) from exc  # nothing is in the group yet
        if post.poll is not None:
            media.append(poll_media(post.poll))
        attachment = json.dumps({"media": media}, ensure_ascii=False)
        try:
            topic_id = await self._api.call(
                "mediatopic.post", gid=self._gid, type="GROUP_THEME", attachment=attachment
            )
        except (OKCallError, OKUnavailable) as exc:
            raise sorted_error(exc, posting=True) from exc
        topic_id = str(topic_id).strip('"')
        published = Published(topic_id, f"https://ok.ru/group/{self._gid}/topic/{topic_id}")
        if post.poll is not None:
            await post.part_sent(POLL_PART, published)  # the poll lives in the topic itself
        return published

    async def poll_results(self, poll: PollSpec, ref: Published) -> PollTally:
        try:
            answer = await self._api.call(
                "mediatopic.getByIds", topic_ids=ref.external_id, fields="media_topic.*,poll.*"
            )
        except (OKCallError, OKUnavailable) as exc:
            raise sorted_error(exc) from exc
        try:
            found = answer["entities"]["polls"][0]
            votes = {a["text"]: int(a.get("votes_count", 0)) for a in found["answers"]}
        except (KeyError, IndexError, TypeError) as exc:
            raise PublishError(
                "rejected", "Одноклассники не отдали итоги опроса", None, repr(answer)
            ) from exc
        return PollTally(tuple(votes.get(o, 0) for o in poll.options))

    async def _upload(self, photos: list) -> list[str]:
        slot = await self._api.call("photosV2.getUploadUrl", gid=self._gid, count=len(photos))
        answer = await self._api.upload(
            slot["upload_url"], [(m.filename, m.read(), m.mime_type) for m in photos]
        )
        uploaded = answer.get("photos") or {}
        try:
            return [uploaded[photo_id]["token"] for photo_id in slot["photo_ids"]]
        except (KeyError, TypeError) as exc:
            raise OKUnavailable(f"upload answer without tokens: {answer!r}") from exc

    async def _upload_video(self, item: MediaItem) -> str:
        slot = await self._api.call(
            "video.getUploadUrl", gid=self._gid, file_name=item.filename, file_size=item.nbytes
        )
        await self._api.upload(
            slot["upload_url"], [(item.filename, item.read(), item.mime_type)], field="data"
        )
        video_id = str(slot["video_id"])
        await self._api.call("video.update", vid=video_id, title=item.filename)
        return video_id

    def home_url(self) -> str:
        return f"https://ok.ru/group/{self._gid}"

    async def close(self) -> None:
        await self._api.close()


def connect(config: Config, secrets: Secrets, published: PublishedRefs) -> Connection | None:
    settings = config.ok
    keys = (secrets.ok_access_token, secrets.ok_application_key, secrets.ok_application_secret)
    if not settings.wanted() or any(key is None for key in keys):
        return None
    token, app_key, app_secret = (key.get_secret_value() for key in keys if key is not None)
    api = OKApi(settings.api_base_url, token, app_key, app_secret, settings.request_timeout)
    moderator = None
    if config.moderation.enabled:
        moderator = OKComments(
            api,
            settings.group_id,
            published,
            settings.check_comments_every_seconds,
            timedelta(days=config.moderation.catchup_days),
        )
    return Connection(
        Network.ok,
        OKGroup(api, settings.group_id),
        moderator,
        access=OKAccess(api, settings.group_id),
        stats=OKStats(api),
    )


def poll_media(poll: PollSpec) -> dict:
    kind = "MultipleChoice" if poll.multiple else "SingleChoice"
    return {
        "type": "poll",
        "question": poll.question,
        "answers": [{"text": option} for option in poll.options],
        "options": f"{kind},AnonymousVoting",
    }
