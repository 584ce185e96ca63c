"""One model of what a post says and shows, the same for every network.

A post's content is its text and its media items; a media item is a photo, a video or a
document (an infographic is an image or a PDF and goes out as such). Features add their parts
here (a poll, a live broadcast, a contest), so the core builds one `PostContent` and every
adapter reads the same thing from `OutgoingPost` (bot/ports.py), which carries it.

What a network can take is its adapter's business (`Publisher.check()` in networks/); the core
only says what the post holds. `refusal()` words an adapter's «cannot take» the same way on
every network.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.domain import MediaKind


@dataclass(frozen=True)
class MediaItem:
    """One stored file of a post. `size` is its length in bytes (0: not known, read the file)."""

    kind: MediaKind
    filename: str
    mime_type: str
    path: Path
    telegram_file_id: str | None = None
    size: int = 0

    def read(self) -> bytes:
        return self.path.read_bytes()

    @property
    def nbytes(self) -> int:
        if self.size:
            return self.size
        try:
            return self.path.stat().st_size
        except OSError:
            return 0


@dataclass(frozen=True)
class PollSpec:
    """A poll attached to a post (bot/polls.py): the same question and options on every network
    that takes one; each adapter's check() says whether, and within which limits, it does."""

    question: str
    options: tuple[str, ...]
    multiple: bool
    ends_at: datetime


POLL_PART = "poll"  # the part of a publication that names the poll on its network
# Parts named `UPLOAD_PART + file` are files already on the network and not yet in a post (VK's
# uploads): kept with the parts so a retry, after a restart too, attaches them instead of
# uploading again; they are not published parts (storage.outbox.published_parts leaves them out).
UPLOAD_PART = "upload:"


@dataclass(frozen=True)
class PollTally:
    """A network's votes per option, in the order of PollSpec.options."""

    votes: tuple[int, ...]
    voters: int | None = None


class ContentParts:
    """What the post holds, read the same way from PostContent and OutgoingPost."""

    text: str
    media: tuple[MediaItem, ...]
    poll: PollSpec | None

    def of_kind(self, *kinds: MediaKind) -> tuple[MediaItem, ...]:
        return tuple(m for m in self.media if m.kind in kinds)

    @property
    def photos(self) -> tuple[MediaItem, ...]:
        return self.of_kind(MediaKind.photo)

    @property
    def videos(self) -> tuple[MediaItem, ...]:
        return self.of_kind(MediaKind.video)

    @property
    def documents(self) -> tuple[MediaItem, ...]:
        return self.of_kind(MediaKind.document)

    @property
    def kinds(self) -> frozenset[MediaKind]:
        return frozenset(m.kind for m in self.media)

    @property
    def is_empty(self) -> bool:
        return not self.text.strip() and not self.media


@dataclass(frozen=True)
class PostContent(ContentParts):
    """A post's content as the core keeps it: the text and the media items, in order."""

    text: str = ""
    media: tuple[MediaItem, ...] = ()
    poll: PollSpec | None = None


def refusal(kinds: Iterable[MediaKind], why: str = "") -> str:
    """A check()'s «cannot take», shown after the network's name on the draft card:
    «MAX: ✗ документы эта сеть не принимает — уберите их или снимите отметку»."""
    names = " и ".join(k.plural for k in sorted(set(kinds), key=list(MediaKind).index))
    reason = f" ({why})" if why else ""
    return f"{names} эта сеть не принимает{reason} — уберите их или снимите отметку"


def megabytes(size: int) -> str:
    """A file size for a person: «12,5 МБ»."""
    return f"{size / 1024 / 1024:.1f}".replace(".", ",").removesuffix(",0") + " МБ"
