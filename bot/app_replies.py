"""Wiring the citizens' tickets (bot/replies): each network's ReplyChannel, the core, and its
hooks into moderation (question comments), the digest, the control report and the scheduler."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.domain import Network
from bot.ports import ReplyChannel
from bot.replies.followups import Followups, replies_section
from bot.replies.service import Replies
from handlers.telegram.moderation import TelegramRoom
from networks.telegram_replies import TelegramReplies
from networks.vk_replies import VKReplies

if TYPE_CHECKING:
    from bot.app import Application


def channels(app: Application) -> dict[Network, ReplyChannel]:
    config = app.config
    found: dict[Network, ReplyChannel] = {}
    if app.vk_group_api is not None:
        found[Network.vk] = VKReplies(
            app.vk_group_api, config.vk.group_id, config.vk.request_timeout
        )
    if app.moderation.moderator(Network.telegram) is not None:  # the discussion group is known
        found[Network.telegram] = TelegramReplies(app.bot, config.telegram.channel_username)
    return found


def wire(app: Application) -> None:
    config = app.config
    app.replies = Replies(
        app.uow, app.notifier, TelegramRoom(app.bot), channels(app), config, app.clock
    )
    app.followups = Followups(app.replies, app.uow, app.notifier, app.clock)
    if not config.replies.enabled:
        return
    app.moderation.comment_hooks.append(app.replies.comments)
    app.moderation.digest_sections.append(app.followups.digest_part)
    app.control.sections.append(replies_section)
    app.scheduler.every(
        "replies:deadlines", app.followups.sweep, config.replies.check_every_minutes
    )
