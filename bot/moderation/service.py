"""The moderation loop: comments in, classified, flagged ones to the editors, one decision wins.

Chat- and network-agnostic: networks are CommentModerators, chats are a Notifier (people) and a
RoomNotifier (the editors' group). Like the Desk, each public method opens its own unit of work,
moves the comment's state with a compare-and-set, commits, and only then acts or tells people.

The parts, by responsibility: `core` (state, classifier, cards, conflicts), `intake` (comments
coming in), `decisions` (editors' taps and what they teach), `timers` (raise again, the 48-hour
dead end, the morning digest).
"""

from __future__ import annotations

from bot.moderation.core import (
    ACTS_ON_NETWORK,
    CARD_KIND,
    CONFLICT,
    DECISIONS,
    SHOWN_AT_ONCE,
    TOXIC,
    WAITING,
)
from bot.moderation.decisions import Decisions
from bot.moderation.intake import Flagged, Intake, verdict_columns

__all__ = [
    "ACTS_ON_NETWORK",
    "CARD_KIND",
    "CONFLICT",
    "DECISIONS",
    "SHOWN_AT_ONCE",
    "TOXIC",
    "WAITING",
    "Flagged",
    "Moderation",
    "verdict_columns",
]


class Moderation(Intake, Decisions):
    """The whole moderation loop, as the app, the handlers and the sandbox use it."""
