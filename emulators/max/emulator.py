"""MaxEmulator: a local MAX Bot API (platform-api.max.ru) for the tests and the sandbox.

What it follows: the token only in the `Authorization` header (a token in the query string is
refused with 401, as the project's notes say MAX does now); POST /messages?chat_id=… with a
JSON body {text, attachments, format, notify}, text up to 4,000 characters; POST
/uploads?type=image|video|file → {url[, token]} → the file as multipart field `data` to that
url (dev.max.ru/docs-api/methods/POST/uploads); an attachment used at once may answer 400
{"code": "attachment.not.ready"}; about 30 requests a second per bot, 429 beyond. Comments under
a channel post: GET and DELETE /messages/{mid}/comments, as the official client maxapi calls
them. Error bodies are {"code", "message"}.
"""

from __future__ import annotations

import asyncio
import base64
import secrets
import time
from collections.abc import Callable
from typing import Literal

from aiohttp import web

from emulators.common import Fault, Faults, Served, Watchable, Windows, dumps

TEXT_LIMIT = 4000
RPS = 30
COMMENTS = "/messages/{mid}/comments"


class MaxError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message

    def response(self) -> web.Response:
        body = {"code": self.code, "message": self.message}
        return web.json_response(body, status=self.status, dumps=dumps)


ADMIN_RIGHTS = (
    "read_all_messages",
    "add_remove_members",
    "add_admins",
    "change_chat_info",
    "pin_message",
    "write",
    "edit_message",
    "delete_message",
)


class MaxEmulator(Watchable, Served):
    def __init__(self, *, clock: Callable[[], float] = time.time) -> None:
        super().__init__()
        self.clock = clock
        self.bots: dict[str, dict] = {}
        self.users: dict[int, dict] = {}
        self.chats: dict[int, dict] = {}
        self.messages: dict[str, dict] = {}  # mid -> message (posts in channels)
        self.uploads: dict[str, dict] = {}  # upload slot id -> {type, token}
        self.tokens: dict[str, dict] = {}  # attachment token -> {type, data, not_ready}
        # People's private dialogues with the bot (user id -> messages both ways) and the bot's
        # updates, read with GET /updates?marker=… (the marker is the next update's number).
        self.dialogs: dict[int, list[dict]] = {}
        self.updates: list[dict] = []
        self.not_ready_for = 1  # answers of attachment.not.ready before a new upload is usable
        self.faults = Faults()
        self.fault_timeout = 30.0
        self.requests: list[tuple[str, str, dict]] = []
        self._windows = Windows()
        self._seq = 0
        self.app = web.Application(client_max_size=50 * 1024 * 1024)
        self.app.add_routes(
            [
                web.get("/me", self._api("/me", self._me)),
                web.get("/chats/{chat_id}", self._api("/chats", self._chat)),
                web.get("/chats/{chat_id}/members/me", self._api("/chats/me", self._membership)),
                web.post("/uploads", self._api("/uploads", self._uploads)),
                web.post("/messages", self._api("/messages", self._send)),
                web.put("/messages", self._api("/messages", self._edit)),
                web.delete("/messages", self._api("/messages", self._delete)),
                web.get("/updates", self._api("/updates", self._updates)),
                web.get("/messages/{mid}/comments", self._api(COMMENTS, self._comments)),
                web.delete("/messages/{mid}/comments", self._api(COMMENTS, self._delete_comment)),
                web.post("/_upload/{slot}", self._upload),
                web.get("/_emu/max/chats/{chat_id}", self._feed),
                web.post("/_emu/max/messages/{mid}/comments", self._citizen_comment),
                web.get("/_emu/max/files/{token}", self._file),
            ]
        )

    # -- the world -------------------------------------------------------------------------
    def add_bot(self, name: str, username: str) -> tuple[str, int]:
        token = secrets.token_urlsafe(40)
        user_id = 10_000_000 + len(self.bots) + 1
        self.bots[token] = {"user_id": user_id, "first_name": name, "username": username}
        return token, user_id

    def add_user(self, user_id: int, first_name: str, last_name: str) -> None:
        self.users[user_id] = {"first_name": first_name, "last_name": last_name}

    def add_channel(self, chat_id: int, title: str, admins: list[int]) -> None:
        self.chats[chat_id] = {"title": title, "admins": set(admins), "posts": [], "rights": {}}

    def set_rights(self, chat_id: int, user_id: int, permissions: list[str]) -> None:
        """An admin's rights in a channel (by default every right an admin can have)."""
        self.chats[chat_id]["rights"][user_id] = list(permissions)

    def revoke(self, token: str) -> None:
        self.bots.pop(token, None)

    def post_comment(self, mid: str, user_id: int, text: str) -> dict:
        post = self.messages[mid]
        user = self.users.get(user_id, {"first_name": str(user_id), "last_name": ""})
        comment = {
            "sender": {"user_id": user_id, "is_bot": False, **user},
            "recipient": {"chat_id": post["chat_id"], "chat_type": "channel", "post_id": mid},
            "timestamp": self._now_ms(),
            "body": {"mid": _new_mid(), "seq": self._next_seq(), "text": text},
            "deleted": False,
        }
        post["comments"].append(comment)
        self.notify({"kind": "comment", "chat_id": post["chat_id"]})
        return _public(comment)

    def user_writes_to_bot(self, user_id: int, text: str) -> dict:
        """A person writes to the bot in a private dialogue: a message_created update."""
        user = self.users.get(user_id, {"first_name": str(user_id), "last_name": ""})
        bot = next(iter(self.bots.values()))
        name = " ".join(x for x in (user["first_name"], user["last_name"]) if x)
        message = {
            "sender": {"user_id": user_id, "is_bot": False, "name": name, **user},
            "recipient": {"chat_id": user_id, "chat_type": "dialog", "user_id": bot["user_id"]},
            "timestamp": self._now_ms(),
            "body": {"mid": _new_mid(), "seq": self._next_seq(), "text": text},
        }
        self.dialogs.setdefault(user_id, []).append(message)
        update = {"update_type": "message_created", "timestamp": message["timestamp"]}
        self.updates.append({**update, "message": message})
        self.notify({"kind": "dialog", "user_id": user_id})
        return message

    def dialog(self, user_id: int, from_bot: bool = True) -> list[dict]:
        """A person's dialogue with the bot: by default the bot's messages only."""
        found = self.dialogs.get(user_id, [])
        return [m for m in found if m["sender"].get("is_bot") == from_bot]

    # -- what is there to see --------------------------------------------------------------
    def posts(self, chat_id: int) -> list[dict]:
        return [self.messages[mid] for mid in self.chats[chat_id]["posts"]]

    def attachment_bytes(self, attachment: dict) -> bytes:
        """What was uploaded for one attachment of a post ({type, payload: {token}})."""
        return self.tokens[attachment["payload"]["token"]]["data"]

    def comments(self, mid: str, include_deleted: bool = False) -> list[dict]:
        found = self.messages[mid]["comments"]
        return [dict(c) for c in found if include_deleted or not c["deleted"]]

    def calls(self, path: str) -> list[dict]:
        return [query for method, p, query in self.requests if p == path]

    def inject_fault(
        self,
        path: str,
        kind: Literal["timeout", "500", "429", "error"],
        count: int = 1,
        code: str = "internal.error",
    ) -> None:
        """The next `count` requests to `path` ("/messages", "/uploads"… or "*") fail."""
        self.faults.add(Fault(path, kind, count, code))

    # -- the API ---------------------------------------------------------------------------
    def _api(self, path: str, handler: Callable) -> Callable:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            self.requests.append((request.method, path, dict(request.query)))
            fault = self.faults.take(path)
            try:
                if fault is not None:
                    await self._fault(fault)
                bot = self._authorize(request)
                self._pace(request.headers.get("Authorization", ""))
                answer = await handler(request, bot)
            except MaxError as err:
                return err.response()
            return web.json_response(answer, dumps=dumps)

        return wrapped

    async def _fault(self, fault: Fault) -> None:
        if fault.kind == "timeout":
            try:
                await asyncio.wait_for(self.stopping.wait(), self.fault_timeout)
            except TimeoutError:
                pass
            raise MaxError(504, "timeout", "Gateway Timeout")
        if fault.kind == "500":
            raise MaxError(503, "service.unavailable", "Service unavailable")
        if fault.kind == "429":
            raise MaxError(429, "too.many.requests", "Too many requests")
        raise MaxError(400, str(fault.code), "injected fault")

    def _authorize(self, request: web.Request) -> dict:
        if "access_token" in request.query:
            raise MaxError(
                401, "verify.token", "Passing the token in query parameters is not supported"
            )
        bot = self.bots.get(request.headers.get("Authorization", ""))
        if bot is None:
            raise MaxError(401, "verify.token", "Invalid access_token")
        return bot

    def _pace(self, token: str) -> None:
        if not self._windows.admit(token, RPS, self.clock()):
            raise MaxError(429, "too.many.requests", "Too many requests")

    async def _me(self, request: web.Request, bot: dict) -> dict:
        return {**bot, "is_bot": True}

    def _chat_for(self, request: web.Request) -> tuple[int, dict]:
        try:
            chat_id = int(request.match_info["chat_id"])
        except ValueError:
            raise MaxError(400, "proto.payload", "chatId must be a number") from None
        chat = self.chats.get(chat_id)
        if chat is None:
            raise MaxError(404, "chat.not.found", "Chat not found")
        return chat_id, chat

    async def _chat(self, request: web.Request, bot: dict) -> dict:
        chat_id, chat = self._chat_for(request)
        return {
            "chat_id": chat_id,
            "type": "channel",
            "status": "active",
            "title": chat["title"],
            "last_event_time": self._now_ms(),
            "participants_count": chat.get("subscribers", 0),
            "is_public": True,
            "link": f"https://max.ru/c/{chat_id}",
        }

    async def _membership(self, request: web.Request, bot: dict) -> dict:
        """GET /chats/{chatId}/members/me: the bot's own membership and rights."""
        _, chat = self._chat_for(request)
        admin = bot["user_id"] in chat["admins"]
        if not admin:
            raise MaxError(403, "chat.denied", "Bot is not a member of this chat")
        rights = chat["rights"].get(bot["user_id"], ADMIN_RIGHTS)
        return {
            **bot,
            "is_bot": True,
            "last_activity_time": self._now_ms(),
            "is_owner": False,
            "is_admin": True,
            "join_time": self._now_ms(),
            "permissions": list(rights),
        }

    async def _uploads(self, request: web.Request, bot: dict) -> dict:
        kind = request.query.get("type", "")
        if kind not in ("image", "video", "audio", "file"):
            raise MaxError(400, "proto.payload", f"Invalid upload type {kind!r}")
        slot = secrets.token_hex(8)
        token = secrets.token_urlsafe(24) if kind in ("video", "audio") else None
        self.uploads[slot] = {"type": kind, "token": token}
        answer = {"url": f"{self.base_url}/_upload/{slot}"}
        if token:
            answer["token"] = token
        return answer

    async def _upload(self, request: web.Request) -> web.Response:
        slot = self.uploads.pop(request.match_info["slot"], None)
        form = await request.post() if request.content_type == "multipart/form-data" else {}
        field = form.get("data")
        if slot is None or field is None or isinstance(field, str):
            return web.json_response({"code": "upload.failed", "message": "no file"}, status=400)
        data = field.file.read()
        token = slot["token"] or secrets.token_urlsafe(24)
        self.tokens[token] = {
            "type": slot["type"],
            "data": data,
            "filename": field.filename or "",
            "not_ready": self.not_ready_for,
        }
        if slot["type"] == "image":
            return web.json_response({"photos": {secrets.token_hex(6): {"token": token}}})
        if slot["type"] == "file":
            return web.json_response({"token": token})
        return web.json_response({"retval": "ok"})

    async def _updates(self, request: web.Request, bot: dict) -> dict:
        """GET /updates: the updates from `marker` on (at most `limit`, 1-1000), then the next
        marker; `types` filters by update_type. Answers at once (no long wait)."""
        try:
            marker = int(request.query.get("marker") or 0)
            limit = int(request.query.get("limit") or 100)
        except ValueError:
            raise MaxError(400, "proto.payload", "marker and limit are numbers") from None
        if not 1 <= limit <= 1000:
            raise MaxError(400, "proto.payload", "limit: must be between 1 and 1000")
        types = set(filter(None, (request.query.get("types") or "").split(",")))
        window = self.updates[marker : marker + limit]
        chosen = [u for u in window if not types or u["update_type"] in types]
        return {"updates": chosen, "marker": min(len(self.updates), marker + limit)}

    async def _send_to_user(self, request: web.Request, bot: dict) -> dict:
        """POST /messages?user_id=…: a bot may write only to a person who wrote to it first."""
        user_id = int(request.query["user_id"])
        if user_id not in self.dialogs:
            raise MaxError(403, "chat.denied", "The user has not started a dialog with the bot")
        try:
            body = await request.json()
        except ValueError:
            raise MaxError(400, "proto.payload", "Body is not JSON") from None
        text = body.get("text") or ""
        if not text.strip():
            raise MaxError(400, "proto.payload", "Empty message")
        if len(text) > TEXT_LIMIT:
            raise MaxError(400, "proto.payload", f"text: size must be <= {TEXT_LIMIT}")
        message = {
            "sender": {**bot, "is_bot": True},
            "recipient": {"chat_id": user_id, "chat_type": "dialog", "user_id": user_id},
            "timestamp": self._now_ms(),
            "body": {"mid": _new_mid(), "seq": self._next_seq(), "text": text, "attachments": []},
        }
        self.dialogs[user_id].append(message)
        self.notify({"kind": "dialog", "user_id": user_id})
        return {"message": message}

    async def _send(self, request: web.Request, bot: dict) -> dict:
        if "user_id" in request.query and "chat_id" not in request.query:
            return await self._send_to_user(request, bot)
        chat = self.chats.get(int(request.query.get("chat_id") or 0))
        if chat is None:
            raise MaxError(404, "chat.not.found", "Chat not found")
        if bot["user_id"] not in chat["admins"]:
            raise MaxError(403, "chat.denied", "Bot is not an admin of this channel")
        try:
            body = await request.json()
        except ValueError:
            raise MaxError(400, "proto.payload", "Body is not JSON") from None
        text = body.get("text") or ""
        if len(text) > TEXT_LIMIT:
            raise MaxError(400, "proto.payload", f"text: size must be <= {TEXT_LIMIT}")
        attachments = []
        for item in body.get("attachments") or []:
            token = (item.get("payload") or {}).get("token")
            upload = self.tokens.get(token or "")
            if upload is None or upload["type"] != item.get("type"):
                raise MaxError(400, "proto.payload", "Unknown attachment token")
            if upload["not_ready"] > 0:
                upload["not_ready"] -= 1
                raise MaxError(
                    400,
                    "attachment.not.ready",
                    "Key: errors.process.attachment.file.not.processed",
                )
            attachments.append({"type": item["type"], "payload": {"token": token}})
        if not text and not attachments:
            raise MaxError(400, "proto.payload", "Empty message")
        chat_id = int(request.query["chat_id"])
        seq = self._next_seq()
        mid = _new_mid()
        link = base64.urlsafe_b64encode(seq.to_bytes(8, "big")).decode().rstrip("=")
        message = {
            "sender": {**bot, "is_bot": True},
            "recipient": {"chat_id": chat_id, "chat_type": "channel"},
            "timestamp": self._now_ms(),
            "body": {"mid": mid, "seq": seq, "text": text, "attachments": attachments},
            "url": f"https://max.ru/c/{chat_id}/{link}",
        }
        self.messages[mid] = {**message, "chat_id": chat_id, "comments": []}
        chat["posts"].append(mid)
        self.notify({"kind": "post", "chat_id": chat_id})
        return {"message": message}

    def _own_message(self, request: web.Request, bot: dict) -> dict:
        post = self.messages.get(request.query.get("message_id") or "")
        if post is None or post.get("deleted"):
            raise MaxError(404, "not.found", "Message not found")
        if post["sender"]["user_id"] != bot["user_id"]:
            raise MaxError(403, "access.denied", "You can edit only your own messages")
        return post

    async def _edit(self, request: web.Request, bot: dict) -> dict:
        """PUT /messages?message_id=: a bot edits its own message; in channels at any age. The
        body's `attachments` replaces the message's (an empty list removes them all; left out,
        they stay)."""
        post = self._own_message(request, bot)
        try:
            body = await request.json()
        except ValueError:
            raise MaxError(400, "proto.payload", "Body is not JSON") from None
        text = body.get("text")
        if text is not None and len(text) > TEXT_LIMIT:
            raise MaxError(400, "proto.payload", f"text: size must be <= {TEXT_LIMIT}")
        if body.get("attachments") is not None:
            kept = []
            for item in body["attachments"]:
                token = (item.get("payload") or {}).get("token")
                if self.tokens.get(token or "") is None:
                    raise MaxError(400, "proto.payload", "Unknown attachment token")
                kept.append({"type": item["type"], "payload": {"token": token}})
            post["body"]["attachments"] = kept
        if text is not None:
            post["body"]["text"] = text
        if not post["body"]["text"] and not post["body"]["attachments"]:
            raise MaxError(400, "proto.payload", "Empty message")
        post["edited"] = self._now_ms()
        self.notify({"kind": "post_edited", "chat_id": post["chat_id"]})
        return {"success": True}

    async def _delete(self, request: web.Request, bot: dict) -> dict:
        post = self._own_message(request, bot)
        post["deleted"] = True
        chat = self.chats.get(post["chat_id"])
        if chat is not None and post["body"]["mid"] in chat["posts"]:
            chat["posts"].remove(post["body"]["mid"])
        self.notify({"kind": "post_deleted", "chat_id": post["chat_id"]})
        return {"success": True}

    def _post_for(self, request: web.Request, bot: dict) -> dict:
        post = self.messages.get(request.match_info["mid"])
        if post is None:
            raise MaxError(404, "not.found", "Message not found")
        if bot["user_id"] not in self.chats[post["chat_id"]]["admins"]:
            raise MaxError(403, "chat.denied", "Bot is not an admin of this channel")
        return post

    async def _comments(self, request: web.Request, bot: dict) -> dict:
        post = self._post_for(request, bot)
        count = int(request.query.get("count") or 50)
        if not 1 <= count <= 100:
            raise MaxError(400, "proto.payload", "count must be within 1..100")
        after = int(request.query.get("after") or 0)
        alive = [c for c in post["comments"] if not c["deleted"] and c["timestamp"] >= after]
        return {"messages": [_public(c) for c in alive[:count]]}

    async def _delete_comment(self, request: web.Request, bot: dict) -> dict:
        post = self._post_for(request, bot)
        wanted = request.query.get("comment_id", "")
        comment = next((c for c in post["comments"] if c["body"]["mid"] == wanted), None)
        if comment is None or comment["deleted"]:
            raise MaxError(404, "not.found", "Comment not found")
        comment["deleted"] = True
        self.notify({"kind": "comment_deleted", "chat_id": post["chat_id"]})
        return {"success": True}

    # -- the sandbox page ------------------------------------------------------------------
    async def _feed(self, request: web.Request) -> web.Response:
        chat_id = int(request.match_info["chat_id"])
        if chat_id not in self.chats:
            raise web.HTTPNotFound()
        posts = []
        for post in reversed(self.posts(chat_id)):
            body = post["body"]
            links = [
                (a["type"], f"/_emu/max/files/{a['payload']['token']}", a["payload"]["token"])
                for a in body["attachments"]
            ]
            photos = [src for kind, src, _ in links if kind == "image"]
            files = [
                {"type": kind, "src": src, "name": self.tokens[token].get("filename", "")}
                for kind, src, token in links
                if kind != "image"
            ]
            comments = [{**_public(c), "deleted": c["deleted"]} for c in post["comments"]]
            posts.append(
                {"mid": body["mid"], "text": body["text"], "url": post["url"], "photos": photos}
                | {"files": files, "timestamp": post["timestamp"], "comments": comments}
            )
        return web.json_response({"chat_id": chat_id, "posts": posts}, dumps=dumps)

    async def _citizen_comment(self, request: web.Request) -> web.Response:
        body = await request.json()
        try:
            comment = self.post_comment(
                request.match_info["mid"], int(body["user_id"]), str(body["text"])
            )
        except (KeyError, ValueError) as exc:
            return web.json_response({"error": str(exc)}, status=400)
        return web.json_response(comment, dumps=dumps)

    async def _file(self, request: web.Request) -> web.Response:
        upload = self.tokens.get(request.match_info["token"])
        if upload is None:
            raise web.HTTPNotFound()
        kind = {"image": "image/jpeg", "video": "video/mp4"}.get(upload["type"])
        return web.Response(body=upload["data"], content_type=kind or "application/octet-stream")

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _now_ms(self) -> int:
        return int(self.clock() * 1000)


def _new_mid() -> str:
    return "mid." + secrets.token_hex(16)


def _public(comment: dict) -> dict:
    return {k: v for k, v in comment.items() if k != "deleted"}
