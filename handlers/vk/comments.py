"""VK wall comments through the Bots Long Poll: wall_reply_new / _edit / _delete -> Moderation.

Thin: the adapter turns an event into an IncomingComment, the core does the rest. When the
long poll loses events the feed (handlers/vk/feed.py) runs the comments' catch-up.
"""

from __future__ import annotations

import logging

from vkbottle import GroupEventType
from vkbottle.framework.labeler import BotLabeler

from bot.domain import Network
from bot.moderation.service import Moderation
from networks.vk_comments import VKComments

log = logging.getLogger(__name__)


def make_labeler(moderation: Moderation, vk: VKComments) -> BotLabeler:
    labeler = BotLabeler()

    @labeler.raw_event([GroupEventType.WALL_REPLY_NEW, GroupEventType.WALL_REPLY_RESTORE], dict)
    async def reply_new(event: dict) -> None:
        incoming = vk.from_event(event["object"])
        if incoming is not None:
            await moderation.ingest([incoming])

    @labeler.raw_event(GroupEventType.WALL_REPLY_EDIT, dict)
    async def reply_edit(event: dict) -> None:
        incoming = vk.from_event(event["object"])
        if incoming is not None:
            await moderation.edited(incoming)

    @labeler.raw_event(GroupEventType.WALL_REPLY_DELETE, dict)
    async def reply_delete(event: dict) -> None:
        await moderation.removed(Network.vk, vk.external_id(event["object"]["id"]))

    return labeler
