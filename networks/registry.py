"""The networks that plug in by configuration: each adapter module offers `connect()`.

Adding a network is adding its adapter module here and its section in bot/config/networks.py; the
application takes whatever each connector gives (a publisher, a comment moderator, a token
check, statistics) and never asks which network it is.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Config, Secrets
from bot.domain import Network
from bot.ports import AccessCheck, CommentModerator, Publisher, ReplyChannel, StatsSource

# Our posts' external ids on a network since a moment, from the desk's own records: for a
# network whose API cannot list a group's posts to a bot (comments are read under these).
PublishedRefs = Callable[[Network, datetime], Awaitable[list[str]]]


@dataclass
class Connection:
    network: Network
    publisher: Publisher | None = None
    # With `poll_minutes` (bot/moderation/polling.py) when the network pushes no comments.
    moderator: CommentModerator | None = None
    # Its token's check for `pressdesk doctor`, /doctor, the morning token health, the registry.
    access: AccessCheck | None = None
    # Per-post figures for the monthly control report, where the network gives them.
    stats: StatsSource | None = None
    # Citizens' private messages to the office's account and the answers (bot/replies).
    replies: ReplyChannel | None = None


Connector = Callable[[Config, Secrets, PublishedRefs], Connection | None]


def connectors() -> list[Connector]:
    # Imported here: each adapter pulls its own client library in only when asked for.
    from networks import max as max_network
    from networks import meta, ok

    return [ok.connect, max_network.connect, meta.facebook, meta.instagram]


def connect_all(config: Config, secrets: Secrets, published: PublishedRefs) -> list[Connection]:
    """The configured networks whose tokens are set, in a stable order."""
    found = (connect(config, secrets, published) for connect in connectors())
    return [c for c in found if c is not None]
