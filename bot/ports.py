"""What the core needs from the outside: talking to people and publishing to networks.

The core describes a message as a Card (text plus buttons naming core actions); each chat
transport renders it its own way. Networks are Publishers; their errors come in three kinds.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
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
    open_comments = "oc"
    comment_delete = "md"
    comment_keep = "mk"
    comment_ban = "mb"
    comment_hide = "mh"
    comment_restore = "mr"


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


@dataclass
class Unreachable(Exception):
    """A notifier could not reach the person at all (they blocked the bot, closed messages from
    the community): nothing a retry fixes; a person has to ask them. `reason` and `advice` are
    Russian sentence parts for the editors."""

    network: Network
    reason: str
    advice: str = ""
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        return f"{self.network.title}: {self.reason}"


class Notifier(Protocol):
    """send() returns None when the card was not shown; it raises Unreachable when the person
    can't be reached on that network at all (RoutingNotifier turns that into a note for the
    editors, so the core never sees it)."""

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


class RoomNotifier(Protocol):
    """Sends a card to a shared chat (the editors' moderation group), named like CardRef.chat."""

    async def send_to(self, chat: str, card: Card) -> CardRef | None: ...


@dataclass(frozen=True)
class IncomingComment:
    """A comment as a network adapter saw it; external_id is unique within the network."""

    network: Network
    external_id: str
    post_ref: str
    author_id: int
    text: str
    written_at: datetime
    author_name: str = ""
    author_url: str = ""
    url: str = ""
    post_url: str = ""
    parent_ref: str = ""  # the comment it answers, when the network does not name the post


@dataclass
class ModerationFailed(Exception):
    """The network refused an action; `message` is the Russian sentence for the editor."""

    message: str
    gone: bool = False  # the comment is not there any more: nothing left to do
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.message


class CommentModerator(Protocol):
    """What the moderation loop may do on one network; adapters say what the network allows."""

    network: Network
    can_hide: bool
    can_restore: bool

    def can_ban(self, comment: IncomingComment) -> bool: ...

    def deletable_until(self, written_at: datetime) -> datetime | None: ...

    async def delete(self, comment: IncomingComment) -> None: ...

    async def ban(self, comment: IncomingComment) -> None: ...

    async def hide(self, comment: IncomingComment) -> None: ...

    async def restore(self, comment: IncomingComment) -> None: ...

    def parse_link(self, url: str) -> str | None:
        """The external id of a comment named by this link, or None if the link is not ours."""
        ...

    async def fetch(self, external_id: str) -> IncomingComment | None: ...

    async def author(self, author_id: int) -> tuple[str, str]:
        """The author's name and profile link ("" when unknown)."""
        ...

    def history(self, since: datetime) -> AsyncIterator[list[IncomingComment]]:
        """Comments under recent posts, in batches (a catch-up after a gap); may yield nothing."""
        ...

    async def close(self) -> None: ...
