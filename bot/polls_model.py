"""A stored poll as the core's PollSpec (kept apart so bot/views.py needs no use case)."""

from __future__ import annotations

import json

from bot.ports import PollSpec
from storage.formats import PostPoll


def poll_of(row: PostPoll | None) -> PollSpec | None:
    if row is None:
        return None
    return PollSpec(row.question, tuple(json.loads(row.options)), row.multiple, row.ends_at)
