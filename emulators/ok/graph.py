"""OK's Bot API for group messages (the Graph API under /graph/me), as the emulator keeps it.

Follows apiok.ru's pages as networks/ok_dialogs.py cites them: a group's bot token in
`access_token`; POST /graph/me/subscribe {"url"} and GET /graph/me/subscriptions; new chat
messages POSTed as JSON to every subscribed URL (not the group's own), sent again when the URL
does not answer 200 in 5 s (here: up to RETRIES times); POST /graph/me/messages/chat:<id>
{"recipient": {"chat_id"}, "message": {"text"}} into a chat of the group, and POST
/graph/me/messages {"recipient": {"user_ids"}} to people who allowed the group's messages →
{"success": [bool…]}. Refusals as OK's REST answers them ({"error_code", "error_msg"}, HTTP
200): 102 a token that is not a group's bot token, 300 a chat that is not the group's, 100 an
empty or too long text (TEXT_LIMIT, NOT confirmed) or a body that is not JSON.
Reading after the fact, as the same pages give it: GET /graph/me/chats (count 1…100, default
50; the latest activity first; an opaque `marker` while more follow, none at the end) and GET
/graph/me/messages/chat:<id> (or ?chat_id=) with from/to timestamps (bounds included here, NOT
confirmed) and count (default 50), newest first, in the webhook's shape. Those reads refuse with
8 FLOOD_BLOCKED beyond RPS calls a second of a token (OK publishes no Bot API rate) and take
injected `faults` by the method's name on apiok.ru ("graph.user.chats", "graph.chat.messages").
"""

from __future__ import annotations

import asyncio
import base64
import json
import secrets
from typing import TYPE_CHECKING

import aiohttp
from aiohttp import web

from emulators.common import Faults, Windows

if TYPE_CHECKING:
    from .emulator import OKEmulator

TEXT_LIMIT = 4000
RETRIES = 3
ANSWER_WITHIN = 5.0
RPS = 20  # the emulator's own bound, as for the REST calls (emulator.py)
NEWEST = 2**63 - 1  # OK's default `from`


def refusal(code: int, name: str, message: str) -> web.Response:
    return web.json_response(
        {"error_code": code, "error_msg": f"{name} : {message}", "error_data": None}
    )


class GroupMessages:
    """The groups' chats with people, their bot tokens and webhook subscriptions."""

    def __init__(self, emu: OKEmulator) -> None:
        self.emu = emu
        self.bot_tokens: dict[str, str] = {}  # token -> group id
        self.issued: list[str] = []  # every bot token ever issued (the tests look for leaks)
        self.chats: dict[str, dict] = {}  # chat id -> {chat_id, gid, uid, messages}
        self.subscriptions: dict[str, list[dict]] = {}  # group id -> [{url, time}]
        self.allowed: set[tuple[str, str]] = set()  # (group, user) who allow its messages
        self.deliveries: list[dict] = []  # every webhook POST: {url, status, update}
        self.faults = Faults()  # for the reads: "graph.user.chats", "graph.chat.messages"
        self._window = Windows()
        self._tasks: set[asyncio.Task] = set()
        self._seq = 98_211_023_614_189_660

    def routes(self) -> list[web.RouteDef]:
        return [
            web.get("/graph/me/subscriptions", self._subscriptions),
            web.post("/graph/me/subscribe", self._subscribe),
            web.post("/graph/me/unsubscribe", self._unsubscribe),
            web.post("/graph/me/messages", self._to_users),
            web.post("/graph/me/messages/{chat_id}", self._to_chat),
            web.get("/graph/me/chats", self._chats),
            web.get("/graph/me/messages", self._history),
            web.get("/graph/me/messages/{chat_id}", self._history),
            # the sandbox page: one person's chat with the group, and writing to it
            web.get("/_emu/ok/groups/{gid}/messages/{uid}", self._emu_chat),
            web.post("/_emu/ok/groups/{gid}/messages/{uid}", self._emu_write),
        ]

    # -- the world -------------------------------------------------------------------------
    def issue_bot_token(self, gid: str) -> str:
        """The group's Bot API token (Настройки → Сообщения → Работа с API); a new one
        replaces the group's old one, as OK says."""
        for token, group in list(self.bot_tokens.items()):
            if group == gid:
                del self.bot_tokens[token]
        token = f"tkn1{secrets.token_urlsafe(30)}:{secrets.token_hex(9).upper()}"
        self.bot_tokens[token] = gid
        self.issued.append(token)
        return token

    def allow_messages(self, gid: str, uid: str) -> None:
        """The person allows the group to write to them (OK's setting)."""
        self.allowed.add((gid, uid))

    def chat_of(self, gid: str, uid: str) -> dict:
        for chat in self.chats.values():
            if chat["gid"] == gid and chat["uid"] == uid:
                return chat
        chat_id = "chat:C" + secrets.token_hex(6)
        self.chats[chat_id] = {"chat_id": chat_id, "gid": gid, "uid": uid, "messages": []}
        return self.chats[chat_id]

    def citizen_writes(self, gid: str, uid: str, text: str) -> dict:
        """A person writes to the group: kept in their chat, webhooks to every subscriber."""
        user = self.emu.state.users.get(uid, {"name": ""})
        chat = self.chat_of(gid, uid)
        self.allowed.add((gid, uid))  # writing to a group lets it answer
        sender = {"user_id": f"user:{uid}", "name": user["name"]}
        return self._post(chat, sender, text, webhook=True)

    def moderator_writes(self, gid: str, uid: str, text: str) -> dict:
        """A moderator answers in the group's chat on the site: the group is the sender.
        NOT confirmed that OK sends this to the webhooks; the emulator does, so the desk's
        refusal to make a ticket of it is tested."""
        chat = self.chat_of(gid, uid)
        return self._post(chat, {"user_id": f"group:{gid}", "name": ""}, text, webhook=True)

    def messages(self, gid: str, uid: str, from_group: bool = True) -> list[dict]:
        """One person's chat with the group: by default what the group sent."""
        chat = self.chat_of(gid, uid)
        return [
            m for m in chat["messages"] if m["sender"]["user_id"].startswith("group:") == from_group
        ]

    # -- HTTP ------------------------------------------------------------------------------
    async def _emu_chat(self, request: web.Request) -> web.Response:
        gid, uid = request.match_info["gid"], request.match_info["uid"]
        if gid not in self.emu.state.groups:
            raise web.HTTPNotFound()
        found = self.chat_of(gid, uid)["messages"]
        return web.json_response(
            {
                "messages": [
                    {
                        "from_group": m["sender"]["user_id"].startswith("group:"),
                        "text": m["message"]["text"],
                        "timestamp": m["timestamp"],
                    }
                    for m in found
                ]
            }
        )

    async def _emu_write(self, request: web.Request) -> web.Response:
        gid, uid = request.match_info["gid"], request.match_info["uid"]
        body = await self._body(request)
        text = str((body or {}).get("text") or "").strip()
        if gid not in self.emu.state.groups or not text:
            return web.json_response({"error": "no group or no text"}, status=400)
        return web.json_response(self.citizen_writes(gid, uid, text))

    def _group(self, request: web.Request) -> str | None:
        self.emu.requests.append(("graph " + request.path, dict(request.query)))
        return self.bot_tokens.get(request.query.get("access_token", ""))

    async def _body(self, request: web.Request) -> dict | None:
        if not request.content_type.startswith("application/json"):
            return None
        try:
            body = json.loads(await request.text())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def _subscriptions(self, request: web.Request) -> web.Response:
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        return web.json_response({"subscriptions": self.subscriptions.get(gid, [])})

    async def _subscribe(self, request: web.Request) -> web.Response:
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        body = await self._body(request)
        url = str((body or {}).get("url") or "")
        if not url.startswith(("http://", "https://")):
            return refusal(100, "PARAM", "url must be an http: or https: URL")
        found = self.subscriptions.setdefault(gid, [])
        if not any(s["url"] == url for s in found):
            found.append({"url": url, "time": int(self.emu.state.clock() * 1000)})
        self.emu.notify({"kind": "subscribe"})
        return web.json_response({"success": True})

    async def _unsubscribe(self, request: web.Request) -> web.Response:
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        url = str((await self._body(request) or {}).get("url") or "")
        self.subscriptions[gid] = [s for s in self.subscriptions.get(gid, []) if s["url"] != url]
        return web.json_response({"success": True})

    def _reader(self, request: web.Request, method: str) -> str | web.Response:
        """The group a read is for, or OK's refusal (a bad token, a fault, too many calls)."""
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        fault = self.faults.take(method)
        if fault is not None:
            if fault.kind == "500":  # OK's servers down for a moment
                return web.Response(status=500, text="Internal Server Error")
            code = 8 if fault.kind == "429" else int(fault.code or 1)
            return refusal(code, "FLOOD_BLOCKED" if code == 8 else "UNKNOWN", "injected fault")
        if not self._window.admit(request.query["access_token"], RPS, self.emu.state.clock()):
            return refusal(8, "FLOOD_BLOCKED", "too many requests")
        return gid

    @staticmethod
    def _count(request: web.Request) -> int | None:
        raw = request.query.get("count", "50")
        count = int(raw) if raw.isdigit() else 0
        return count if 1 <= count <= 100 else None

    async def _chats(self, request: web.Request) -> web.Response:
        gid = self._reader(request, "graph.user.chats")
        if not isinstance(gid, str):
            return gid
        count = self._count(request)
        marker = request.query.get("marker", "")
        try:
            offset = int(base64.b64decode(marker).decode()) if marker else 0
        except ValueError:
            return refusal(100, "PARAM", "marker")
        if count is None:
            return refusal(100, "PARAM", "count must be from 1 to 100")
        chats = sorted(
            (c for c in self.chats.values() if c["gid"] == gid and c["messages"]),
            key=lambda c: c["messages"][-1]["timestamp"],
            reverse=True,
        )
        page = chats[offset : offset + count]
        answer: dict = {"chats": [self._chat_info(c) for c in page]}
        if offset + count < len(chats):
            answer["marker"] = base64.b64encode(str(offset + count).encode()).decode()
        return web.json_response(answer)

    def _chat_info(self, chat: dict) -> dict:
        last = chat["messages"][-1]["timestamp"]
        user = self.emu.state.users.get(chat["uid"], {"name": ""})
        return {
            "type": "DIALOG",  # NOT confirmed for a group's chat with a person
            "status": "ACTIVE",
            "title": user["name"],
            "participants": {f"user:{chat['uid']}": last, f"group:{chat['gid']}": last},
            "lastEventTime": last,
            "chat_id": chat["chat_id"],
            "owner_id": f"user:{chat['uid']}",
            "group_id": f"group:{chat['gid']}",
        }

    async def _history(self, request: web.Request) -> web.Response:
        gid = self._reader(request, "graph.chat.messages")
        if not isinstance(gid, str):
            return gid
        chat_id = request.match_info.get("chat_id") or request.query.get("chat_id", "")
        chat = self.chats.get(chat_id)
        if chat is None or chat["gid"] != gid:
            return refusal(300, "NOT_FOUND", f"Chat {chat_id} not found")
        count = self._count(request)
        try:
            newest = int(request.query.get("from", NEWEST))
            oldest = int(request.query.get("to", 0))
        except ValueError:
            return refusal(100, "PARAM", "from and to are timestamps")
        if count is None or newest < oldest:
            return refusal(100, "PARAM", "count from 1 to 100; from not less than to")
        found = [m for m in reversed(chat["messages"]) if oldest <= m["timestamp"] <= newest]
        shown = [{k: v for k, v in m.items() if k != "webhookType"} for m in found[:count]]
        return web.json_response({"messages": shown})

    async def _to_chat(self, request: web.Request) -> web.Response:
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        body = await self._body(request)
        if body is None:
            return refusal(100, "PARAM", "Content-Type application/json with a JSON object")
        chat_id = request.match_info["chat_id"]
        named = str((body.get("recipient") or {}).get("chat_id") or chat_id)
        chat = self.chats.get(chat_id)
        if chat is None or chat["gid"] != gid or named != chat_id:
            return refusal(300, "NOT_FOUND", f"Chat {chat_id} not found")
        if (problem := self._text_problem(body)) is not None:
            return problem
        sent = self._post(chat, {"user_id": f"group:{gid}"}, body["message"]["text"])
        return web.json_response({"message_id": sent["message"]["mid"]})

    async def _to_users(self, request: web.Request) -> web.Response:
        gid = self._group(request)
        if gid is None:
            return refusal(102, "PARAM_SESSION_EXPIRED", "Session expired")
        body = await self._body(request)
        users = ((body or {}).get("recipient") or {}).get("user_ids")
        if body is None or not isinstance(users, list) or not users:
            return refusal(100, "PARAM", "recipient.user_ids must list users")
        if (problem := self._text_problem(body)) is not None:
            return problem
        results = []
        for user in users:
            uid = str(user).removeprefix("user:")
            allowed = (gid, uid) in self.allowed
            if allowed:
                chat = self.chat_of(gid, uid)
                self._post(chat, {"user_id": f"group:{gid}"}, body["message"]["text"])
            results.append(allowed)
        return web.json_response({"success": results})

    @staticmethod
    def _text_problem(body: dict) -> web.Response | None:
        text = (body.get("message") or {}).get("text")
        if not isinstance(text, str) or not text.strip():
            return refusal(100, "PARAM", "message.text is empty")
        if len(text) > TEXT_LIMIT:
            return refusal(100, "PARAM", f"message.text is longer than {TEXT_LIMIT}")
        return None

    # -- the chats -------------------------------------------------------------------------
    def _post(self, chat: dict, sender: dict, text: str, webhook: bool = False) -> dict:
        self._seq += 1
        update = {
            "webhookType": "MESSAGE_CREATED",
            "sender": sender,
            "recipient": {"chat_id": chat["chat_id"]},
            "message": {
                "text": text,
                "seq": self._seq,
                "mid": f"mid:{chat['chat_id'].removeprefix('chat:')}.{self._seq:x}",
            },
            "timestamp": int(self.emu.state.clock() * 1000),
        }
        chat["messages"].append(update)
        self.emu.notify({"kind": "group_message", "chat_id": chat["chat_id"]})
        if webhook:
            for subscription in self.subscriptions.get(chat["gid"], []):
                task = asyncio.get_running_loop().create_task(
                    self._deliver(subscription["url"], update)
                )
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
        return update

    async def _deliver(self, url: str, update: dict) -> None:
        """POST until a 200 within 5 s, up to RETRIES times, as OK retries."""
        timeout = aiohttp.ClientTimeout(total=ANSWER_WITHIN)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            for _ in range(RETRIES):
                try:
                    async with session.post(url, json=update) as response:
                        status = response.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                self.deliveries.append({"url": url, "status": status, "update": update})
                self.emu.notify({"kind": "webhook", "status": status})
                if status == 200:
                    return
                await asyncio.sleep(0.2)

    async def stop(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
