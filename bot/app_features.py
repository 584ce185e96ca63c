"""Wiring the features on top of the networks: comment moderation (which networks, their jobs),
the reporting duty and the monthly control report, and security (token checks, the registry,
token health, access management, retention)."""

from __future__ import annotations

import asyncio
from functools import partial
from typing import TYPE_CHECKING

from bot import app_replies, token_sources
from bot.access import AccessService, FloodGuard
from bot.app_networks import access_checks
from bot.domain import Network
from bot.instances import Presence
from bot.moderation.polling import CommentPoller, polled
from bot.ports import CommentModerator
from bot.registry import Registry
from bot.retention import Retention
from bot.token_health import TokenHealth
from handlers.registry_web import registry_routes
from handlers.telegram.control import send_report
from networks.vk_comments import VKComments
from storage.models import Person

if TYPE_CHECKING:
    from bot.app import Application


async def moderators(app: Application) -> dict[Network, CommentModerator]:
    config = app.config
    found: dict[Network, CommentModerator] = {}
    if not config.moderation.enabled:
        return found
    if config.telegram.channel_id:
        await app.tg_comments.resolve(config.telegram.channel_id)
        if app.tg_comments.discussion_id is not None:
            found[Network.telegram] = app.tg_comments
        else:
            await app.alerts.once(
                "telegram-comments-off",
                "Модерация комментариев в Telegram выключена: "
                f"{app.tg_comments.problem}. Бот проверит снова при следующем запуске.",
            )
    if app.vk_user_api is not None and app.vk_group_api is not None:
        found[Network.vk] = VKComments(
            app.vk_user_api,
            app.vk_group_api,
            config.vk.group_id,
            config.vk.request_timeout,
            config.moderation.catchup_max_posts,
        )
    found |= {c.network: c.moderator for c in app.connections if c.moderator}
    return found


def start_moderation(app: Application) -> None:
    settings = app.config.moderation
    if not settings.enabled:
        return
    moderation = app.moderation
    moderation.on_trouble = app.alerts.once
    tz = app.config.desk.timezone
    app.scheduler.daily("moderation:digest", moderation.send_digest, settings.digest_time, tz)
    every = settings.check_every_minutes
    app.scheduler.every("moderation:raise-again", moderation.raise_again, every)
    # Networks that push no comments to the bot are read every few minutes.
    app.comment_poller = CommentPoller(
        moderation.ingest, app.tell_editors, app.clock, app.outbox.posts_out
    )
    for network, moderator in moderation.moderators().items():
        if minutes := polled(moderator):
            poll = partial(app.comment_poller.poll, moderator)
            app.scheduler.every(f"moderation:poll:{network}", poll, minutes)
    app.scheduler.every("moderation:expire", moderation.expire_overdue, every)
    if settings.retrain_time:
        app.scheduler.daily("moderation:retrain", moderation.retrain, settings.retrain_time, tz)
    # The long poll (start_vk) first, then the catch-up: whatever arrives meanwhile is
    # stored once.
    app._catch_up = asyncio.create_task(moderation.catch_up(), name="moderation-catch-up")


def start_duty(app: Application) -> None:
    """The reporting duty's daily sweeps; those whose time already came today run now."""
    if not app.config.duty.enabled:
        return
    for job_id, sweep, at in app.duty.jobs():
        app.scheduler.daily(job_id, sweep, at, app.config.desk.timezone)
    app._duty_catch_up = asyncio.create_task(app.duty.catch_up(), name="duty-catch-up")
    if app.config.control.enabled:
        # Daily at its time; the job itself acts only on the 1st (Control.send_monthly).
        tz = app.config.desk.timezone
        at = app.config.control.monthly_time
        app.scheduler.daily("control:monthly", app.control.send_monthly, at, tz)


def security(app: Application) -> None:
    """Token checks per adapter, the registry, token health, access management (issue 15)."""
    config, clock = app.config, app.clock
    app.checks = access_checks(
        config,
        app.bot,
        app.vk_user_api,
        app.vk_group_api,
        app.connections,
        app_replies.bot_checks(app),
    )
    app.registry = Registry(
        app.uow, config.desk.tz, clock, config.registry.organisation, app.checks
    )
    app.token_health = TokenHealth(app.uow, app.checks, app.notifier, app.registry, clock)
    app.access = AccessService(
        app.uow, app.people, app.notifier, clock, app.vault, app.checks, app.env_secrets
    )
    app.retention = Retention(
        app.uow, config.retention, app.media, app.moderation.moderators, clock
    )
    app.retention.tickets = app.followups.purge  # citizens' tickets (bot/app_replies.py)
    app.scheduler.daily(
        "retention:purge",
        app.retention.purge,
        config.retention.purge_time,
        config.desk.timezone,
    )
    assert app.web is not None
    app.web.add_routes(registry_routes(app.registry))  # the public registry
    app.flood = FloodGuard(config.security.flood_messages, config.security.flood_seconds)
    app.scheduler.daily(
        "registry:health",
        app.token_health.morning,
        config.registry.health_time,
        config.desk.timezone,
    )
    app._sync_registry = asyncio.create_task(app.registry.sync_own(), name="registry-sync")


async def tell_superseded(app: Application) -> None:
    """Chat tokens the environment replaced since (bot/token_sources.py): the admins hear it."""
    for text in token_sources.notices(app.checks, app.token_choice, app.config.desk.tz):
        await app.alerts.once(f"token:superseded:{text}", text)


async def deliver_report(app: Application, person: Person, report: object) -> None:
    if person.telegram_id is not None:
        await send_report(app.bot, person.telegram_id, report, app.config.desk.tz)


async def start_presence(app: Application) -> None:
    """This instance's heartbeat; several instances without one Redis are told to the admins
    (bot/instances.py), at start-up and whenever a heartbeat finds it."""
    every = app.config.publish.lease_seconds
    app.presence = Presence(
        app.uow,
        app.outbox.instance,
        bool(app.config.redis.url),
        app.clock,
        every,
        app.alerts.once,
        app.alerts.resolved,
    )
    await app.presence.beat()
    app.scheduler.every("instances:heartbeat", app.presence.beat, every / 60)
