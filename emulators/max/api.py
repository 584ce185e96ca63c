"""The MAX Bot API's methods as the emulator answers them (emulators/max/emulator.py keeps the
world): the token check, pacing and injected faults around every call, then /me, /chats,
/uploads, /messages (channel posts and private dialogues), /updates and a post's comments."""

from __future__ import annotations

import asyncio
import base64
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiohttp import web

from emulators.common import Fault, dumps

if TYPE_CHECKING:
    from .emulator import MaxEmulator

TEXT_LIMIT = 4000
# 30 requests a second per bot (green-api.com/max-bot-api/docs/faq: «максимальное количество
# запросов в секунду на platform-api.max.ru — 30 rps»), counted over the last second
# (emulators/common.py Windows); beyond it 429 with MAX's error body {"code", "message"}
# (MAX's OpenAPI description, maxmessengerapi.ru/max-bot-api-openapi.json, lists 429).
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


class BotApi:
    def __init__(self, emu: MaxEmulator) -> None:
        self.emu = emu

    def routes(self) -> list[web.RouteDef]:
        api = self._api
        return [
            web.get("/me", api("/me", self.me)),
            web.get("/chats/{chat_id}", api("/chats", self.chat)),
            web.get("/chats/{chat_id}/members/me", api("/chats/me", self.membership)),
            web.post("/uploads", api("/uploads", self.uploads)),
            web.get("/messages", api("/messages", self.listing)),
            web.post("/messages", api("/messages", self.send)),
            web.put("/messages", api("/messages", self.edit)),
            web.delete("/messages", api("/messages", self.delete)),
            web.get("/updates", api("/updates", self.updates)),
            web.get("/messages/{mid}/comments", api(COMMENTS, self.comments)),
            web.post("/messages/{mid}/comments", api(COMMENTS, self.send_comment)),
            web.delete("/messages/{mid}/comments", api(COMMENTS, self.delete_comment)),
            web.post("/_upload/{slot}", self.upload),
        ]

    def _api(self, path: str, handler: Callable) -> Callable:
        async def wrapped(request: web.Request) -> web.StreamResponse:
            self.emu.requests.append((request.method, path, dict(request.query)))
            fault = self.emu.faults.take(path)
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
                await asyncio.wait_for(self.emu.stopping.wait(), self.emu.fault_timeout)
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
        bot = self.emu.bots.get(request.headers.get("Authorization", ""))
        if bot is None:
            raise MaxError(401, "verify.token", "Invalid access_token")
        return bot

    def _pace(self, token: str) -> None:
        if not self.emu._windows.admit(token, RPS, self.emu.clock()):
            raise MaxError(429, "too.many.requests", "Too many requests")

    async def me(self, request: web.Request, bot: dict) -> dict:
        return {**bot, "is_bot": True}

    def _chat_for(self, request: web.Request) -> tuple[int, dict]:
        try:
            chat_id = int(request.match_info["chat_id"])
        except ValueError:
            raise MaxError(400, "proto.payload", "chatId must be a number") from None
        chat = self.emu.chats.get(chat_id)
        if chat is None:
            raise MaxError(404, "chat.not.found", "Chat not found")
        return chat_id, chat

    async def chat(self, request: web.Request, bot: dict) -> dict:
        chat_id, chat = self._chat_for(request)
        return {
            "chat_id": chat_id,
            "type": "channel",
            "status": "active",
            "title": chat["title"],
            "last_event_time": self.emu.now_ms(),
            "participants_count": chat.get("subscribers", 0),
            "is_public": True,
            "link": f"https://max.ru/c/{chat_id}",
        }

    async def membership(self, request: web.Request, bot: dict) -> dict:
        """GET /chats/{chatId}/members/me: the bot's own membership and rights."""
        _, chat = self._chat_for(request)
        admin = bot["user_id"] in chat["admins"]
        if not admin:
            raise MaxError(403, "chat.denied", "Bot is not a member of this chat")
        rights = chat["rights"].get(bot["user_id"], ADMIN_RIGHTS)
        return {
            **bot,
            "is_bot": True,
            "last_activity_time": self.emu.now_ms(),
            "is_owner": False,
            "is_admin": True,
            "join_time": self.emu.now_ms(),
            "permissions": list(rights),
        }

    async def uploads(self, request: web.Request, bot: dict) -> dict:
        kind = request.query.get("type", "")
        if kind not in ("image", "video", "audio", "file"):
            raise MaxError(400, "proto.payload", f"Invalid upload type {kind!r}")
        slot = secrets.token_hex(8)
        token = secrets.token_urlsafe(24) if kind in ("video", "audio") else None
        self.emu.uploads[slot] = {"type": kind, "token": token}
        answer = {"url": f"{self.emu.base_url}/_upload/{slot}"}
        if token:
            answer["token"] = token
        return answer

    async def upload(self, request: web.Request) -> web.Response:
        slot = self.emu.uploads.pop(request.match_info["slot"], None)
        form = await request.post() if request.content_type == "multipart/form-data" else {}
        field = form.get("data")
        if slot is None or field is None or isinstance(field, str):
            return web.json_response({"code": "upload.failed", "message": "no file"}, status=400)
        data = field.file.read()
        token = slot["token"] or secrets.token_urlsafe(24)
        self.emu.tokens[token] = {
            "type": slot["type"],
            "data": data,
            "filename": field.filename or "",
            "not_ready": self.emu.not_ready_for,
        }
        if slot["type"] == "image":
            return web.json_response({"photos": {secrets.token_hex(6): {"token": token}}})
        if slot["type"] == "file":
            return web.json_response({"token": token})
        return web.json_response({"retval": "ok"})

    async def updates(self, request: web.Request, bot: dict) -> dict:
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
        window = self.emu.updates[marker : marker + limit]
        chosen = [u for u in window if not types or u["update_type"] in types]
        return {"updates": chosen, "marker": min(len(self.emu.updates), marker + limit)}

    async def _send_to_user(self, request: web.Request, bot: dict) -> dict:
        """POST /messages?user_id=…: a bot may write only to a person who wrote to it first."""
        user_id = int(request.query["user_id"])
        if user_id not in self.emu.dialogs:
            raise MaxError(403, "chat.denied", "The user has not started a dialog with the bot")
        body = await _json(request)
        text = body.get("text") or ""
        if not text.strip():
            raise MaxError(400, "proto.payload", "Empty message")
        _check_length(text)
        message = {
            "sender": {**bot, "is_bot": True},
            "recipient": {"chat_id": user_id, "chat_type": "dialog", "user_id": user_id},
            "timestamp": self.emu.now_ms(),
            "body": {"mid": new_mid(), "seq": self.emu.next_seq(), "text": text, "attachments": []},
        }
        self.emu.dialogs[user_id].append(message)
        self.emu.notify({"kind": "dialog", "user_id": user_id})
        return {"message": message}

    async def send(self, request: web.Request, bot: dict) -> dict:
        if "user_id" in request.query and "chat_id" not in request.query:
            return await self._send_to_user(request, bot)
        chat = self.emu.chats.get(int(request.query.get("chat_id") or 0))
        if chat is None:
            raise MaxError(404, "chat.not.found", "Chat not found")
        if bot["user_id"] not in chat["admins"]:
            raise MaxError(403, "chat.denied", "Bot is not an admin of this channel")
        body = await _json(request)
        text = body.get("text") or ""
        _check_length(text)
        attachments = []
        for item in body.get("attachments") or []:
            token = (item.get("payload") or {}).get("token")
            upload = self.emu.tokens.get(token or "")
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
        seq = self.emu.next_seq()
        mid = new_mid()
        link = base64.urlsafe_b64encode(seq.to_bytes(8, "big")).decode().rstrip("=")
        message = {
            "sender": {**bot, "is_bot": True},
            "recipient": {"chat_id": chat_id, "chat_type": "channel"},
            "timestamp": self.emu.now_ms(),
            "body": {"mid": mid, "seq": seq, "text": text, "attachments": attachments},
            "url": f"https://max.ru/c/{chat_id}/{link}",
        }
        self.emu.messages[mid] = {**message, "chat_id": chat_id, "comments": []}
        chat["posts"].append(mid)
        self.emu.notify({"kind": "post", "chat_id": chat_id})
        return {"message": message}

    def _own_message(self, request: web.Request, bot: dict) -> dict:
        post = self.emu.messages.get(request.query.get("message_id") or "")
        if post is None or post.get("deleted"):
            raise MaxError(404, "not.found", "Message not found")
        if post["sender"]["user_id"] != bot["user_id"]:
            raise MaxError(403, "access.denied", "You can edit only your own messages")
        return post

    async def edit(self, request: web.Request, bot: dict) -> dict:
        """PUT /messages?message_id=: a bot edits its own message; in channels at any age. The
        body's `attachments` replaces the message's (an empty list removes them all; left out,
        they stay)."""
        post = self._own_message(request, bot)
        body = await _json(request)
        text = body.get("text")
        if text is not None:
            _check_length(text)
        if body.get("attachments") is not None:
            kept = []
            for item in body["attachments"]:
                token = (item.get("payload") or {}).get("token")
                if self.emu.tokens.get(token or "") is None:
                    raise MaxError(400, "proto.payload", "Unknown attachment token")
                kept.append({"type": item["type"], "payload": {"token": token}})
            post["body"]["attachments"] = kept
        if text is not None:
            post["body"]["text"] = text
        if not post["body"]["text"] and not post["body"]["attachments"]:
            raise MaxError(400, "proto.payload", "Empty message")
        post["edited"] = self.emu.now_ms()
        self.emu.notify({"kind": "post_edited", "chat_id": post["chat_id"]})
        return {"success": True}

    async def delete(self, request: web.Request, bot: dict) -> dict:
        post = self._own_message(request, bot)
        post["deleted"] = True
        chat = self.emu.chats.get(post["chat_id"])
        if chat is not None and post["body"]["mid"] in chat["posts"]:
            chat["posts"].remove(post["body"]["mid"])
        self.emu.notify({"kind": "post_deleted", "chat_id": post["chat_id"]})
        return {"success": True}

    async def listing(self, request: web.Request, bot: dict) -> dict:
        """GET /messages?message_ids=…: the posts, with `stat.views` for a channel's."""
        ids = [m for m in request.query.get("message_ids", "").split(",") if m]
        if not ids:
            raise MaxError(400, "proto.payload", "chat_id or message_ids is required")
        found = []
        for mid in ids:
            post = self.emu.messages.get(mid)
            if post is None or bot["user_id"] not in self.emu.chats[post["chat_id"]]["admins"]:
                continue
            public_post = {
                k: v for k, v in post.items() if k not in ("chat_id", "comments", "views")
            }
            found.append({**public_post, "stat": {"views": post.get("views", 0)}})
        return {"messages": found}

    def _post_for(self, request: web.Request, bot: dict) -> dict:
        post = self.emu.messages.get(request.match_info["mid"])
        if post is None:
            raise MaxError(404, "not.found", "Message not found")
        if bot["user_id"] not in self.emu.chats[post["chat_id"]]["admins"]:
            raise MaxError(403, "chat.denied", "Bot is not an admin of this channel")
        return post

    async def comments(self, request: web.Request, bot: dict) -> dict:
        post = self._post_for(request, bot)
        count = int(request.query.get("count") or 50)
        if not 1 <= count <= 100:
            raise MaxError(400, "proto.payload", "count must be within 1..100")
        after = int(request.query.get("after") or 0)
        alive = [c for c in post["comments"] if not c["deleted"] and c["timestamp"] >= after]
        return {"messages": [public(c) for c in alive[:count]]}

    async def send_comment(self, request: web.Request, bot: dict) -> dict:
        """POST /messages/{mid}/comments: the channel's comment under its post (text up to
        4000, or a link; link.type only "reply", to a comment of this post)."""
        post, mid = self._post_for(request, bot), request.match_info["mid"]
        body = await _json(request)
        text, link = str(body.get("text") or ""), body.get("link")
        if not text.strip() and link is None:
            raise MaxError(400, "proto.payload", "text or link is required")
        _check_length(text)
        comment = {
            "sender": {"user_id": bot["user_id"], "is_bot": True, "first_name": bot["first_name"]},
            "recipient": {"chat_id": post["chat_id"], "chat_type": "channel", "post_id": mid},
            "timestamp": self.emu.now_ms(),
            "body": {"mid": new_mid(), "seq": self.emu.next_seq(), "text": text},
            "deleted": False,
        }
        if link is not None:
            wanted = link.get("mid") if isinstance(link, dict) else None
            if not isinstance(link, dict) or link.get("type") != "reply":
                raise MaxError(400, "proto.payload", "link.type: only reply for comments")
            found = [c for c in post["comments"] if c["body"]["mid"] == wanted]
            if not found or found[0]["deleted"]:
                raise MaxError(404, "not.found", "Comment to reply to not found")
            comment["link"] = {"type": "reply", "sender": found[0]["sender"],
                               "chat_id": post["chat_id"], "message": found[0]["body"]}  # fmt: skip
        post["comments"].append(comment)
        self.emu.notify({"kind": "comment", "chat_id": post["chat_id"]})
        return {"message": public(comment)}

    async def delete_comment(self, request: web.Request, bot: dict) -> dict:
        post = self._post_for(request, bot)
        wanted = request.query.get("comment_id", "")
        comment = next((c for c in post["comments"] if c["body"]["mid"] == wanted), None)
        if comment is None or comment["deleted"]:
            raise MaxError(404, "not.found", "Comment not found")
        comment["deleted"] = True
        self.emu.notify({"kind": "comment_deleted", "chat_id": post["chat_id"]})
        return {"success": True}


def new_mid() -> str:
    return "mid." + secrets.token_hex(16)


def public(comment: dict) -> dict:
    return {k: v for k, v in comment.items() if k != "deleted"}


async def _json(request: web.Request) -> dict:
    try:
        return await request.json()
    except ValueError:
        raise MaxError(400, "proto.payload", "Body is not JSON") from None


def _check_length(text: str) -> None:
    if len(text) > TEXT_LIMIT:
        raise MaxError(400, "proto.payload", f"text: size must be <= {TEXT_LIMIT}")
