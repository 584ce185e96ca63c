"""What the fake Telegram remembers: bots, chats, messages, files."""

from __future__ import annotations

import hashlib
import itertools
import struct
from dataclasses import dataclass, field
from typing import Any

SERVICE_USER = {"id": 777000, "is_bot": False, "first_name": "Telegram"}
# Bot API limit for getFile downloads by bots.
DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass
class StoredFile:
    file_id: str
    file_unique_id: str
    kind: str  # photo | video | document | sticker
    data: bytes
    file_path: str
    mime_type: str | None = None
    file_name: str | None = None
    width: int = 0
    height: int = 0


@dataclass
class MessageRecord:
    message: dict[str, Any]
    bot_id: int | None  # the bot that sent it, None for people and service accounts
    sent_at: float


@dataclass
class ChatState:
    chat: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, MessageRecord] = field(default_factory=dict)
    deleted: list[dict[str, Any]] = field(default_factory=list)
    bots: set[int] = field(default_factory=set)
    members: set[int] = field(default_factory=set)
    banned: set[int] = field(default_factory=set)
    discussion_group_id: int | None = None
    linked_channel_id: int | None = None
    reply_keyboard: dict[str, Any] | None = None
    subscribers: int = 0  # a channel's audience (getChatMemberCount), set by the test
    # Rights taken from the bots here (an admin unticked them): reported by getChatMember.
    denied_rights: set[str] = field(default_factory=set)

    @property
    def id(self) -> int:
        return int(self.chat["id"])

    @property
    def type(self) -> str:
        return str(self.chat["type"])

    def take_message_id(self) -> int:
        mid = self.next_message_id
        self.next_message_id += 1
        return mid


@dataclass
class BotState:
    token: str
    user: dict[str, Any]
    updates: list[dict[str, Any]] = field(default_factory=list)
    next_update_id: int = 100_000_001
    commands: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    menu_buttons: dict[int | None, dict[str, Any]] = field(default_factory=dict)
    poll_generation: int = 0
    allowed_updates: list[str] | None = None
    blocked_by: set[int] = field(default_factory=set)
    webhook_url: str = ""
    webhook_secret: str = ""
    webhook: Any = None  # the running WebhookDelivery while a webhook is set

    @property
    def id(self) -> int:
        return int(self.user["id"])


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG or JPEG header; a plausible default for anything else."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            size = struct.unpack(">H", data[i + 2 : i + 4])[0]
            if marker in (0xC0, 0xC1, 0xC2):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            i += 2 + size
    return 1280, 960


class FileStore:
    """File ids resolve to bytes; every upload gets a new id, like Telegram."""

    def __init__(self) -> None:
        self.by_id: dict[str, StoredFile] = {}
        self.by_path: dict[str, StoredFile] = {}
        self._seq = itertools.count(1)
        self.thumbs: dict[str, str] = {}  # photo file_id -> thumbnail file_id

    def add(
        self,
        data: bytes,
        kind: str,
        *,
        mime_type: str | None = None,
        file_name: str | None = None,
    ) -> StoredFile:
        n = next(self._seq)
        digest = hashlib.sha256(data).hexdigest()
        prefix = {"photo": "AgAC", "video": "BAAC", "document": "BQAC", "sticker": "CAAC"}[kind]
        file_id = f"{prefix}AgIEmu{n:06d}{digest[:24]}"
        unique = f"AQAD{digest[:16]}"
        ext = {"photo": "jpg", "video": "mp4", "sticker": "webp"}.get(kind, "")
        if kind == "document" and file_name and "." in file_name:
            ext = file_name.rsplit(".", 1)[1]
        folder = {"photo": "photos", "video": "videos", "sticker": "stickers"}.get(
            kind, "documents"
        )
        path = f"{folder}/file_{n}.{ext}" if ext else f"{folder}/file_{n}"
        width, height = image_size(data) if kind == "photo" else (0, 0)
        if kind == "video":
            width, height = 1280, 720
        if kind == "sticker":
            width, height = 512, 512
        stored = StoredFile(file_id, unique, kind, data, path, mime_type, file_name, width, height)
        self.by_id[file_id] = stored
        self.by_path[path] = stored
        return stored

    def add_photo(self, data: bytes) -> StoredFile:
        photo = self.add(data, "photo")
        # A real photo comes with smaller sizes; their bytes differ from the original.
        thumb = self.add(b"thumbnail:" + hashlib.sha256(data).digest(), "photo")
        scale = 90 / max(photo.width, photo.height, 1)
        thumb.width = max(1, round(photo.width * scale))
        thumb.height = max(1, round(photo.height * scale))
        self.thumbs[photo.file_id] = thumb.file_id
        return photo

    def photo_sizes(self, photo: StoredFile) -> list[dict[str, Any]]:
        sizes = []
        thumb_id = self.thumbs.get(photo.file_id)
        if thumb_id:
            sizes.append(self.describe(self.by_id[thumb_id]))
        sizes.append(self.describe(photo))
        return sizes

    def describe(self, f: StoredFile) -> dict[str, Any]:
        """The Bot API object for a stored file (PhotoSize, Video, Document, Sticker)."""
        obj: dict[str, Any] = {
            "file_id": f.file_id,
            "file_unique_id": f.file_unique_id,
            "file_size": len(f.data),
        }
        if f.kind in ("photo", "video", "sticker"):
            obj.update(width=f.width, height=f.height)
        if f.kind == "video":
            obj.update(duration=10, mime_type=f.mime_type or "video/mp4")
            if f.file_name:
                obj["file_name"] = f.file_name
        if f.kind == "document":
            if f.file_name:
                obj["file_name"] = f.file_name
            obj["mime_type"] = f.mime_type or "application/octet-stream"
        if f.kind == "sticker":
            obj.update(type="regular", is_animated=False, is_video=False, emoji="👍")
        return obj

    def content(self, f: StoredFile) -> dict[str, Any]:
        """Message fields for this file as the single media of a message."""
        if f.kind == "photo":
            return {"photo": self.photo_sizes(f)}
        return {f.kind: self.describe(f)}


def strip_reply(message: dict[str, Any]) -> dict[str, Any]:
    """A message as nested in reply_to_message: Telegram doesn't nest replies twice."""
    return {k: v for k, v in message.items() if k != "reply_to_message"}


MEDIA_KEYS = ("photo", "video", "document", "sticker")
CONTENT_KEYS = ("text", "entities", "caption", "caption_entities", "photo", "video")
CONTENT_KEYS += ("document", "sticker", "media_group_id", "show_caption_above_media")


def content_of(message: dict[str, Any]) -> dict[str, Any]:
    return {k: message[k] for k in CONTENT_KEYS if k in message}
