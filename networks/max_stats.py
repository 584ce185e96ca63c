"""Per-post figures of the office's MAX channel for the monthly report: views only.

GET /messages with `message_ids` returns the posts (dev.max.ru/docs-api/methods/GET/messages,
as maxapi's get_messages calls it), and a channel post's Message carries `stat.views` (maxapi's
Message.stat: MessageStat.views, "количество просмотров сообщения"). The Bot API gives no likes
(reactions), reposts or comment counters for a post that we found, so those stay empty in the
report and the report says why. NOT confirmed from MAX's own pages: that `stat` comes for every
channel post (maxapi marks it optional; a post without it gets no figure).
"""

from __future__ import annotations

from collections.abc import Sequence

from maxapi import Bot

from bot.domain import Network
from bot.ports import PostStats
from networks.max_comments import max_retry_after
from networks.ratelimit import Pace

BATCH = 100
NOTE = "MAX сообщает ботам только просмотры публикаций канала: лайков и репостов в данных нет"


class MaxStats:
    network = Network.max
    unavailable = ""
    note = NOTE

    def __init__(self, bot: Bot, pace: Pace) -> None:
        self._bot = bot
        self._pace = pace

    async def stats(self, external_ids: Sequence[str]) -> dict[str, PostStats]:
        found: dict[str, PostStats] = {}
        ids = [x for x in external_ids if x]
        for start in range(0, len(ids), BATCH):
            batch = ids[start : start + BATCH]
            answer = await self._pace.call(
                lambda b=batch: self._bot.get_messages(message_ids=b, count=None),
                retry_after=max_retry_after,
            )
            for message in answer.messages:
                mid = message.body.mid if message.body else ""
                if mid and message.stat is not None:
                    found[mid] = PostStats(views=message.stat.views)
        return found
