"""Post media on a public address, for networks that fetch it themselves (Instagram).

Instagram's content publishing takes `image_url` / `video_url` and "cURLs media used in
publishing attempts, so the media must be hosted on a publicly accessible server at the time
of the attempt" (developers.facebook.com/docs/instagram-platform/content-publishing). The bot
serves the stored files itself, each under a link signed with HMAC-SHA256 and valid for a
configured time, so nobody can list or fetch the office's unpublished photos.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import time
from collections.abc import Callable
from pathlib import Path

from aiohttp import web

from bot.ports import MediaItem

NAME_RE = re.compile(r"^([0-9a-f]{64})(\.[a-z0-9]{2,5})?$")
EXTENSIONS = {
    "image/jpeg": ".jpg",
    "image/png": ".png",
    "video/mp4": ".mp4",
    "video/quicktime": ".mov",
}
TYPES = {ext: mime for mime, ext in EXTENSIONS.items()} | {".jpeg": "image/jpeg"}


class MediaLinks:
    """Signed, expiring links to stored media files (named by their content hash)."""

    def __init__(
        self,
        base_url: str,
        secret: str | None,
        ttl_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        # Without a configured secret links are valid only while this process runs.
        self._key = (secret or secrets.token_hex(32)).encode()
        self._ttl = ttl_seconds
        self._clock = clock

    @property
    def configured(self) -> bool:
        return bool(self.base_url)

    def url_for(self, item: MediaItem) -> str:
        name = item.path.name + EXTENSIONS.get(item.mime_type, "")
        expires = int(self._clock() + self._ttl)
        return f"{self.base_url}/{name}?exp={expires}&sig={self._sign(name, expires)}"

    def check(self, name: str, expires: str, signature: str) -> str | None:
        """None when the link is good, else why it is refused."""
        if not expires.isdigit():
            return "bad link"
        if not hmac.compare_digest(self._sign(name, int(expires)), signature):
            return "bad signature"
        if int(expires) < self._clock():
            return "link expired"
        return None

    def _sign(self, name: str, expires: int) -> str:
        return hmac.new(self._key, f"{name}|{expires}".encode(), hashlib.sha256).hexdigest()


class MediaServer:
    """A small aiohttp server that answers signed links with the stored file."""

    def __init__(self, links: MediaLinks, path_for: Callable[[str], Path]) -> None:
        self.links = links
        self._path_for = path_for
        self._runner: web.AppRunner | None = None
        self.address = ""
        self.served = 0
        self.app = web.Application()
        self.app.add_routes([web.get("/{name}", self._serve)])

    async def _serve(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        found = NAME_RE.match(name)
        if found is None:
            raise web.HTTPNotFound()
        refused = self.links.check(name, request.query.get("exp", ""), request.query.get("sig", ""))
        if refused == "link expired":
            raise web.HTTPGone(text=refused)
        if refused:
            raise web.HTTPForbidden(text=refused)
        path = self._path_for(found[1])
        if not path.exists():
            raise web.HTTPNotFound()
        self.served += 1
        mime = TYPES.get(found[2] or "", "application/octet-stream")
        return web.FileResponse(path, headers={"Content-Type": mime, "Cache-Control": "private"})

    async def start(self, host: str, port: int) -> str:
        self._runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, host, port).start()
        bound = self._runner.addresses[0][1]
        self.address = f"http://{host}:{bound}"
        return self.address

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
            self.address = ""
