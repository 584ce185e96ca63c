"""Per-post figures of the community's wall posts for the monthly report: wall.getById.

wall.getById takes up to 100 "owner_postid" references a call and answers each post with its
`views`, `likes`, `reposts` and `comments` counters (VK API 5.199, data/vk-api-schema:
wall.getById -> wall_wallpostFull). It goes through the same rate-limited API object as the
other community calls.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from vkbottle import API, VKAPIError

from bot.domain import Network
from bot.ports import PostStats

log = logging.getLogger(__name__)
BATCH = 100


def _count(item: dict[str, Any], key: str) -> int | None:
    value = item.get(key)
    return int(value["count"]) if isinstance(value, dict) and "count" in value else None


class VKStats:
    network = Network.vk
    unavailable = ""

    def __init__(self, api: API, group_id: int) -> None:
        self._api = api
        self._group_id = group_id

    async def stats(self, external_ids: Sequence[str]) -> dict[str, PostStats]:
        found: dict[str, PostStats] = {}
        ids = [x for x in external_ids if x.isdigit()]
        for start in range(0, len(ids), BATCH):
            refs = ",".join(f"-{self._group_id}_{x}" for x in ids[start : start + BATCH])
            try:
                answer = (await self._api.request("wall.getById", {"posts": refs}))["response"]
            except VKAPIError as exc:
                log.warning("wall.getById failed: %s", exc)
                raise
            items = answer["items"] if isinstance(answer, dict) else answer
            for item in items:
                found[str(item["id"])] = PostStats(
                    views=_count(item, "views"),
                    likes=_count(item, "likes"),
                    reposts=_count(item, "reposts"),
                    comments=_count(item, "comments"),
                )
        return found
