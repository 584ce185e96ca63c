"""GraphEmulator: a local Graph API for one or more Facebook Pages and their Instagram accounts.

It keeps state, checks tokens as Graph does (none → 104, unknown → 190, expired → 190/463,
a wrong or missing appsecret_proof when the app requires one → 100), refuses unknown nodes,
edges and fields with Graph's own messages, sends X-Business-Use-Case-Usage headers, injects
timeouts, 5xx pages, rate limits and expired tokens, and — like Instagram — fetches a
container's media itself from the public URL it was given.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import secrets
import time
from collections.abc import Callable
from typing import Any

import aiohttp
from aiohttp import web

from ..common import Served, WatchesState
from .nodes import Nodes
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
        self.app = web.Application(client_max_size=100 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/_emu/state", self._control_state),
                web.post("/_emu/comment", self._control_comment),
                web.get("/_emu/media/{id}/{index}", self._control_media),
                web.route("*", "/{version}/{path:.*}", self._handle),
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

    # ---- HTTP ---------------------------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        params: dict[str, str] = dict(request.query)
        files: dict[str, bytes] = {}
        if request.method in ("POST", "DELETE") and request.body_exists:
            if request.content_type.startswith("multipart/"):
                async for part in await request.multipart():
                    if part.filename:  # type: ignore[union-attr]
                        files[part.name] = await part.read()  # type: ignore[union-attr]
                    else:
                        params[part.name] = await part.text()  # type: ignore[union-attr]
            else:
                params.update({k: str(v) for k, v in (await request.post()).items()})
        path = request.match_info["path"].strip("/")
        self.requests.append((request.method, path, {k: v for k, v in params.items()}))
        try:
            await self._fault(request.method, path)
            token = self._authorise(request, params)
            answer = self._route(request.method, path, params, files, token)
        except GraphFail as fail:
            return self._reply(fail.body(), fail.status)
        except _Html as page:
            return web.Response(status=page.status, text=page.text, content_type="text/html")
        return self._reply(answer, 200)

    def _reply(self, body: dict[str, Any], status: int) -> web.Response:
        headers = {}
        if self.usage_percent:
            usage = {
                "type": "pages",
                "call_count": self.usage_percent,
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": self.regain_minutes,
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps({"1000": [usage]})
        return web.json_response(body, status=status, headers=headers)

    async def _fault(self, method: str, path: str) -> None:
        for fault in self.faults:
            if (
                fault.count <= 0
                or fault.path not in path
                or (fault.method and fault.method != method)
            ):
                continue
            fault.count -= 1
            if fault.kind == "timeout":
                await asyncio.sleep(self.fault_timeout)
                raise _Html(504, "<html>Gateway Timeout</html>")
            if fault.kind == "5xx":  # Graph's own transient failure, which says to retry
                raise GraphFail(
                    2,
                    "An unexpected error has occurred. Please retry your request later.",
                    status=500,
                )
            if fault.kind == "html":  # a proxy's page instead of Graph's answer
                raise _Html(502, "<html><body>502 Bad Gateway</body></html>")
            if fault.kind == "rate":
                self.usage_percent = 100
                raise GraphFail(32, "(#32) Page request limit reached", status=400)
            if fault.kind == "expired":
                raise GraphFail(
                    190, "Error validating access token: Session has expired.", 463, 400
                )
            return

    def _authorise(self, request: web.Request, params: dict[str, str]) -> Token:
        raw = params.pop("access_token", "")
        header = request.headers.get("Authorization", "")
        if not raw and header.split(" ")[0] in ("Bearer", "OAuth"):
            raw = header.split(" ", 1)[1]
        proof = params.pop("appsecret_proof", "")
        if not raw:
            raise GraphFail(104, "An access token is required to request this resource.")
        token = self.state.tokens.get(raw)
        if token is None:
            raise GraphFail(190, "Invalid OAuth access token - Cannot parse access token")
        if token.expired:
            raise GraphFail(190, "Error validating access token: Session has expired.", 463)
        if self.app_secret:
            if not proof:
                raise GraphFail(
                    100, "API calls from the server require an appsecret_proof argument"
                )
            wanted = hmac.new(self.app_secret.encode(), raw.encode(), hashlib.sha256).hexdigest()
            if not hmac.compare_digest(wanted, proof):
                raise GraphFail(100, "Invalid appsecret_proof provided in the API argument")
        return token

    def _route(
        self,
        method: str,
        path: str,
        params: dict[str, str],
        files: dict[str, bytes],
        token: Token,
    ) -> dict[str, Any]:
        if path == "debug_token" and method == "GET":
            return self._debug_token(params, token)
        parts = path.split("/")
        if len(parts) > 2 or not parts[0]:
            raise GraphFail(2500, f"Unknown path components: /{'/'.join(parts[2:])}")
        obj = self.state.get(parts[0])
        self._owned(obj, token)
        edge = parts[1] if len(parts) == 2 else ""
        if method == "GET":
            if edge:
                return self.nodes.edge_get(obj, edge, params)
            return self.nodes.view(obj, params.get("fields"))
        if method == "POST":
            if edge:
                return self.nodes.edge_post(obj, edge, params, files)
            return self.nodes.node_post(obj, params)
        if method == "DELETE" and not edge:
            return self.nodes.node_delete(obj)
        raise GraphFail(100, f"(#100) Unsupported {method} request")

    def _debug_token(self, params: dict[str, str], caller: Token) -> dict[str, Any]:
        """GET /debug_token?input_token=…: what Meta says about a token (here: the caller's own
        or another Page token of this app)."""
        raw = params.get("input_token", "")
        token = self.state.tokens.get(raw)
        if token is None:
            raise GraphFail(190, "Invalid OAuth access token - Cannot parse access token")
        data: dict[str, Any] = {
            "app_id": "1000",
            "type": "PAGE",
            "application": "pressdesk",
            "is_valid": not token.expired,
            "expires_at": token.expires_at,
            "data_access_expires_at": 0,
            "scopes": list(token.scopes),
            "profile_id": token.page_id,
            "user_id": "1",
        }
        if token.expired:
            data["error"] = {"code": 190, "message": "Session has expired", "subcode": 463}
        return {"data": data}

    def _owned(self, obj: dict[str, Any], token: Token) -> None:
        page = self.state.objects[token.page_id]
        mine = {page["id"], page.get("ig_user_id")}
        owner = obj["id"] if obj["type"] in ("page", "ig_user") else obj.get("owner")
        if owner not in mine:
            raise GraphFail(200, "(#200) Permissions error", type="OAuthException")

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


class _Html(Exception):
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text


def _public(comment: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": comment["id"],
        "text": comment.get("message", comment.get("text", "")),
        "author": (comment.get("from") or {}).get("name") or comment.get("username", ""),
        "hidden": bool(comment.get("is_hidden") or comment.get("hidden")),
        "deleted": bool(comment.get("deleted")),
        "reply": comment.get("parent_id") not in (comment.get("post_id"), comment.get("media_id")),
    }
