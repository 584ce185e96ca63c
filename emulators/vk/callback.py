"""Callback API, as VK runs it: a community's servers (groups.addCallbackServer & co), the
confirmation request a new server must answer with the group's code, then every enabled event
POSTed as JSON with the server's `secret`; an answer other than the text "ok" is retried, up to
five times, then the event is dropped (VK does the same and the bot must catch up)."""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import ClientError, ClientSession, ClientTimeout

from .context import Ctx, Handler
from .state import State

TRIES = 5
# setCallbackSettings flags the desk uses; VK has more, all default off.
EVENT_FLAGS = (
    "message_new",
    "message_reply",
    "message_edit",
    "message_event",
    "wall_post_new",
    "wall_reply_new",
    "wall_reply_edit",
    "wall_reply_delete",
    "wall_reply_restore",
)


@dataclass
class CallbackServer:
    id: int
    group_id: int
    url: str
    title: str
    secret_key: str
    status: str = "unconfigured"  # → "ok" once it answered the confirmation, "failed" if not
    events: set[str] = field(default_factory=set)
    cursor: int = 0  # next index into the group's event stream
    delivered: int = 0
    dropped: int = 0
    task: asyncio.Task | None = None
    stopped: bool = False

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "creator_id": 0,
            "url": self.url,
            "secret_key": self.secret_key,
            "status": self.status,
        }


def _servers(state: State) -> dict[int, CallbackServer]:
    if not hasattr(state, "callback_servers"):
        state.callback_servers = {}
        state.confirmation_codes = {}
    return state.callback_servers


def confirmation_code(state: State, group_id: int) -> str:
    _servers(state)
    return state.confirmation_codes.setdefault(group_id, secrets.token_hex(4))


def _admin(ctx: Ctx, p: dict[str, Any]) -> int:
    group_id = int(p["group_id"])
    if not ctx.is_admin(group_id):
        raise ctx.fail(15)
    return group_id


def _server(ctx: Ctx, p: dict[str, Any], group_id: int) -> CallbackServer:
    server = _servers(ctx.state).get(int(p.get("server_id") or 0))
    if server is None or server.group_id != group_id:
        raise ctx.bad("server_id")
    return server


def get_confirmation_code(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    return {"code": confirmation_code(ctx.state, _admin(ctx, p))}


def add_server(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    group_id = _admin(ctx, p)
    servers = _servers(ctx.state)
    server = CallbackServer(
        id=max(servers, default=0) + 1,
        group_id=group_id,
        url=str(p["url"]),
        title=str(p["title"]),
        secret_key=str(p.get("secret_key") or ""),
        cursor=len(ctx.state.lp_events[group_id]),
    )
    servers[server.id] = server
    server.task = asyncio.get_running_loop().create_task(_deliver(ctx.state, server))
    return {"server_id": server.id}


def edit_server(ctx: Ctx, p: dict[str, Any]) -> int:
    server = _server(ctx, p, _admin(ctx, p))
    server.url, server.title = str(p["url"]), str(p["title"])
    server.secret_key = str(p.get("secret_key") or "")
    server.status = "unconfigured"  # VK asks the new address to confirm again
    ctx.state.notify({"kind": "callback", "server": server.id})
    return 1


def delete_server(ctx: Ctx, p: dict[str, Any]) -> int:
    server = _server(ctx, p, _admin(ctx, p))
    del _servers(ctx.state)[server.id]
    server.stopped = True
    ctx.state.notify({"kind": "callback", "server": server.id})
    return 1


def get_servers(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    group_id = _admin(ctx, p)
    items = [s.public() for s in _servers(ctx.state).values() if s.group_id == group_id]
    return {"count": len(items), "items": items}


def set_settings(ctx: Ctx, p: dict[str, Any]) -> int:
    server = _server(ctx, p, _admin(ctx, p))
    for flag in EVENT_FLAGS:
        if flag in p:
            if int(p[flag]):
                server.events.add(flag)
            else:
                server.events.discard(flag)
    ctx.state.notify({"kind": "callback", "server": server.id})
    return 1


def get_settings(ctx: Ctx, p: dict[str, Any]) -> dict[str, Any]:
    server = _server(ctx, p, _admin(ctx, p))
    return {"api_version": "5.199", "events": {f: int(f in server.events) for f in EVENT_FLAGS}}


async def _post(http: ClientSession, server: CallbackServer, body: dict[str, Any]) -> str | None:
    try:
        async with http.post(server.url, json=body) as answer:
            return (await answer.text()) if answer.status == 200 else None
    except (ClientError, TimeoutError, OSError):
        return None


async def _deliver(state: State, server: CallbackServer) -> None:
    events = state.lp_events[server.group_id]
    async with ClientSession(timeout=ClientTimeout(total=10)) as http:
        while not server.stopped:
            if server.status != "ok":
                code = confirmation_code(state, server.group_id)
                reply = await _post(
                    http, server, {"type": "confirmation", "group_id": server.group_id}
                )
                server.status = "ok" if reply is not None and reply.strip() == code else "failed"
                state.notify({"kind": "callback", "server": server.id, "status": server.status})
                if server.status != "ok":
                    await _wait(state, 1.0)
                    continue
            if server.cursor >= len(events):
                await _wait(state, 1.0)
                continue
            event = events[server.cursor]
            server.cursor += 1
            if event["type"] not in server.events:
                continue
            body = {**event, "secret": server.secret_key} if server.secret_key else dict(event)
            for attempt in range(TRIES):
                if (await _post(http, server, body) or "").strip() == "ok":
                    server.delivered += 1
                    break
                await asyncio.sleep(0.05 * 2**attempt)
            else:
                server.dropped += 1
            state.notify({"kind": "callback", "server": server.id})


async def _wait(state: State, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(seconds):
            await state._changed.wait()


async def stop_all(state: State) -> None:
    tasks = []
    for server in _servers(state).values():
        server.stopped = True
        if server.task is not None:
            tasks.append(server.task)
    state.notify({"kind": "callback-stopping"})
    if tasks:
        _, late = await asyncio.wait(tasks, timeout=2.0)
        for task in late:  # a bot holding the request: give up on it
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)


HANDLERS: dict[str, Handler] = {
    "groups.getCallbackConfirmationCode": get_confirmation_code,
    "groups.addCallbackServer": add_server,
    "groups.editCallbackServer": edit_server,
    "groups.deleteCallbackServer": delete_server,
    "groups.getCallbackServers": get_servers,
    "groups.setCallbackSettings": set_settings,
    "groups.getCallbackSettings": get_settings,
}
