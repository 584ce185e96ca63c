"""Attachments kept on disk by content hash, so one photo stored twice costs nothing."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path

# Hashing and writing a few MB (a phone's photo or video) takes milliseconds: off the event
# loop, so other people's chats don't wait for it. Small files aren't worth a thread hop.
IN_THREAD_ABOVE = 256 * 1024


class MediaStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256

    def has(self, sha256: str | None) -> bool:
        return bool(sha256) and self.path_for(sha256).exists()

    async def keep(self, data: bytes) -> str:
        """Store a file; its content hash names it."""
        if len(data) > IN_THREAD_ABOVE:
            digest, _ = await asyncio.to_thread(self.save, data)
        else:
            digest, _ = self.save(data)
        return digest

    def save(self, data: bytes) -> tuple[str, Path]:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)
        return digest, path
