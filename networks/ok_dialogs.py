"""Citizens who write to the office's OK group, and the group's answers (bot/replies), through
OK's Bot API for group messages (the Graph API at api.ok.ru/graph, a group's bot token).

What it relies on, and where that is written (checked with the search tool):
- The service: apiok.ru/dev/graph_api/bot_api («Сообщения в группах … Модераторы групп могут
  отвечать пользователям … с помощью автоматизированного бота, используя Bot API»; the token
  is made by a group admin in Настройки → Сообщения → «Работа с API» and goes in the
  `access_token` parameter; a new token invalidates the old one).
- Webhooks: POST /graph/me/subscribe {"url": …} (apiok.ru/dev/graph_api/methods/graph.user/
  graph.user.subscribe/post): «Content-Type: application/json;charset=utf-8» on every POST; new
  chat messages come to every subscribed URL as a JSON POST {"sender": {"user_id":
  "user:…"}, "recipient": {"chat_id": "chat:…"}, "message": {"text", "seq", "mid"},
  "timestamp"} — except messages by the token's owner; the URL must answer 200 within 5 s or
  OK sends again (and may drop a URL silent for 8 hours); requests come from 217.20.145.192/28,
  217.20.151.160/28, 217.20.153.48/28. GET /graph/me/subscriptions lists the URLs
  (graph.user.subscriptions).
- Reading after the fact (the catch-up after downtime or a lost webhook): GET /graph/me/chats
  (apiok.ru/en/dev/graph_api/methods/graph.user/graph.user.chats/get: «marker … Must be empty
  in a first request», count 1…100, default 50; «Chats with the most recent activities come
  first»; {"chats": [{"chat_id", "lastEventTime", "participants", "group_id", …}], "marker"};
  «If marker is not present in a response it means you've reached the end») and GET
  /graph/me/messages/chat:<id> with `from` (newest timestamp, default 2^63-1), `to` (oldest,
  default 0) and `count` (default 50) (apiok.ru/en/dev/graph_api/methods/graph.user/
  graph.user.messages/get, also new.apiok.ru/dev/graph_api/methods/graph.chat/
  graph.chat.messages/get: «сообщения идут в порядке убывания их времени появления … from
  должен быть больше параметра to»; {"messages": [{"sender", "recipient", "message": {"text",
  "seq", "mid", "attachments"}, "timestamp"}]}, the webhook's shape). NOT confirmed: whether
  `from` and `to` include their bounds and the largest `count` (pages of PAGE are read back
  from the newest, a page's oldest timestamp starting the next; known mids are skipped).
- Sending: POST /graph/me/messages/chat:<id> {"recipient": {"chat_id": …}, "message": {"text":
  …}} (graph.user.messages/post); and from the group to a person with no chat yet:
  {"recipient": {"user_ids": ["user:…"]}, …} → {"success": [true|false]} («User must allow to
  receive group messages before it can be sent to him»). That second form answers question
  comments under the group's topics: OK's REST API offers an application no method to write a
  comment (the discussions.* methods found read and delete), so the group answers privately
  and the ticket's card says so.
- Dropping an URL: POST /graph/me/unsubscribe {"url": …} (public clients list the method,
  «отписаться от получения новых событий в чатах группы»; its path is NOT confirmed).
NOT confirmed: the path of the user_ids form (sent to /graph/me/messages, as public clients
do); the answer of a chat send ({"message_id": "mid:…"}, as a TamTam-era client reads it); a
"webhookType" field (newer pages name MESSAGE_CREATED; the adapter takes updates without it);
the text limit (4000 is assumed, as in MAX and TamTam) and the error answer (OK's REST shape
{"error_code", "error_msg"} is assumed, with its codes: 102 session expired, 8 flood).
OK has no idempotency key for messages: the ticket's own state sends once.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.config import Config, Secrets, hide_tokens
from bot.domain import Network
from bot.ports import CitizenMessage, IncomingComment, Published, PublishError
from networks.ratelimit import Rate, pace_for

log = logging.getLogger(__name__)
TEXT_LIMIT = 4000  # NOT confirmed for OK (see above)
RPS = 5  # OK publishes no rate for the Bot API; the same pace as its REST calls
FLOOD_BLOCKED = 8
NOT_FOUND = 300  # a chat that is not (any more) the group's
AUTH_CODES = {102, 103, 104}  # OK's session codes: the token is wrong or was replaced
PAGE = 50  # messages a read: OK's default `count` (no larger one documented)
CHATS_PAGE = 100  # chats a read: the documented maximum
MAX_CHAT_PAGES = 50  # 5000 chats active since the last read is far beyond a real gap
MAX_HISTORY_PAGES = 20  # of one chat: 1000 messages


class OKBotError(Exception):
    """OK's Bot API answered {"error_code", "error_msg"} (or an HTTP error)."""

    def __init__(self, code: int, message: str) -> None:
        super().__init__(f"OK Bot API error {code}: {message}")
        self.code = code
        self.message = message


class OKDialogs:
    """A ReplyChannel for OK: the group's chats ("message") and private answers to question
    comments ("comment", to "user:<id>"); `parse()` reads one webhook."""

    network = Network.ok

    def __init__(self, base_url: str, token: str, group_id: str = "", timeout: float = 20) -> None:
        self._url = base_url.rstrip("/")
        self._token = token
        self._gid = group_id
        self._timeout = timeout
        self._pace = pace_for(token, Rate(RPS, 1.0), network="ok")
        self._session: aiohttp.ClientSession | None = None

    # ---- intake ----------------------------------------------------------------------------
    def parse(self, update: dict[str, Any]) -> CitizenMessage | None:
        """A citizen's message from one webhook; None for anything else (chat changes, the
        group's own messages written by its moderators on the site)."""
        kind = str(update.get("webhookType") or "MESSAGE_CREATED").upper()
        sender = update.get("sender") or {}
        chat = str((update.get("recipient") or {}).get("chat_id") or "")
        message = update.get("message") or {}
        user = str(sender.get("user_id") or "")
        if kind != "MESSAGE_CREATED" or not user.startswith("user:") or not chat:
            return None  # e.g. "group:…": the group itself, not a person
        uid = user.removeprefix("user:")
        if not uid.isdigit() or not message.get("mid"):
            return None
        text = str(message.get("text") or "")
        if not text and message.get("attachments"):
            text = "(без текста: вложение)"
        stamp = update.get("timestamp") or 0
        return CitizenMessage(
            network=Network.ok,
            channel="message",
            external_id=str(message["mid"]),
            thread_ref=chat,
            author_id=int(uid),
            text=text,
            written_at=datetime.fromtimestamp(stamp / 1000, UTC) if stamp else datetime.now(UTC),
            author_name=str(sender.get("name") or ""),
            url=self.group_messages_url(),
        )

    def group_messages_url(self) -> str:
        return f"https://ok.ru/group/{self._gid}/messages" if self._gid else ""

    def comment_thread(self, comment: IncomingComment) -> str:
        """A question under a topic is answered by a private message from the group."""
        return f"user:{comment.author_id}" if comment.author_id > 0 else ""

    async def subscriptions(self) -> list[str]:
        """The URLs OK sends the group's webhooks to (GET /me/subscriptions); raises OKBotError
        for a token OK does not take (networks/ok_bot_access.py checks tokens with it)."""
        found = await self._call("GET", "/me/subscriptions")
        return [str(s.get("url") or "") for s in found.get("subscriptions") or []]

    async def subscribe(self, url: str, replaces: str = "") -> bool:
        """Register `url` for the group's webhooks (once: an URL already there is kept), and
        drop the group's other URLs under `replaces` (this desk's, made from an earlier bot
        token: nothing answers there any more). False when OK refused; the caller tells."""
        try:
            found = await self.subscriptions()
            for stale in found:
                if replaces and stale.startswith(replaces) and stale != url:
                    # graph.user.unsubscribe, as public clients call it (NOT confirmed)
                    await self._call("POST", "/me/unsubscribe", {"url": stale})
            if url in found:
                return True
            answer = await self._call("POST", "/me/subscribe", {"url": url})
        except (OKBotError, aiohttp.ClientError, TimeoutError, ValueError) as exc:
            log.warning("OK webhook not subscribed: %s", hide_tokens(str(exc)))
            return False
        return bool(answer.get("success"))

    # ---- catch-up --------------------------------------------------------------------------
    async def missed(self, since: datetime) -> list[CitizenMessage]:
        """People's messages to the group written since `since`, oldest first, read back from
        OK (what the webhooks may have missed). PublishError when OK cannot be read."""
        since_ms = int(since.timestamp() * 1000)
        try:
            found: dict[str, tuple[int, int, CitizenMessage]] = {}
            for chat_id in await self._active_chats(since_ms):
                for update in await self._history(chat_id, since_ms):
                    message = self.parse(update)
                    if message is not None:
                        seq = int((update.get("message") or {}).get("seq") or 0)
                        found[message.external_id] = (
                            int(update.get("timestamp") or 0),
                            seq,
                            message,
                        )
        except OKBotError as exc:
            raise sorted_error(exc) from exc
        except (aiohttp.ClientError, TimeoutError) as exc:
            detail = type(exc).__name__  # a connector's text names the URL, token and all
            raise PublishError("temporary", "Одноклассники недоступны", None, detail) from None
        except (ValueError, TypeError) as exc:  # not JSON, or not the documented shape
            detail = hide_tokens(repr(exc))[:300]
            raise PublishError(
                "temporary", "Одноклассники ответили непонятно", None, detail
            ) from None
        return [message for *_, message in sorted(found.values(), key=lambda f: f[:2])]

    async def _active_chats(self, since_ms: int) -> list[str]:
        """The group's chats with an event since `since_ms` (OK lists the latest first)."""
        chats: list[str] = []
        marker = ""
        for _ in range(MAX_CHAT_PAGES):
            query = {"count": str(CHATS_PAGE)} | ({"marker": marker} if marker else {})
            page = await self._call("GET", "/me/chats", query=query)
            listed = page.get("chats") or []
            for chat in listed:
                if int(chat.get("lastEventTime") or 0) < since_ms:
                    return chats  # the rest are older still
                if chat.get("chat_id"):
                    chats.append(str(chat["chat_id"]))
            marker = str(page.get("marker") or "")
            if not marker or not listed:
                return chats
        log.warning("OK catch-up: more active chats than it reads (%s)", len(chats))
        return chats

    async def _history(self, chat_id: str, since_ms: int) -> list[dict[str, Any]]:
        """One chat's messages since `since_ms`, read back from the newest."""
        found: dict[str, dict[str, Any]] = {}
        newest = 2**63 - 1  # OK's default `from`
        for _ in range(MAX_HISTORY_PAGES):
            query = {"from": str(newest), "to": str(since_ms), "count": str(PAGE)}
            try:
                answer = await self._call("GET", f"/me/messages/{chat_id}", query=query)
            except OKBotError as exc:
                if exc.code != NOT_FOUND:
                    raise
                log.info("OK chat %s is gone since it was listed", chat_id)
                return list(found.values())
            page = answer.get("messages") or []
            fresh = [m for m in page if str((m.get("message") or {}).get("mid")) not in found]
            found |= {str((m.get("message") or {}).get("mid")): m for m in fresh}
            if len(page) < PAGE or not fresh:
                return list(found.values())
            newest = min(int(m.get("timestamp") or 0) for m in page)  # inclusive: mids dedupe
        log.warning(
            "OK chat %s: more messages since the last read than the catch-up reads", chat_id
        )
        return list(found.values())

    # ---- the token (replaced from chat: networks/ok_bot_access.py) ------------------------
    @property
    def timeout(self) -> float:
        return self._timeout

    def with_token(self, token: str) -> OKDialogs:
        """A trial copy on another bot token, to check it before it replaces this one."""
        return OKDialogs(self._url, token, self._gid, self._timeout)

    def use_token(self, token: str) -> None:
        """Every later call sends `token`. The pace stays: the group's calls are one stream."""
        self._token = token

    # ---- answers ---------------------------------------------------------------------------
    async def reply(self, channel: str, thread_ref: str, text: str, key: str) -> Published:
        if not text.strip():
            raise PublishError("rejected", "пустой ответ")
        if len(text) > TEXT_LIMIT:
            raise PublishError("rejected", f"ответ длиннее {TEXT_LIMIT} знаков")
        try:
            if channel == "message":
                body = {"recipient": {"chat_id": thread_ref}, "message": {"text": text}}
                answer = await self._call("POST", f"/me/messages/{thread_ref}", body)
                return Published(str(answer.get("message_id") or ""), self.group_messages_url())
            body = {"recipient": {"user_ids": [thread_ref]}, "message": {"text": text}}
            answer = await self._call("POST", "/me/messages", body)
        except OKBotError as exc:
            raise sorted_error(exc) from exc
        except aiohttp.ClientConnectorError as exc:
            detail = type(exc).__name__  # its text names the URL, token and all
            raise PublishError("temporary", "Одноклассники недоступны", None, detail) from None
        except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
            detail = hide_tokens(repr(exc))
            reason = "Одноклассники не ответили вовремя"
            raise PublishError("uncertain", reason, None, detail) from None
        success = answer.get("success")
        if not (all(success) if isinstance(success, list) and success else success is True):
            raise PublishError(
                "rejected",
                "житель не разрешил группе писать ему в Одноклассниках — ответьте ему в группе",
                None,
                json.dumps(answer)[:300],
            )
        return Published("", self.group_messages_url())

    # ---- HTTP ------------------------------------------------------------------------------
    async def _call(
        self, method: str, path: str, body: dict | None = None, query: dict[str, str] | None = None
    ) -> dict[str, Any]:
        return await self._pace.call(
            lambda: self._once(method, path, body, query or {}), retry_after=_flooded
        )

    async def _once(
        self, method: str, path: str, body: dict | None, query: dict[str, str]
    ) -> dict[str, Any]:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=self._timeout)
            )
        data = json.dumps(body, ensure_ascii=False).encode() if body is not None else None
        headers = {"Content-Type": "application/json;charset=utf-8"} if data else {}
        async with self._session.request(
            method,
            self._url + path,
            params={"access_token": self._token} | query,
            data=data,
            headers=headers,
        ) as response:
            status, text = response.status, await response.text()
        if status >= 500:
            raise OKBotError(9999, f"HTTP {status}")
        answer = json.loads(text) if text else {}
        if not isinstance(answer, dict):
            raise ValueError(f"not an object: {text[:100]!r}")
        if "error_code" in answer:
            raise OKBotError(int(answer["error_code"]), str(answer.get("error_msg") or ""))
        if status >= 400:
            raise OKBotError(status, f"HTTP {status}")
        return answer

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()


def sorted_error(exc: OKBotError) -> PublishError:
    detail = str(exc)
    if exc.code in AUTH_CODES or exc.code in (401, 403):
        return PublishError(
            "auth",
            "ключ бота группы в Одноклассниках не действует — получите новый "
            "(Настройки группы → Сообщения → Работа с API) и замените его: /tokens",
            None,
            detail,
        )
    if exc.code in (FLOOD_BLOCKED, 9999, 429):
        return PublishError("temporary", "Одноклассники временно не принимают", 2.0, detail)
    if exc.code == NOT_FOUND:
        return PublishError("rejected", "этого чата в группе больше нет", None, detail)
    return PublishError("rejected", f"Одноклассники не приняли ответ: {exc.message}", None, detail)


def _flooded(exc: BaseException) -> float | None:
    return 1.0 if isinstance(exc, OKBotError) and exc.code == FLOOD_BLOCKED else None


def connect(config: Config, secrets: Secrets) -> OKDialogs | None:
    """The group's messages, when [ok] is on and the group's bot token is set."""
    if not config.ok.enabled or secrets.ok_bot is None:
        return None
    return OKDialogs(
        config.ok.graph_base_url,
        secrets.ok_bot.get_secret_value(),
        config.ok.group_id,
        config.ok.request_timeout,
    )
