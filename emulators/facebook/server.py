"""The Graph API's side of the emulator: a request's parameters and files, injected faults,
the token and appsecret_proof check, then the node or edge it names (emulators/facebook/nodes.py)
and Graph's answer with its usage header."""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from .state import GraphFail, Token

if TYPE_CHECKING:
    from .emulator import GraphEmulator


class GraphServer:
    def __init__(self, emu: GraphEmulator) -> None:
        self.emu = emu

    async def handle(self, request: web.Request) -> web.StreamResponse:
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
        self.emu.requests.append((request.method, path, {k: v for k, v in params.items()}))
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
        if self.emu.usage_percent:
            usage = {
                "type": "pages",
                "call_count": self.emu.usage_percent,
                "total_cputime": 1,
                "total_time": 1,
                "estimated_time_to_regain_access": self.emu.regain_minutes,
            }
            headers["X-Business-Use-Case-Usage"] = json.dumps({"1000": [usage]})
        return web.json_response(body, status=status, headers=headers)

    async def _fault(self, method: str, path: str) -> None:
        for fault in self.emu.faults:
            if (
                fault.count <= 0
                or fault.path not in path
                or (fault.method and fault.method != method)
            ):
                continue
            fault.count -= 1
            if fault.kind == "timeout":
                await asyncio.sleep(self.emu.fault_timeout)
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
                self.emu.usage_percent = 100
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
        token = self.emu.state.tokens.get(raw)
        if token is None:
            raise GraphFail(190, "Invalid OAuth access token - Cannot parse access token")
        if token.expired:
            raise GraphFail(190, "Error validating access token: Session has expired.", 463)
        secret = self.emu.app_secret
        if secret:
            if not proof:
                raise GraphFail(
                    100, "API calls from the server require an appsecret_proof argument"
                )
            wanted = hmac.new(
                self.emu.app_secret.encode(), raw.encode(), hashlib.sha256
            ).hexdigest()
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
        obj = self.emu.state.get(parts[0])
        self._owned(obj, token)
        edge = parts[1] if len(parts) == 2 else ""
        if method == "GET":
            if edge:
                return self.emu.nodes.edge_get(obj, edge, params)
            return self.emu.nodes.view(obj, params.get("fields"))
        if method == "POST":
            if edge:
                return self.emu.nodes.edge_post(obj, edge, params, files)
            return self.emu.nodes.node_post(obj, params)
        if method == "DELETE" and not edge:
            return self.emu.nodes.node_delete(obj)
        raise GraphFail(100, f"(#100) Unsupported {method} request")

    def _debug_token(self, params: dict[str, str], caller: Token) -> dict[str, Any]:
        """GET /debug_token?input_token=…: what Meta says about a token (here: the caller's own
        or another Page token of this app)."""
        raw = params.get("input_token", "")
        token = self.emu.state.tokens.get(raw)
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
        page = self.emu.state.objects[token.page_id]
        mine = {page["id"], page.get("ig_user_id")}
        owner = obj["id"] if obj["type"] in ("page", "ig_user") else obj.get("owner")
        if owner not in mine:
            raise GraphFail(200, "(#200) Permissions error", type="OAuthException")


class _Html(Exception):
    def __init__(self, status: int, text: str) -> None:
        self.status, self.text = status, text
