"""Citizens' messages and the coordination of replies (order 1.2.3): intake, the ticket card,
forwarding to a department head, the editor's draft and the one reply on the citizen's network.

Chat- and network-agnostic: networks are ReplyChannels, people are a Notifier, the editors'
group a RoomNotifier. Each public method opens its own unit of work, moves the ticket with a
compare-and-set (an action that changes what it read locks the row first: Tickets.get(lock=)),
commits, and only then talks to people or networks.
"""

from __future__ import annotations

from bot.replies.answering import Answering
from bot.replies.core import CARD_KIND, HEAD_CARD_KIND
from bot.replies.intake import Intake

__all__ = ["CARD_KIND", "HEAD_CARD_KIND", "Replies"]


class Replies(Intake, Answering):
    """Intake (bot/replies/intake.py) and answering (bot/replies/answering.py) over one core."""
