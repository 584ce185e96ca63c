"""Bots Long Poll server: <server>?act=a_check&key=..&ts=..&wait=N."""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .server import read_params

if TYPE_CHECKING:
    from .emulator import VKEmulator

MAX_WAIT = 90


def _json(data: Any) -> web.Response:
    return web.Response(text=json.dumps(data, ensure_ascii=False), content_type="application/json")


async def handle_check(emu: VKEmulator, request: web.Request) -> web.StreamResponse:
    params = await read_params(request)
    fault = emu.dispatcher.take_fault("longpoll")
    if fault is not None and fault.kind == "timeout":
        await emu.dispatcher.hold()
        return web.Response(status=504, text="Gateway Timeout")
    if fault is not None and fault.kind == "500":
        return web.Response(status=500, text="Internal Server Error")
    try:
        group_id = int(request.match_info["group_id"])
    except ValueError:
        return _json({"failed": 2})
    state = emu.state
    # Like VK: a wrong or replaced key is failed 2, the client must ask for a new key.
    if params.get("act") != "a_check" or state.lp_keys.get(group_id) != params.get("key"):
        return _json({"failed": 2})
    events = state.lp_events[group_id]
    try:
        ts = int(params.get("ts", ""))
    except ValueError:
        return _json({"failed": 3})  # information lost: new key and ts needed
    if ts < emu.lp_history_start.get(group_id, 0) or ts > len(events):
        return _json({"failed": 1, "ts": str(len(events))})  # history outdated: use this ts
    try:
        wait = max(0, min(int(params.get("wait", "25")), MAX_WAIT))
    except ValueError:
        wait = 25
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait
    while len(events) <= ts and not emu.stopping.is_set():
        remaining = deadline - loop.time()
        if remaining <= 0:
            break
        await state.wait_changed(remaining)
        if state.lp_keys.get(group_id) != params.get("key"):
            return _json({"failed": 2})
    if ts < emu.lp_history_start.get(group_id, 0):  # the history was dropped while waiting
        return _json({"failed": 1, "ts": str(len(events))})
    updates = events[ts:]
    return _json({"ts": str(ts + len(updates)), "updates": updates})
