"""MaxEmulator: a local MAX Bot API (platform-api.max.ru) for the tests and the sandbox.

What it follows: the token only in the `Authorization` header (a token in the query string is
refused with 401, as the project's notes say MAX does now); POST /messages?chat_id=… with a
JSON body {text, attachments, format, notify}, text up to 4,000 characters; POST
/uploads?type=image|video|file → {url[, token]} → the file as multipart field `data` to that
url (dev.max.ru/docs-api/methods/POST/uploads); an attachment used at once may answer 400
{"code": "attachment.not.ready"}; about 30 requests a second per bot, 429 beyond. Comments under
a channel post: GET and DELETE /messages/{mid}/comments, as the official client maxapi calls
them. Error bodies are {"code", "message"}. This module keeps the world (bots, people, channels,
posts, dialogues) and the sandbox page's routes; the API's methods are in emulators/max/api.py.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from typing import Literal

from aiohttp import web

from emulators.common import Fault, Faults, Served, Watchable, Windows, dumps

from .api import BotApi, new_mid, public


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
        self.api = BotApi(self)
        self.app.add_routes(
            [
                *self.api.routes(),
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
            "timestamp": self.now_ms(),
            "body": {"mid": new_mid(), "seq": self.next_seq(), "text": text},
            "deleted": False,
        }
        post["comments"].append(comment)
        self.notify({"kind": "comment", "chat_id": post["chat_id"]})
        return public(comment)

    def user_writes_to_bot(self, user_id: int, text: str) -> dict:
        """A person writes to the bot in a private dialogue: a message_created update."""
        user = self.users.get(user_id, {"first_name": str(user_id), "last_name": ""})
        bot = next(iter(self.bots.values()))
        name = " ".join(x for x in (user["first_name"], user["last_name"]) if x)
        message = {
            "sender": {"user_id": user_id, "is_bot": False, "name": name, **user},
            "recipient": {"chat_id": user_id, "chat_type": "dialog", "user_id": bot["user_id"]},
            "timestamp": self.now_ms(),
            "body": {"mid": new_mid(), "seq": self.next_seq(), "text": text},
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
            comments = [{**public(c), "deleted": c["deleted"]} for c in post["comments"]]
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

    def next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def now_ms(self) -> int:
        return int(self.clock() * 1000)
