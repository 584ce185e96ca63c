"""What the core needs from the outside: talking to people and publishing to networks.

The core describes a message as a Card (text plus buttons naming core actions); each chat
transport renders it its own way. Networks are Publishers; their errors come in three kinds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Literal, Protocol

from bot.content import (
    POLL_PART,
    UPLOAD_PART,
    ContentParts,
    MediaItem,
    PollSpec,
    PollTally,
    PostContent,
)
from bot.domain import Network

# The ports of comments and replies, and of the desk's accounts, have modules of their own;
# every name is still reached from here.
from bot.ports_accounts import AccessCheck, AccessProblem, AccountFacts, PostStats, StatsSource
from bot.ports_comments import (
    CitizenMessage,
    CommentModerator,
    Cursor,
    IncomingComment,
    ModerationFailed,
    ReplyChannel,
)
from storage.models import Person

# Re-exported: the ports adapters read.
__all__ = [
    "POLL_PART",
    "UPLOAD_PART",
    "AccessCheck",
    "AccessProblem",
    "AccountFacts",
    "CitizenMessage",
    "CommentModerator",
    "Cursor",
    "IncomingComment",
    "ModerationFailed",
    "PollSpec",
    "PollTally",
    "PostStats",
    "ReplyChannel",
    "StatsSource",
]


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
    confirm_out = "yo"  # «Да, вышло»: a publication of unknown outcome is there
    publish_again = "pa"  # «Опубликовать снова»: it is not, send it
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
    comment_dismiss = "mx"
    # the reporting duty and the plan (bot/duty.py, bot/plan.py)
    remind = "dr"
    report_now = "dn"
    open_plan = "op"
    feed_new = "fn"  # /feed's «Получить новую ссылку» (bot/plan_feed.py)
    feed_revoke = "fr"  # /feed's «Отозвать ссылку»
    # citizens' tickets (bot/replies)
    ticket_reply = "ta"  # «Ответить»: the editor writes the reply
    ticket_template = "tt"  # «Шаблон»: the list of templates
    ticket_use = "tu"  # one template of the list (arg: its number)
    ticket_forward = "tf"  # «Передать в отдел»: the list of departments
    ticket_to = "tg"  # one department of the list (arg: its id)
    ticket_dismiss = "tx"  # «Без ответа»
    ticket_send = "ts"  # «Отправить» under a draft
    ticket_edit = "te"  # «Изменить» under a draft
    ticket_answer = "th"  # «Ответить» under a department head's question
    open_tickets = "ot"
    # polls, live broadcasts, contests (bot/polls.py, bot/broadcasts.py, bot/contests.py)
    add_poll = "po"
    poll_kind = "pk"
    add_broadcast = "ab"
    add_contest = "ac"
    publish_recording = "pr"
    # the per-network preview and texts (bot/preview.py)
    preview = "pv"
    accept_fit = "af"
    network_text = "nt"
    common_text = "ct"
    # after publication (bot/corrections.py)
    edit_published = "ep"
    delete_published = "dp"
    delete_confirmed = "dy"


@dataclass(frozen=True)
class Button:
    text: str
    action: Action
    ref: int = 0
    arg: str = ""


@dataclass(frozen=True)
class Card:
    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class DigestPart:
    """What one feature adds to the editors' morning digest: bullet lines and their buttons."""

    lines: tuple[str, ...]
    buttons: tuple[tuple[Button, ...], ...] = ()


class DigestSection(Protocol):
    """A feature's part of the morning digest, or None when it has nothing to say today."""

    async def __call__(self, now: datetime) -> DigestPart | None: ...


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
class Published:
    external_id: str
    url: str


PartSent = Callable[[str, Published], Awaitable[None]]


@dataclass(frozen=True)
class OutgoingPost(ContentParts):
    """One post for one network: its content (bot/content.py; `text`, `media`, and the helpers
    `photos`, `videos`, `documents`, `kinds`) and how this publication goes out.

    `key` names this publication across every attempt and restart ("pressdesk-post-12"): a
    network with an idempotency key sends it (VK's `guid`). `sent` holds the parts of the post an
    earlier attempt already delivered (e.g. {"album": ...}): the adapter sends only the rest.
    An adapter that sends a post in several calls awaits `part_sent(name, result)` after each
    part lands and before the next: the core writes it down, so a crash or a failure after the
    album never sends the album again."""

    post_id: int
    text: str
    media: tuple[MediaItem, ...] = ()
    key: str = ""
    sent: Mapping[str, Published] = field(default_factory=dict)
    on_part: PartSent | None = field(default=None, compare=False)
    poll: PollSpec | None = None

    @classmethod
    def of(cls, post_id: int, content: PostContent, **how: object) -> OutgoingPost:
        """The publication of `content`; `how`: key, sent, on_part."""
        return cls(post_id, content.text, content.media, poll=content.poll, **how)  # type: ignore[arg-type]

    @property
    def content(self) -> PostContent:
        return PostContent(self.text, self.media, self.poll)

    async def part_sent(self, name: str, result: Published) -> None:
        if self.on_part is not None:
            await self.on_part(name, result)


@dataclass(frozen=True)
class Check:
    """A network's view of a post before approval: problems block it, notes only inform."""

    problems: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class PreviewPart:
    """One message or post as the network will show it (bot/preview.py): what it is («Альбом
    из 3 фото с подписью», «Текст отдельным сообщением»), its text and its media."""

    label: str
    text: str = ""
    media: tuple[MediaItem, ...] = ()


@dataclass(frozen=True)
class Fit:
    """An adaptation a network proposes: the text cut to `limit` as the network counts it
    (`measure`: Telegram counts UTF-16 units). `key` names it in a button; `label` is the
    button's text («Сократить до 1024 знаков — в подпись»), `why` says what it changes."""

    key: str
    label: str
    limit: int
    why: str = ""
    measure: Callable[[str], int] = field(default=len, compare=False)


@dataclass
class PublishError(Exception):
    """temporary: nothing was applied, try again later; auth: a token or right is missing;
    rejected: fix the post; uncertain: the call may have been applied and its answer was lost
    (a timeout after the request went out, a body that cannot be parsed: a proxy's HTML page,
    a truncated answer). An uncertain publication is never re-sent on its own unless the
    publisher is idempotent; a person is asked («Возможно, опубликовано»)."""

    kind: Literal["temporary", "auth", "rejected", "uncertain"]
    message: str
    retry_after: float | None = None
    detail: str = field(default="", compare=False)

    def __str__(self) -> str:
        return self.message


class Publisher(Protocol):
    """A network the desk publishes to. The outbox (bot/publishing.py) calls it.

    Required: `network`, `check()`, `publish()`, `close()`. `publish()` returns the post's
    first message (its link is what people get) or raises PublishError; it must raise kind
    "uncertain", never "temporary", when the request may have reached the network (a timeout
    after sending, an unparsable answer). A post sent in several calls reports each part with
    `post.part_sent()` and skips the parts in `post.sent`.

    Optional, with the defaults below (inherit from Publisher to get them; the core reads them
    with these defaults for adapters that don't):
    - `idempotent`: True when the network de-duplicates a repeated call carrying `post.key`
      (VK `guid`); then a publication whose outcome is unknown is simply sent again, as long as
      `idempotency_window` seconds (how long the network remembers the key) have not passed
      since the first attempt.
    - `find_existing(post, since)`: look on the network for this post published since `since`
      (used past the window, and after a crash, before sending again); None when it is not
      there or the network cannot be searched (Telegram's Bot API cannot read a channel).
    - `home_url()`: where a person checks by eye whether the post went out (the channel, the
      wall); shown with «Возможно, опубликовано».
    - `senders`: how many of its publications one instance may have under way at once (1 by
      default). More only where the network's limit allows more posts a second than one post's
      round of database writes and request takes (MAX: 30 a second); on a network with no
      idempotency key, each one under way at a crash is one more «Возможно, опубликовано».
    - `poll_results(poll, ref)`: the votes of a poll this publisher sent (ref: the publication's
      POLL_PART); only publishers whose check() lets a post with a poll through have it. It may
      close the poll (Telegram's stopPoll). Raises PublishError when the network won't say.
    """

    network: Network
    idempotent: bool = False
    idempotency_window: float = 0.0
    senders: int = 1

    def check(self, post: OutgoingPost) -> Check: ...

    async def publish(self, post: OutgoingPost) -> Published: ...

    async def find_existing(self, post: OutgoingPost, since: datetime) -> Published | None:
        return None

    def home_url(self) -> str:
        return ""

    async def close(self) -> None: ...

    # ---- the preview and after publication (bot/preview.py, bot/corrections.py) -----------
    # Optional too: `preview(post)` shows the post as this network will show it (default: one
    # part, the text and every file); `fits(post)` the text cuts it proposes (default: none).
    # `edit_refusal(post)` / `delete_refusal(post)`: "" when this network can change the text
    # of (delete) the published post, else the Russian reason (default: it cannot). `edit(post)`
    # puts `post.text` in place of the published text, `delete(post)` removes the post; in both
    # `post.sent` holds the published parts (at least one, the post's first message).

    def preview(self, post: OutgoingPost) -> tuple[PreviewPart, ...]:
        return (PreviewPart("Публикация", post.text, post.media),)

    def fits(self, post: OutgoingPost) -> tuple[Fit, ...]:
        return ()

    def edit_refusal(self, post: OutgoingPost) -> str:
        return "изменить опубликованный текст здесь бот не может"

    def delete_refusal(self, post: OutgoingPost) -> str:
        return "удалить публикацию здесь бот не может"

    async def edit(self, post: OutgoingPost) -> None:
        raise PublishError("rejected", self.edit_refusal(post))

    async def delete(self, post: OutgoingPost) -> None:
        raise PublishError("rejected", self.delete_refusal(post))


class Planner(Protocol):
    """Keeps the timer for each scheduled post; the database stays the source of truth."""

    def plan(self, post_id: int, at: datetime) -> None: ...

    def unplan(self, post_id: int) -> None: ...


class RoomNotifier(Protocol):
    """Sends a card to a shared chat (the editors' moderation group), named like CardRef.chat."""

    async def send_to(self, chat: str, card: Card) -> CardRef | None: ...
