"""What the core needs from the outside: talking to people and publishing to networks.

The core describes a message as a Card (text plus buttons naming core actions); each chat
transport renders it its own way. Networks are Publishers; their errors come in three kinds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Literal, Protocol

from bot.domain import MediaKind, Network
from storage.models import Person


class Action(StrEnum):
    """Button actions. Values are short because Telegram allows 64 bytes of button data."""

    approve = "ap"
    edit = "ed"
    reject = "rj"
    when = "wh"
    toggle_network = "tn"
    confirm = "ok"
    cancel_post = "cx"
    reschedule = "rs"
    retry = "rt"
    replace_media = "rm"
    keep_media = "km"
    stop = "st"
    schedule = "sc"
    open_drafts = "od"
    open_queue = "oq"


@dataclass(frozen=True)
class Button:
    text: str
    action: Action
    ref: int = 0
    arg: str = ""


@dataclass(frozen=True)
class MediaItem:
    kind: MediaKind
    filename: str
    mime_type: str
    path: Path
    telegram_file_id: str | None = None

    def read(self) -> bytes:
        return self.path.read_bytes()


@dataclass(frozen=True)
class Card:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class CardRef:
    """Where a card was shown: a transport-prefixed chat ("tg:123") and a message id."""

    chat: str
    message_id: int


class Notifier(Protocol):
    async def send(self, person: Person, card: Card) -> CardRef | None: ...

    async def edit(self, ref: CardRef, card: Card) -> None: ...


@dataclass(frozen=True)
class OutgoingPost:
    post_id: int
    text: str
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class Check:
    """A network's view of a post before approval: problems block it, notes only inform."""

    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class Published:
    external_id: str
    url: str


@dataclass
class PublishError(Exception):
    """temporary: try again later; auth: a token or right is missing; rejected: fix the post."""

    kind: Literal["temporary", "auth", "rejected"]
    message: str
    retry_after: float | None = None
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.message


class Publisher(Protocol):
    network: Network

    def check(self, post: OutgoingPost) -> Check: ...

    async def publish(self, post: OutgoingPost) -> Published: ...

    async def close(self) -> None: ...


class Planner(Protocol):
    """Keeps the timer for each scheduled post; the database stays the source of truth."""

    def plan(self, post_id: int, at: datetime) -> None: ...

    def unplan(self, post_id: int) -> None: ...
