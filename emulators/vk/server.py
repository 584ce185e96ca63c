"""HTTP side of the fake VK: /method/<name>, photo upload, and the order of VK's checks."""

from __future__ import annotations

import asyncio
import json
import secrets
import struct
from collections import deque
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .context import Ctx
from .execute import Runner
from .schema import VKError
from .state import Token

if TYPE_CHECKING:
    from .emulator import VKEmulator


@dataclass
class Fault:
    method: str
    kind: str  # "timeout", "500", "error" or "lost_response" (applied, then no answer)
    count: int
    error_code: int


def dumps(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False)


async def read_params(request: web.Request) -> dict[str, str]:
    """Query string and form body together, as VK reads them."""
    params = {k: v for k, v in request.query.items()}
    if request.method == "POST" and request.content_type in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        form = await request.post()
        params.update({k: v for k, v in form.items() if isinstance(v, str)})
    return params


class Dispatcher:
    def __init__(self, emu: VKEmulator) -> None:
        self.emu = emu
        self.windows: dict[str, deque[float]] = {}

    def take_fault(self, method: str) -> Fault | None:
        for fault in self.emu.faults:
            if fault.count > 0 and fault.method in (method, "*"):
                if fault.method == "*" and method == "longpoll":
                    continue  # "*" means API methods; long poll faults are asked for by name
                fault.count -= 1
                if fault.count == 0:
                    self.emu.faults.remove(fault)
                return fault
        return None

    async def hold(self) -> None:
        """A request that never gets an answer in time (until the emulator stops)."""
        try:
            await asyncio.wait_for(self.emu.stopping.wait(), self.emu.fault_timeout)
        except TimeoutError:
            pass

    async def handle_method(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["name"]
        params = await read_params(request)
        self.emu.requests.append((method, {k: v for k, v in params.items() if k != "access_token"}))
        self.emu.state.notify({"kind": "request", "method": method})
        fault = self.take_fault(method)
        if fault is not None and fault.kind == "timeout":
            await self.hold()
            return web.Response(status=504, text="Gateway Timeout")
        if fault is not None and fault.kind == "500":
            return web.Response(status=500, text="<html><body>500 Internal Server Error</body>")
        try:
            if fault is not None and fault.kind == "error":
                raise self.emu.schema.error(fault.error_code)
            answer: dict[str, Any] = await self.call(method, params)
            if delay := self.emu.answer_delays.get(method):  # applied, the answer comes late
                await asyncio.sleep(delay)
            if fault is not None and fault.kind == "lost_response":
                await self.hold()  # applied, and the answer never comes (the client times out)
                return web.Response(status=504, text="Gateway Timeout")
        except VKError as err:
            request_params = [{"key": "method", "value": method}, {"key": "oauth", "value": "1"}]
            request_params += [
                {"key": k, "value": v} for k, v in params.items() if k != "access_token"
            ]
            answer = {
                "error": {
                    "error_code": err.code,
                    "error_msg": err.msg,
                    "request_params": request_params,
                }
            }
        return web.Response(text=dumps(answer), content_type="application/json")

    async def call(self, method: str, params: dict[str, str]) -> dict[str, Any]:
        """One HTTP request to /method/: VK's checks in VK's order, then the method."""
        schema = self.emu.schema
        if method not in schema.methods:
            raise schema.error(3)
        if not params.get("v"):
            raise schema.error(8, "v (version) is required")
        raw_token = params.get("access_token")
        if not raw_token:
            raise schema.error(5, "no access_token passed.")
        token = self.emu.state.tokens.get(raw_token)
        if token is None:
            raise schema.error(5, "invalid access_token")
        self.rate_limit(raw_token, token)
        if method != "execute":
            return {"response": await self.invoke(method, params, token)}
        schema.check_token_type(schema.methods["execute"], token.kind)
        code = params.get("code")
        if not code:
            raise schema.param_error("code", "missing")
        runner = Runner(schema, lambda m, p: self.invoke(m, p, token, inner=True))
        result = await runner.run(code)
        answer = {"response": result}
        if runner.errors:
            answer["execute_errors"] = runner.errors
        return answer

    def rate_limit(self, raw_token: str, token: Token) -> None:
        limit = self.emu.group_rps if token.kind == "group" else self.emu.user_rps
        now = self.emu.state.clock()
        window = self.windows.setdefault(raw_token, deque())
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limit:
            raise self.emu.schema.error(6)
        window.append(now)

    async def invoke(
        self, method: str, params: dict[str, str], token: Token, inner: bool = False
    ) -> Any:
        schema = self.emu.schema
        spec = schema.methods.get(method)
        if spec is None or (inner and method == "execute"):
            raise schema.error(3)
        schema.check_token_type(spec, token.kind)
        values = schema.validate(spec, params)
        handler = self.emu.handlers.get(method)
        if handler is None:
            raise schema.param_error("method", "not implemented in emulator")
        if inner:
            self.emu.inner_requests.append((method, dict(params)))
        self.emu.state.publish_due()
        ctx = Ctx(self.emu.state, schema, token, self.emu.base_url)
        return handler(ctx, values)

    async def handle_upload(self, request: web.Request) -> web.Response:
        """The upload server: multipart field "photo" -> {"server", "photo", "hash"}."""
        data = b""
        if request.content_type == "multipart/form-data":
            form = await request.post()
            field = form.get("photo")
            if field is not None and not isinstance(field, str):
                data = field.file.read()
        # No file, or bytes that are no picture (JPG, PNG, GIF: dev.vk.com's wall photo upload):
        # VK's upload server answers an empty photo list, which photos.saveWallPhoto refuses.
        if not data or image_type(data) == "application/octet-stream":
            answer = {"server": 1, "photo": "[]", "hash": ""}
            return web.Response(text=dumps(answer), content_type="application/json")
        token, hash_ = secrets.token_hex(16), secrets.token_hex(16)
        width, height = image_size(data)
        self.emu.state.uploads[token] = {
            "data": data,
            "uid": int(request.query.get("uid", "0")),
            "gid": int(request.query.get("gid", "0")),
            "hash": hash_,
            "to": request.query.get("to", "wall"),  # photos.getMessagesUploadServer's: messages
            "width": width,
            "height": height,
        }
        photo = dumps([{"photo": token, "sizes": [], "kid": secrets.token_hex(8)}])
        answer = {"server": 1, "photo": photo, "hash": hash_}
        return web.Response(text=dumps(answer), content_type="application/json")


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of a PNG, GIF or JPEG; (1, 1) when the bytes are no known image."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        w, h = struct.unpack(">II", data[16:24])
        return int(w), int(h)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        w, h = struct.unpack("<HH", data[6:10])
        return int(w), int(h)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                break
            marker, length = data[i + 1], int.from_bytes(data[i + 2 : i + 4], "big")
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                h, w = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(w), int(h)
            i += 2 + length
    return 1, 1


def image_type(data: bytes) -> str:
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return "image/png"
    if data[:3] == b"GIF":
        return "image/gif"
    if data[:2] == b"\xff\xd8":
        return "image/jpeg"
    return "application/octet-stream"
