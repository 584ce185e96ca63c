"""Wiring the citizens' tickets (bot/replies): each network's ReplyChannel, the core, and its
hooks into moderation (question comments), the digest, the control report and the scheduler."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from bot.domain import Network
from bot.ports import ReplyChannel
from bot.replies.followups import Followups, replies_section
from bot.replies.service import Replies
from handlers.telegram.moderation import TelegramRoom
from networks.telegram_replies import TelegramReplies
from networks.vk_replies import VKReplies
from storage.cursors import StoredCursor

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
    found |= {c.network: c.replies for c in app.connections if c.replies}  # MAX's dialogues
    return found


async def read_messages(replies: Replies, channel: ReplyChannel) -> int:
    """One read of a network that pushes no private messages to the bot (MAX): each new one
    becomes a ticket (or joins the citizen's waiting one)."""
    opened = 0
    for message in await channel.poll():  # type: ignore[attr-defined]
        if await replies.intake(message) is not None:
            opened += 1
    await channel.advance()  # type: ignore[attr-defined]  # only once all became tickets
    return opened


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
    for network, channel in app.replies.channels.items():
        if hasattr(channel, "cursor"):  # MAX's marker: kept in the database across restarts
            channel.cursor = StoredCursor(app.uow, f"{network}:updates", app.clock)
        if seconds := getattr(channel, "every_seconds", 0):
            read = partial(read_messages, app.replies, channel)
            app.scheduler.every(f"replies:messages:{network}", read, seconds / 60)
