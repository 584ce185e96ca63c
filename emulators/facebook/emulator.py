"""GraphEmulator: a local Graph API for one or more Facebook Pages and their Instagram accounts.

It keeps state, checks tokens as Graph does (none → 104, unknown → 190, expired → 190/463,
a wrong or missing appsecret_proof when the app requires one → 100), refuses unknown nodes,
edges and fields with Graph's own messages, sends X-Business-Use-Case-Usage headers, injects
timeouts, 5xx pages, rate limits and expired tokens, and — like Instagram — fetches a
container's media itself from the public URL it was given. This module keeps the world and the
sandbox page's routes; a request's way through Graph is emulators/facebook/server.py, the nodes
and edges emulators/facebook/nodes.py.
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from ..common import Served, WatchesState
from .nodes import Nodes
from .server import GraphServer
from .state import Fault, GraphFail, State, Token

JPEG = b"\xff\xd8"


class GraphEmulator(WatchesState, Served):
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.state = State(clock)
        self.nodes = Nodes(self)
        self.app_secret: str | None = None
        self.quota_total = 50  # Instagram posts through the API in 24 hours
        self.usage_percent = 0  # reported in X-Business-Use-Case-Usage
        self.regain_minutes = 0
        self.fetch_delay = 0.0  # how long Instagram "processes" fetched media
        self.fault_timeout = 30.0
        self.faults: list[Fault] = []
        self.requests: list[tuple[str, str, dict[str, str]]] = []
        self.fetches: list[tuple[str, int]] = []  # (url, HTTP status) Instagram fetched
        self.publishes: list[tuple[str, float]] = []
        self._client: aiohttp.ClientSession | None = None
        self._tasks: set[asyncio.Task] = set()
        self.server = GraphServer(self)
        self.app = web.Application(client_max_size=100 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/_emu/state", self._control_state),
                web.post("/_emu/comment", self._control_comment),
                web.get("/_emu/media/{id}/{index}", self._control_media),
                web.route("*", "/{version}/{path:.*}", self.server.handle),
            ]
        )

    # ---- lifecycle ----------------------------------------------------------------------------
    async def _wind_down(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._client is not None:
            await self._client.close()

    # ---- the world ----------------------------------------------------------------------------
    def add_page(
        self, page_id: str, name: str, ig_user_id: str = "", ig_username: str = ""
    ) -> dict[str, Any]:
        page = self.state.add(
            {"id": page_id, "type": "page", "name": name, "ig_user_id": ig_user_id, "created": 0}
        )
        if ig_user_id:
            self.state.add(
                {
                    "id": ig_user_id,
                    "type": "ig_user",
                    "username": ig_username or name,
                    "name": name,
                    "page_id": page_id,
                    "created": 0,
                }
            )
        return page

    def issue_token(
        self, page_id: str, scopes: tuple[str, ...] | None = None, expires_at: int = 0
    ) -> str:
        token = "EAAG" + secrets.token_hex(24)
        self.state.tokens[token] = Token(page_id, expires_at=expires_at)
        if scopes is not None:
            self.state.tokens[token].scopes = tuple(scopes)
        return token

    def expire_token(self, token: str) -> None:
        self.state.tokens[token].expired = True

    def inject_fault(self, kind: str, count: int = 1, path: str = "", method: str = "") -> None:
        """The next `count` requests (on paths containing `path`) fail: "timeout" (held, then
        504), "5xx" (Graph's code 2 with HTTP 500, nothing applied), "html" (a proxy's 502 page),
        "rate" (code 32 with usage at 100 %) or "expired" (code 190)."""
        self.faults.append(Fault(kind, count, path, method))

    def post_comment(
        self, parent_id: str, author_id: str, author_name: str, text: str
    ) -> dict[str, Any]:
        """A citizen comments on a Page post or IG media (or answers a comment there)."""
        parent = self.state.get(parent_id)
        number = self.state.new_id()
        seq = len(self.state.objects)
        if parent["type"] in ("post", "comment"):
            post_id = parent["id"] if parent["type"] == "post" else parent["post_id"]
            short = post_id.split("_")[-1]
            page_id = post_id.split("_")[0]
            comment = {
                "id": f"{short}_{number}",
                "type": "comment",
                "owner": page_id,
                "parent_id": parent_id,
                "post_id": post_id,
                "message": text,
                "from": {"id": author_id, "name": author_name},
                "created_time": self.state.stamp(),
                "permalink_url": f"https://www.facebook.com/{post_id}?comment_id={number}",
                "is_hidden": False,
            }
        else:
            media_id = parent["id"] if parent["type"] == "ig_media" else parent["media_id"]
            comment = {
                "id": number,
                "type": "ig_comment",
                "owner": parent["owner"],
                "parent_id": parent_id,
                "media_id": media_id,
                "text": text,
                "username": author_name,
                "from": {"id": author_id, "username": author_name},
                "timestamp": self.state.stamp(),
                "hidden": False,
            }
        comment.update(created=self.state.clock(), seq=seq)
        self.state.add(comment)
        self.state.notify({"kind": "comment", "id": comment["id"]})
        return comment

    def page_post(self, page_id: str, text: str) -> dict[str, Any]:
        """A post the Page made by other means (by hand on facebook.com)."""
        return self.nodes.new_post(self.state.get(page_id), text, [])

    def ig_post(self, user_id: str, caption: str, image: bytes = JPEG + b"emu") -> dict[str, Any]:
        """A post the account made by other means (in the Instagram app)."""
        container = self.state.add(
            {
                "id": self.state.new_id(),
                "type": "container",
                "owner": user_id,
                "media_type": "IMAGE",
                "caption": caption,
                "is_carousel_item": False,
                "status_code": "FINISHED",
                "data": image,
                "created": self.state.clock(),
            }
        )
        media_id = self.nodes.edge_post(
            self.state.get(user_id), "media_publish", {"creation_id": container["id"]}, {}
        )["id"]
        return self.state.objects[media_id]

    def feed(self, page_id: str) -> list[dict[str, Any]]:
        """The Page's posts, oldest first, with their photos' bytes."""
        posts = list(reversed(self.state.of_type("post", page_id)))
        return [
            {**p, "photo_bytes": [self.state.objects[i]["data"] for i in p["photos"]]}
            for p in posts
        ]

    def ig_media(self, user_id: str) -> list[dict[str, Any]]:
        return list(reversed(self.state.of_type("ig_media", user_id)))

    def comment(self, comment_id: str) -> dict[str, Any]:
        return self.state.objects[comment_id]

    def published_in_window(self, user_id: str) -> int:
        since = self.state.clock() - 86400
        return sum(1 for u, at in self.publishes if u == user_id and at >= since)

    # ---- Instagram fetching the media ---------------------------------------------------------
    def fetch_later(self, container: dict[str, Any], url: str) -> None:
        task = asyncio.create_task(self._fetch(container, url))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _fetch(self, container: dict[str, Any], url: str) -> None:
        if self._client is None:
            self._client = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=10))
        try:
            async with self._client.get(url) as response:
                data = await response.read()
                status = response.status
                mime = response.headers.get("Content-Type", "")
        except (aiohttp.ClientError, TimeoutError) as exc:
            data, status, mime = b"", 0, repr(exc)
        self.fetches.append((url, status))
        await asyncio.sleep(self.fetch_delay)
        video = container["media_type"] in ("REELS", "VIDEO")
        # Instagram takes JPEG only; the adapter checks the file's type before it gets here.
        kind_ok = mime.startswith("video/") if video else mime.startswith("image/jpeg")
        good = status == 200 and bool(data) and kind_ok
        if good:
            container.update(data=data, status_code="FINISHED", status="Finished: Media uploaded")
        else:
            container.update(
                status_code="ERROR",
                status=f"Error: The media could not be fetched from this uri (HTTP {status})",
            )
        self.state.notify({"kind": "container", "id": container["id"]})

    # ---- control API (the sandbox page) ------------------------------------------------------
    async def _control_state(self, request: web.Request) -> web.Response:
        pages = []
        for page in [o for o in self.state.objects.values() if o["type"] == "page"]:
            posts = [
                {
                    "id": p["id"],
                    "message": p["message"],
                    "created_time": p["created_time"],
                    "photos": len(p["photos"]),
                    "comments": [_public(c) for c in self._thread(p["id"], "comment")],
                }
                for p in self.feed(page["id"])
            ]
            media = [
                {
                    "id": m["id"],
                    "caption": m["caption"],
                    "permalink": m["permalink"],
                    "images": len(m["images"]),
                    "comments": [_public(c) for c in self._thread(m["id"], "ig_comment")],
                }
                for m in self.ig_media(page.get("ig_user_id", ""))
            ]
            pages.append({"id": page["id"], "name": page["name"], "posts": posts, "media": media})
        return web.json_response({"pages": pages})

    def _thread(self, root: str, kind: str) -> list[dict[str, Any]]:
        key = "post_id" if kind == "comment" else "media_id"
        found = [o for o in self.state.objects.values() if o["type"] == kind and o.get(key) == root]
        return sorted(found, key=lambda c: c["seq"])

    async def _control_comment(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            comment = self.post_comment(
                str(body["parent_id"]), str(body["author_id"]), body["author_name"], body["text"]
            )
        except (KeyError, GraphFail) as exc:
            return web.json_response({"error": repr(exc)}, status=400)
        return web.json_response(_public(comment))

    async def _control_media(self, request: web.Request) -> web.Response:
        obj = self.state.objects.get(request.match_info["id"])
        index = int(request.match_info["index"])
        if obj is None:
            raise web.HTTPNotFound()
        if obj["type"] == "post":
            data = self.state.objects[obj["photos"][index]]["data"]
        else:
            data = obj["images"][index]
        return web.Response(body=data, content_type="image/jpeg")


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": comment["id"],
        "text": comment.get("message", comment.get("text", "")),
        "author": (comment.get("from") or {}).get("name") or comment.get("username", ""),
        "hidden": bool(comment.get("is_hidden") or comment.get("hidden")),
        "deleted": bool(comment.get("deleted")),
        "reply": comment.get("parent_id") not in (comment.get("post_id"), comment.get("media_id")),
    }
