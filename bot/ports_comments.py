"""What the core needs from a network's comments and private messages: moderating comments
(CommentModerator) and carrying the administration's answers back to citizens (ReplyChannel).
Part of the ports (bot/ports.py re-exports every name)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal, Protocol

from bot.domain import Network

if TYPE_CHECKING:
    from bot.ports import Published


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


# ---- citizens' messages and replies (issue 14, bot/replies) ---------------------------------
@dataclass(frozen=True)
class CitizenMessage:
    """A citizen's private message or question comment as a network adapter saw it.

    `channel` is "message" (a private dialogue) or "comment" (under a post); `thread_ref` is
    where the network's ReplyChannel sends the answer (a peer id, a post and comment), in the
    adapter's own notation; `external_id` is unique within the network and channel."""

    network: Network
    channel: Literal["message", "comment"]
    external_id: str
    thread_ref: str
    author_id: int
    text: str
    written_at: datetime
    author_name: str = ""
    url: str = ""


class ReplyChannel(Protocol):
    """How a network carries the administration's answer back to the citizen.

    `reply()` sends `text` where the message came from (the dialogue, a reply comment under the
    post) and returns its link; `key` names this answer across attempts (VK's random_id, guid),
    so a repeated call after a lost answer sends nothing new where the network de-duplicates.
    Errors are PublishError: "uncertain" when the call may have been applied."""

    network: Network

    async def reply(self, channel: str, thread_ref: str, text: str, key: str) -> Published: ...

    def comment_thread(self, comment: IncomingComment) -> str:
        """Where a reply to this comment goes ("" when the network cannot answer it)."""
        ...


class Cursor(Protocol):
    """Where an adapter's reading of a network's updates stopped, kept across restarts (the
    desk's database): `load()` is None before the first save."""

    async def load(self) -> int | None: ...

    async def save(self, value: int) -> None: ...
