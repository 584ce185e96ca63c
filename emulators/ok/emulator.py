"""OKEmulator: a local OK REST API (fb.do), its photo upload server and a control API.

Keeps state (applications, tokens, groups, topics with photos, comments), validates requests
as OK does (api.py) and injects faults: a timeout, a 5xx page, a rate limit refusal or any OK
error code. Citizens comment through `post_comment` or POST /_emu/ok/topics/{id}/comments,
and write to a group through `bot_api.citizen_writes` (graph.py: the Bot API's messages).
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Literal

from aiohttp import web

from emulators.common import Fault, Faults, Served, Watchable, Windows, dumps

from .api import Methods, OKError
from .graph import GroupMessages

# OK does not publish its per-application request limit; the emulator refuses beyond this
# many calls a second with FLOOD_BLOCKED (8) so the adapter's pacing is exercised.
RPS = 20


class State:
    def __init__(self, emu: OKEmulator, clock: Callable[[], float]) -> None:
        self.emu = emu
        self.clock = clock
        self.apps: dict[str, str] = {}  # application_key -> application_secret_key
        self.tokens: dict[str, dict] = {}
        self.groups: dict[str, dict] = {}
        self.users: dict[str, dict] = {}
        self.topics: dict[str, dict] = {}
        self.pending_photos: dict[str, dict] = {}  # photo id -> upload slot
        self.uploaded: dict[str, dict] = {}  # upload token -> photo
        self.photo_data: dict[str, bytes] = {}
        self.videos: dict[str, dict] = {}  # video id -> {id, gid, title, size, data, updated}
        self._seq = 900_000_000_000

    def next_id(self) -> str:
        self._seq += 1
        return str(self._seq)

    def changed(self, kind: str, topic_id: str = "") -> None:
        self.emu.notify({"kind": kind, "topic_id": topic_id})

    def add_topic(
        self, gid: str, group: dict, text: str, photos: list[dict], videos: list[dict] | None = None
    ) -> str:
        topic_id = self.next_id()
        self.topics[topic_id] = {
            "id": topic_id,
            "gid": gid,
            "text": text,
            "photos": photos,
            "videos": list(videos or []),
            "created_ms": int(self.clock() * 1000),
            "comments": [],
        }
        group["topics"].append(topic_id)
        self.changed("topic", topic_id)
        return topic_id


def is_video(data: bytes) -> bool:
    """An ISO BMFF (MP4, MOV) or AVI file, by its signature."""
    head = data[:12]
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"wide", b"free") or (
        head[:4] == b"RIFF" and head[8:12] == b"AVI "
    )


class OKEmulator(Watchable, Served):
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.state = State(self, clock)
        self.methods = Methods(self)
        self.faults = Faults()
        self.fault_timeout = 30.0
        self.requests: list[tuple[str, dict]] = []
        self._window = Windows()
        self.bot_api = GroupMessages(self)  # the groups' messages (Bot API, /graph/me)
        self.app = web.Application(client_max_size=210 * 1024 * 1024)
        self.app.add_routes(self.bot_api.routes())
        self.app.add_routes(
            [
                web.route("*", "/fb.do", self._fb_do),
                web.post("/uploadImage", self._upload),
                web.post("/uploadVideo", self._upload_video),
                web.get("/_emu/ok/groups/{gid}", self._feed),
                web.post("/_emu/ok/topics/{topic_id}/comments", self._comment),
                web.post("/_emu/ok/topics/{topic_id}/vote", self._vote),
                web.get("/_emu/ok/photos/{photo_id}", self._photo),
                web.get("/_emu/ok/videos/{video_id}", self._video),
            ]
        )

    @property
    def api_url(self) -> str:
        return self.base_url + "/fb.do"

    @property
    def graph_url(self) -> str:
        return self.base_url + "/graph"

    async def _wind_down(self) -> None:
        await self.bot_api.stop()
        await super()._wind_down()

    # -- the world -------------------------------------------------------------------------
    def add_app(self) -> tuple[str, str]:
        """A registered application: (application_key, application_secret_key)."""
        key = "CB" + secrets.token_hex(7).upper()
        secret = secrets.token_hex(12).upper()
        self.state.apps[key] = secret
        return key, secret

    def add_group(self, gid: str, name: str) -> None:
        self.state.groups[gid] = {"name": name, "topics": []}

    def add_user(self, uid: str, first_name: str, last_name: str) -> None:
        self.state.users[uid] = {
            "first_name": first_name,
            "last_name": last_name,
            "name": f"{first_name} {last_name}",
        }

    def issue_token(
        self,
        app_key: str,
        admin_of: list[str],
        perms: tuple[str, ...] = ("GROUP_CONTENT", "PHOTO_CONTENT", "VALUABLE_ACCESS"),
    ) -> str:
        """An "eternal" access token of a group admin for this application."""
        token = "tkn1" + secrets.token_urlsafe(40)
        uid = str(900_000_000_000 + len(self.state.tokens) + 1)
        self.state.tokens[token] = {
            "app": app_key,
            "admin_of": set(admin_of),
            "uid": uid,
            "perms": set(perms),
        }
        return token

    def revoke(self, token: str) -> None:
        self.state.tokens.pop(token, None)

    def post_comment(self, topic_id: str, uid: str, text: str, reply_to: str | None = None) -> dict:
        topic = self.state.topics[topic_id]
        user = self.state.users.get(uid, {"name": ""})
        stamp = datetime.fromtimestamp(self.state.clock(), UTC)
        comment = {
            "id": self.state.next_id(),
            "text": text,
            "author_id": uid,
            "author_name": user["name"],
            "date": stamp.strftime("%Y-%m-%d %H:%M:%S"),
            "reply_to_comment_id": reply_to,
            "deleted": False,
        }
        topic["comments"].append(comment)
        self.state.changed("comment", topic_id)
        return dict(comment)

    # -- what is there to see --------------------------------------------------------------
    def topics(self, gid: str) -> list[dict]:
        group = self.state.groups.get(gid, {"topics": []})
        return [self.state.topics[t] for t in group["topics"]]

    def vote(self, topic_id: str, counts: list[int]) -> None:
        poll = self.state.topics[topic_id]["poll"]
        for answer, count in zip(poll["answers"], counts, strict=True):
            answer["votes_count"] = count
        self.state.changed("vote", topic_id)

    def comments(self, topic_id: str, include_deleted: bool = False) -> list[dict]:
        found = self.state.topics[topic_id]["comments"]
        return [dict(c) for c in found if include_deleted or not c["deleted"]]

    def calls(self, method: str) -> list[dict]:
        return [params for name, params in self.requests if name == method]

    def inject_fault(
        self,
        method: str,
        kind: Literal["timeout", "500", "429", "error"],
        count: int = 1,
        code: int = 9999,
    ) -> None:
        self.faults.add(Fault(method, kind, count, code))

    # -- HTTP ------------------------------------------------------------------------------
    async def _fb_do(self, request: web.Request) -> web.StreamResponse:
        params = dict(request.query)
        if request.method == "POST":
            form = await request.post()
            params.update({k: v for k, v in form.items() if isinstance(v, str)})
        method = params.get("method", "")
        self.requests.append((method, {k: v for k, v in params.items() if k != "access_token"}))
        fault = self.faults.take(method)
        if fault is not None and fault.kind == "timeout":
            try:
                await asyncio.wait_for(self.stopping.wait(), self.fault_timeout)
            except TimeoutError:
                pass
            return web.Response(status=504, text="Gateway Timeout")
        if fault is not None and fault.kind == "500":
            return web.Response(status=502, text="<html><body>502 Bad Gateway</body></html>")
        try:
            if fault is not None:
                raise OKError(8 if fault.kind == "429" else int(fault.code), "injected fault")
            self._pace()
            answer: Any = self.methods.call(params)
        except OKError as err:
            answer = err.answer()
        return web.json_response(answer, dumps=dumps)

    def _pace(self) -> None:
        if not self._window.admit("", RPS, self.state.clock()):
            raise OKError(8, "FLOOD_BLOCKED: too many requests")

    async def _upload(self, request: web.Request) -> web.Response:
        """The upload server: multipart files, one per photo id of the upload URL."""
        ids = [i for i in request.query.get("photoIds", "").split(",") if i]
        files: list[bytes] = []
        if request.content_type == "multipart/form-data":
            form = await request.post()
            files = [v.file.read() for v in form.values() if not isinstance(v, str)]
        if not ids or not files or len(files) > len(ids):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : no files"})
        photos = {}
        for photo_id, data in zip(ids, files, strict=False):
            slot = self.state.pending_photos.pop(photo_id, None)
            if slot is None:
                return web.json_response({"error_code": 100, "error_msg": "PARAM : photo id"})
            token = secrets.token_urlsafe(24)
            self.state.photo_data[photo_id] = data
            self.state.uploaded[token] = {"photo_id": photo_id, "size": len(data)}
            photos[photo_id] = {"token": token}
        return web.json_response({"photos": photos})

    async def _upload_video(self, request: web.Request) -> web.Response:
        """The video upload server: one multipart field `data`, its size as announced."""
        video = self.state.videos.get(request.query.get("id", ""))
        field = None
        if request.content_type == "multipart/form-data":
            field = (await request.post()).get("data")
        if video is None or field is None or isinstance(field, str):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : no data"})
        data = field.file.read()
        if len(data) != video["size"] or not is_video(data):
            return web.json_response({"error_code": 100, "error_msg": "PARAM : bad video file"})
        video["data"] = data
        self.state.changed("video")
        return web.json_response({})

    def video_bytes(self, video_id: str) -> bytes:
        return self.state.videos[video_id]["data"]

    async def _feed(self, request: web.Request) -> web.Response:
        gid = request.match_info["gid"]
        group = self.state.groups.get(gid)
        if group is None:
            raise web.HTTPNotFound()
        topics = []
        for topic in reversed(self.topics(gid)):
            photos = [f"/_emu/ok/photos/{p['photo_id']}" for p in topic["photos"]]
            videos = [
                {"title": v["title"], "src": f"/_emu/ok/videos/{v['id']}"}
                for v in topic.get("videos", [])
            ]
            comments = self.comments(topic["id"], include_deleted=True)
            topics.append({**topic, "photos": photos, "videos": videos, "comments": comments})
        return web.json_response({"gid": gid, "name": group["name"], "topics": topics})

    async def _vote(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            poll = self.state.topics[request.match_info["topic_id"]]["poll"]
            poll["answers"][int(body["option"])]["votes_count"] += 1
        except (KeyError, IndexError, ValueError, TypeError) as exc:
            return web.json_response({"error": f"no {exc}"}, status=400)
        self.state.changed("vote", request.match_info["topic_id"])
        return web.json_response(poll)

    async def _comment(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            comment = self.post_comment(
                request.match_info["topic_id"], str(body["uid"]), str(body["text"])
            )
        except KeyError as exc:
            return web.json_response({"error": f"no {exc}"}, status=400)
        return web.json_response(comment)

    async def _photo(self, request: web.Request) -> web.Response:
        data = self.state.photo_data.get(request.match_info["photo_id"])
        if data is None:
            raise web.HTTPNotFound()
        return web.Response(body=data, content_type="image/jpeg")

    async def _video(self, request: web.Request) -> web.Response:
        video = self.state.videos.get(request.match_info["video_id"])
        if video is None or not video["data"]:
            raise web.HTTPNotFound()
        return web.Response(body=video["data"], content_type="video/mp4")
