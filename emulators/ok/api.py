"""The methods of the fake OK REST API (POST /fb.do) and the checks OK makes before them.

What the checks follow: the signature rule of OK's documentation (the sorted "k=v" pairs
without access_token, then md5(access_token + application_secret_key), md5 of it all in
lowercase; apiok.ru/dev/methods/rest/photosV2/photosV2.getUploadUrl shows the rule), the
parameters of photosV2.getUploadUrl and mediatopic.post as apiok.ru lists them, and OK's error
answer {"error_code", "error_msg", "error_data"} with its numeric codes (3 METHOD, 100 PARAM,
101 PARAM_API_KEY, 102 PARAM_SESSION_EXPIRED, 104 PARAM_SIGNATURE, 10 PERMISSION_DENIED, 300
NOT_FOUND, 9999 SYSTEM: these numbers are OK's, but no page of them was found by search to
cite). `discussions.deleteComment` is the one method here OK's method list does not show.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .emulator import OKEmulator

ERRORS = {
    3: "METHOD",
    10: "PERMISSION_DENIED",
    100: "PARAM",
    101: "PARAM_API_KEY",
    102: "PARAM_SESSION_EXPIRED",
    104: "PARAM_SIGNATURE",
    300: "NOT_FOUND",
    9999: "SYSTEM",
}
MAX_PHOTOS = 50  # photosV2.getUploadUrl count per call, as far as the emulator checks
VIDEO_LIMIT = 2 * 1024**3  # a multipart video upload: at most 2 GB (apiok.ru video_upload)


class OKError(Exception):
    def __init__(self, code: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def answer(self) -> dict[str, Any]:
        return {
            "error_code": self.code,
            "error_msg": f"{ERRORS.get(self.code, 'UNKNOWN')} : {self.message}",
            "error_data": None,
        }


def signature(params: dict[str, str], access_token: str, secret_key: str) -> str:
    """OK's sig for a request made with an access token (the "eternal" group token too)."""
    session_secret = hashlib.md5((access_token + secret_key).encode()).hexdigest().lower()
    pairs = "".join(
        f"{k}={v}" for k, v in sorted(params.items()) if k not in ("sig", "access_token")
    )
    return hashlib.md5((pairs + session_secret).encode()).hexdigest().lower()


def required(params: dict[str, str], *names: str) -> None:
    for name in names:
        if not params.get(name):
            raise OKError(100, f"Missing required parameter {name}")


class Methods:
    def __init__(self, emu: OKEmulator) -> None:
        self.emu = emu
        self.table: dict[str, Callable[[dict[str, str], dict], Any]] = {
            "photosV2.getUploadUrl": self.get_upload_url,
            "mediatopic.post": self.mediatopic_post,
            "video.getUploadUrl": self.video_upload_url,
            "video.update": self.video_update,
            "mediatopic.getByIds": self.mediatopic_get,
            "discussions.getComments": self.get_comments,
            "discussions.deleteComment": self.delete_comment,
            "users.getInfo": self.users_info,
            "group.getInfo": self.group_info,
            "users.getCurrentUser": self.current_user,
            "users.hasAppPermission": self.has_permission,
            "group.getUserGroupsByIds": self.user_groups,
        }

    def call(self, params: dict[str, str]) -> Any:
        """OK's order: the method, the application, the signature, the session, the method."""
        state = self.emu.state
        method = params.get("method", "")
        if method not in self.table:
            raise OKError(3, f"Method {method or '(none)'} not found")
        app_key = params.get("application_key", "")
        secret = state.apps.get(app_key)
        if secret is None:
            raise OKError(101, "Application key is missing or unknown")
        token_value = params.get("access_token", "")
        token = state.tokens.get(token_value)
        if not params.get("sig") or params["sig"] != signature(params, token_value, secret):
            raise OKError(104, "Invalid signature")
        if token is None or token["app"] != app_key:
            raise OKError(102, "Session expired or invalid access_token")
        return self.table[method](params, token)

    def _admin(self, token: dict, gid: str) -> dict:
        group = self.emu.state.groups.get(gid)
        if group is None:
            raise OKError(300, f"Group {gid} not found")
        if gid not in token["admin_of"]:
            raise OKError(10, "No permission to post in this group")
        return group

    def get_upload_url(self, params: dict[str, str], token: dict) -> dict:
        gid = params.get("gid", "")
        if gid:
            self._admin(token, gid)
        count = int(params.get("count") or 1)
        if not 1 <= count <= MAX_PHOTOS:
            raise OKError(100, f"count must be within 1..{MAX_PHOTOS}")
        ids = [secrets.token_urlsafe(18) for _ in range(count)]
        for photo_id in ids:
            self.emu.state.pending_photos[photo_id] = {"gid": gid, "token": None}
        query = f"apiToken={secrets.token_hex(8)}&photoIds={','.join(ids)}"
        url = f"{self.emu.base_url}/uploadImage?{query}"
        return {"photo_ids": ids, "upload_url": url, "expires_ms": 0, "ttl_ms": 86_400_000}

    def mediatopic_post(self, params: dict[str, str], token: dict) -> str:
        required(params, "attachment")
        kind, gid = params.get("type", ""), params.get("gid", "")
        if gid and kind not in ("GROUP_THEME", "GROUP_THEME_PROMO"):
            raise OKError(100, "gid requires type=GROUP_THEME or GROUP_THEME_PROMO")
        if kind == "GROUP_THEME" and not gid:
            raise OKError(100, "Missing required parameter gid")
        group = self._admin(token, gid)
        try:
            attachment = json.loads(params["attachment"])
            media = attachment["media"]
        except (ValueError, KeyError, TypeError) as exc:
            raise OKError(100, f"Invalid attachment: {exc}") from None
        text_parts, photos, videos, polls = [], [], [], []
        for item in media:
            if item.get("type") == "text":
                text_parts.append(str(item.get("text", "")))
            elif item.get("type") == "photo":
                for ref in item.get("list", []):
                    photo = self.emu.state.uploaded.pop(str(ref.get("id")), None)
                    if photo is None:
                        raise OKError(100, f"Invalid photo token {ref.get('id')}")
                    photos.append(photo)
            elif item.get("type") == "movie":
                for ref in item.get("list", []):
                    video = self.emu.state.videos.get(str(ref.get("id")))
                    if video is None or video["gid"] != gid or not video["data"]:
                        raise OKError(100, f"Invalid video id {ref.get('id')}")
                    if not video["updated"]:  # the upload was never completed by video.update
                        raise OKError(100, f"Video {ref.get('id')} is not uploaded")
                    videos.append({"id": video["id"], "title": video["title"]})
            elif item.get("type") == "poll":
                polls.append(poll_of(item))
            else:
                raise OKError(100, f"Unsupported media type {item.get('type')}")
        if not text_parts and not photos and not videos:
            raise OKError(100, "Empty media topic")
        if len(polls) > 1:
            raise OKError(100, "Only one poll per media topic")
        topic_id = self.emu.state.add_topic(gid, group, "\n".join(text_parts), photos, videos)
        if polls:
            self.emu.state.topics[topic_id]["poll"] = polls[0]
        return topic_id

    def mediatopic_get(self, params: dict[str, str], token: dict) -> dict:
        """The topics and, among the entities, their polls (NOT confirmed against OK); the
        counters the `fields` ask for (media_topic.LIKE_SUMMARY, … or media_topic.*)."""
        required(params, "topic_ids")
        if len(params["topic_ids"].split(",")) > 100:
            raise OKError(100, "topic_ids: no more than 100")
        topics, polls = [], []
        for topic_id in params["topic_ids"].split(","):
            topic = self.emu.state.topics.get(topic_id)
            if topic is None:
                continue
            media: list[dict] = [{"type": "text", "text": topic["text"]}]
            if topic.get("poll"):
                ref = f"poll:{topic_id}"
                media.append({"type": "poll", "poll_ref": ref})
                polls.append({"ref": ref, **topic["poll"]})
            topics.append({"id": topic_id, "media": media, **counters(topic, params)})
        return {"media_topics": topics, "entities": {"polls": polls}}

    def video_upload_url(self, params: dict[str, str], token: dict) -> dict:
        """apiok.ru/en/dev/examples/video_upload: a video id and the URL to POST `data` to."""
        required(params, "file_name", "file_size")
        gid = params.get("gid", "")
        if gid:
            self._admin(token, gid)
        size = int(params["file_size"] or 0)
        if not 0 < size <= VIDEO_LIMIT:
            raise OKError(100, f"file_size must be within 1..{VIDEO_LIMIT}")
        video_id = self.emu.state.next_id()
        self.emu.state.videos[video_id] = {
            "id": video_id,
            "gid": gid,
            "title": params["file_name"],
            "size": size,
            "data": b"",
            "updated": False,
        }
        url = f"{self.emu.base_url}/uploadVideo?id={video_id}&apiToken={secrets.token_hex(8)}"
        return {"video_id": int(video_id), "upload_url": url}

    def video_update(self, params: dict[str, str], token: dict) -> dict:
        """Completes the upload (apiok.ru/dev/methods/rest/video/video.update)."""
        required(params, "vid")
        video = self.emu.state.videos.get(params["vid"])
        if video is None or not video["data"]:
            raise OKError(300, f"Video {params['vid']} not found")
        if video["gid"]:
            self._admin(token, video["gid"])
        video["updated"] = True
        if params.get("title"):
            video["title"] = params["title"][:1000]
        return {}

    def get_comments(self, params: dict[str, str], token: dict) -> dict:
        required(params, "discussionId", "discussionType")
        topic = self.emu.state.topics.get(params["discussionId"])
        if topic is None or params["discussionType"] != "GROUP_TOPIC":
            raise OKError(300, "Discussion not found")
        count = min(int(params.get("count") or 20), 100)
        start = int(params.get("anchor") or 0)
        alive = [c for c in topic["comments"] if not c["deleted"]]
        page = alive[start : start + count]
        end = start + len(page)
        return {
            "discussionId": topic["id"],
            "discussionType": "GROUP_TOPIC",
            "comments": [public_comment(c) for c in page],
            "has_more": end < len(alive),
            "anchor": str(end),
        }

    def delete_comment(self, params: dict[str, str], token: dict) -> dict:
        required(params, "discussionId", "discussionType", "commentId")
        topic = self.emu.state.topics.get(params["discussionId"])
        if topic is None:
            raise OKError(300, "Discussion not found")
        self._admin(token, topic["gid"])
        comment = next((c for c in topic["comments"] if c["id"] == params["commentId"]), None)
        if comment is None or comment["deleted"]:
            raise OKError(300, "Comment not found")
        comment["deleted"] = True
        self.emu.state.changed("comment_deleted", topic["id"])
        return {"success": True}

    def users_info(self, params: dict[str, str], token: dict) -> list[dict]:
        required(params, "uids", "fields")
        users = self.emu.state.users
        return [{"uid": uid, **users[uid]} for uid in params["uids"].split(",") if uid in users]

    def group_info(self, params: dict[str, str], token: dict) -> list[dict]:
        required(params, "uids", "fields")
        groups = self.emu.state.groups
        fields = params["fields"].lower().split(",")
        found = []
        for gid in params["uids"].split(","):
            if gid not in groups:
                continue
            group = {"uid": gid, "name": groups[gid]["name"]}
            if "members_count" in fields:
                group["members_count"] = groups[gid].get("members_count", 0)
            if "shortname" in fields and groups[gid].get("shortname"):
                group["shortname"] = groups[gid]["shortname"]
            found.append(group)
        return found

    def current_user(self, params: dict[str, str], token: dict) -> dict:
        return {"uid": token["uid"]}

    def has_permission(self, params: dict[str, str], token: dict) -> bool:
        required(params, "ext_perm")
        return params["ext_perm"] in token["perms"]

    def user_groups(self, params: dict[str, str], token: dict) -> list[dict]:
        required(params, "group_id", "uids")
        gid = params["group_id"]
        if gid not in self.emu.state.groups:
            raise OKError(300, f"Group {gid} not found")
        return [
            {
                "groupId": gid,
                "userId": uid,
                "status": "ADMIN" if uid == token["uid"] and gid in token["admin_of"] else "ACTIVE",
            }
            for uid in params["uids"].split(",")
        ]


POLL_ANSWERS = (2, 10)  # NOT confirmed: the limits the desk keeps to everywhere


def poll_of(item: dict) -> dict:
    question = str(item.get("question") or "").strip()
    answers = item.get("answers")
    if not question:
        raise OKError(100, "Poll question is empty")
    if not isinstance(answers, list) or not POLL_ANSWERS[0] <= len(answers) <= POLL_ANSWERS[1]:
        raise OKError(100, "Poll must have 2..10 answers")
    texts = [str(a.get("text") or "").strip() if isinstance(a, dict) else "" for a in answers]
    if not all(texts):
        raise OKError(100, "Poll answer is empty")
    options = {o.strip() for o in str(item.get("options") or "").split(",") if o.strip()}
    if not options & {"SingleChoice", "MultipleChoice"}:
        raise OKError(100, "Poll options must name SingleChoice or MultipleChoice")
    return {
        "question": question,
        "answers": [{"text": t, "votes_count": 0} for t in texts],
        "options": sorted(options),
    }


def counters(topic: dict, params: dict[str, str]) -> dict:
    fields = params.get("fields", "").upper().split(",")
    every = "MEDIA_TOPIC.*" in fields
    given = topic.get("counters", {})
    alive = [c for c in topic["comments"] if not c["deleted"]]
    out: dict[str, Any] = {}
    if every or "MEDIA_TOPIC.LIKE_SUMMARY" in fields:
        out["like_summary"] = {"count": given.get("likes", 0)}
    if every or "MEDIA_TOPIC.RESHARE_SUMMARY" in fields:
        out["reshare_summary"] = {"count": given.get("reshares", 0)}
    if every or "MEDIA_TOPIC.DISCUSSION_SUMMARY" in fields:
        out["discussion_summary"] = {"comments_count": len(alive)}
    if every or "MEDIA_TOPIC.VIEWS_COUNT" in fields:
        out["views_count"] = given.get("views", 0)
    return out


def public_comment(comment: dict) -> dict:
    keys = ("id", "text", "author_id", "author_name", "date", "reply_to_comment_id")
    return {k: comment[k] for k in keys if comment.get(k) is not None}
