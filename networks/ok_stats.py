"""Per-topic figures of the office's OK group for the monthly report: mediatopic.getByIds.

`mediatopic.getByIds` takes up to 100 topic ids (`topic_ids`) and, with the fields
media_topic.LIKE_SUMMARY, RESHARE_SUMMARY, DISCUSSION_SUMMARY and VIEWS_COUNT, answers each
topic in `media_topics` with `like_summary.count`, `reshare_summary.count`,
`discussion_summary.comments_count` and `views_count`. The method and these field names are as
public OK clients call them for exactly this (statistics of a group's topics); the apiok.ru
page itself was not found by the search: NOT confirmed from OK's own documentation, and a
figure OK does not send stays empty in the report rather than zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.domain import Network
from bot.ports import PostStats
from networks.ok_api import OKApi

BATCH = 100
FIELDS = ",".join(
    f"media_topic.{name}"
    for name in ("ID", "LIKE_SUMMARY", "RESHARE_SUMMARY", "DISCUSSION_SUMMARY", "VIEWS_COUNT")
)


def _number(value: Any, key: str | None = None) -> int | None:
    if key is not None:
        value = value.get(key) if isinstance(value, dict) else None
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class OKStats:
    network = Network.ok
    unavailable = ""

    def __init__(self, api: OKApi) -> None:
        self._api = api

    async def stats(self, external_ids: Sequence[str]) -> dict[str, PostStats]:
        found: dict[str, PostStats] = {}
        ids = [x for x in external_ids if x.isdigit()]
        for start in range(0, len(ids), BATCH):
            answer = await self._api.call(
                "mediatopic.getByIds", topic_ids=",".join(ids[start : start + BATCH]), fields=FIELDS
            )
            for topic in (answer or {}).get("media_topics", []):
                found[str(topic.get("id"))] = PostStats(
                    views=_number(topic.get("views_count")),
                    likes=_number(topic.get("like_summary"), "count"),
                    reposts=_number(topic.get("reshare_summary"), "count"),
                    comments=_number(topic.get("discussion_summary"), "comments_count"),
                )
        return found
