"""Comments from networks that push nothing to the bot: read every few minutes.

A moderator that has `poll_minutes` (and `poll_window`, how far back to look) is read this way;
Moderation.ingest stores each comment once, so reading the same ones again costs nothing but
the requests. A read that fails is told to the editors once (not at every round) and again
only after it worked in between. Network-agnostic: no network is named here.

The posts of the last RECENT are read at every round, the older ones of the window at every
OLDER_EVERY-th round (and at the first): most comments come in a post's first day, and reading a
post is a request (MAX and OK: one a post, up to 1,000 posts), out of the budget the network's
posts need (1,000 MAX posts read each minute were half of MAX's 30 calls a second).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta

from bot.domain import Network
from bot.ports import CommentModerator, IncomingComment, ModerationFailed

log = logging.getLogger(__name__)

RECENT = timedelta(days=1)
OLDER_EVERY = 10


def polled(moderator: CommentModerator) -> float:
    """Minutes between reads for a moderator that must be polled, else 0."""
    return float(getattr(moderator, "poll_minutes", 0) or 0)


class CommentPoller:
    def __init__(
        self,
        ingest: Callable[[Sequence[IncomingComment]], Awaitable[list]],
        tell: Callable[[str], Awaitable[None]],
        clock: Callable[[], datetime],
        posts_out: Callable[[Network], Awaitable[None]] | None = None,
    ) -> None:
        self._ingest = ingest
        self._tell = tell
        self._clock = clock
        self._posts_out = posts_out  # the network's due posts go first (bot/publishing_workers.py)
        self._failing: dict[Network, str] = {}
        self._rounds: dict[Network, int] = {}

    async def poll(self, moderator: CommentModerator) -> int:
        """One read of the moderator's recent comments; returns how many were flagged."""
        network = Network(moderator.network)
        window = getattr(moderator, "poll_window", timedelta(days=7))
        rounds = self._rounds[network] = self._rounds.get(network, 0) + 1
        if (rounds - 1) % OLDER_EVERY:  # the older posts only every OLDER_EVERY-th round
            window = min(window, RECENT)
        if self._posts_out is not None:
            await self._posts_out(network)
        flagged = 0
        try:
            async for batch in moderator.history(self._clock() - window):
                flagged += len(await self._ingest(batch))
        except ModerationFailed as exc:
            log.warning("reading %s comments failed: %s", moderator.network, exc.detail or exc)
            if self._failing.get(moderator.network) != exc.message:
                self._failing[moderator.network] = exc.message
                await self._tell(
                    f"{moderator.network.title}: не получается читать комментарии — "
                    f"{exc.message}. Бот пробует снова каждые {polled(moderator):g} мин."
                )
            return flagged
        if self._failing.pop(moderator.network, None) is not None:
            await self._tell(f"{moderator.network.title}: комментарии снова читаются.")
        return flagged
