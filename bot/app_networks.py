"""Wiring the networks: the Telegram bot, the VK APIs, the publishers, the token checks (also
for `pressdesk doctor`), the statistics sources and the community's long poll.

With bot/app.py and bot/app_features.py, the modules of bot/ that name aiogram and vkbottle.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from aiogram import Bot
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.types import BotCommand

from bot import token_sources
from bot.config import Config, Secrets
from bot.dates import utcnow
from bot.domain import Network
from bot.instances import problem_now
from bot.offline import with_db
from bot.ports import AccessCheck, Publisher, StatsSource
from bot.textsize import loads_without_nul
from bot.token_health import report, run_checks
from bot.vault import Vault
from handlers.vk.chat import VKChat
from handlers.vk.comments import make_labeler as comments_labeler
from handlers.vk.feed import VKFeed
from handlers.vk.inbox import Inbox
from handlers.vk.messages import catch_up as catch_up_messages
from handlers.vk.messages import make_labeler as messages_labeler
from handlers.vk.photos import CardPhotos
from handlers.vk.state import DatabaseStateDispenser, SharedStateDispenser
from networks import ok_dialogs
from networks.ok_bot_access import OKBotAccess
from networks.registry import Connection, connect_all
from networks.telegram_access import TelegramAccess
from networks.telegram_channel import TelegramChannel
from networks.telegram_stats import TelegramStats
from networks.vk_access import VKGroupAccess, VKUserAccess
from networks.vk_api import GROUP_RPS, USER_RPS, RateLimitedAPI
from networks.vk_comments import VKComments
from networks.vk_stats import VKStats
from networks.vk_wall import VKWall

if TYPE_CHECKING:
    from bot.app import Application
    from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand(command="report", description="Сообщить о мероприятии"),
    BotCommand(command="drafts", description="Черновики, ждущие решения"),
    BotCommand(command="tickets", description="Обращения жителей, ждущие ответа"),
    BotCommand(command="announce", description="Анонс предстоящего мероприятия"),
    BotCommand(command="plan", description="График публикаций на неделю"),
    BotCommand(command="queue", description="Запланированные публикации"),
    BotCommand(command="invite", description="Пригласить сотрудника"),
    BotCommand(command="people", description="Кто имеет доступ"),
    BotCommand(command="audit", description="Журнал действий"),
    BotCommand(command="month", description="Отчёт за месяц"),
    BotCommand(command="accounts", description="Реестр аккаунтов"),
    BotCommand(command="invites", description="Ждущие приглашения"),
    BotCommand(command="tokens", description="Ключи доступа к сетям"),
    BotCommand(command="doctor", description="Проверить ключи и права"),
    BotCommand(command="forget", description="Стереть данные жителя"),
    BotCommand(command="help", description="Что умеет бот"),
    BotCommand(command="cancel", description="Прервать действие"),
]


def make_bot(config: Config, secrets: Secrets) -> Bot:
    assert secrets.telegram is not None
    return Bot(
        secrets.telegram.get_secret_value(),
        session=AiohttpSession(
            api=TelegramAPIServer.from_base(config.telegram.api_base_url.rstrip("/")),
            timeout=config.telegram.request_timeout,
            json_loads=loads_without_nul,  # PostgreSQL refuses U+0000; nobody means it
        ),
        default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
    )


def vk_user_api(config: Config, secrets: Secrets) -> RateLimitedAPI | None:
    """The VK user token's API (the wall, comment moderation, statistics), paced per token."""
    if not config.vk.enabled or secrets.vk_user is None:
        return None
    return RateLimitedAPI(secrets.vk_user.get_secret_value(), config.vk.api_base_url, USER_RPS)


def vk_group_api(config: Config, secrets: Secrets) -> RateLimitedAPI | None:
    """The community token's API: comment events and the reporters' private messages."""
    if not (config.vk.enabled and config.vk.group_id and secrets.vk_group is not None):
        return None
    return RateLimitedAPI(secrets.vk_group.get_secret_value(), config.vk.api_base_url, GROUP_RPS)


def access_checks(
    config: Config,
    bot: Bot,
    vk_user: RateLimitedAPI | None,
    vk_group: RateLimitedAPI | None,
    connections: Sequence[Connection] = (),
    extra: Sequence[AccessCheck] = (),
) -> list[AccessCheck]:
    """One check per configured token, each by its own adapter (OK, MAX, Facebook, Instagram:
    the one their connector gives; `extra`: the OK group's bot token, bot/app_replies.py)."""
    checks: list[AccessCheck] = [
        TelegramAccess(
            bot,
            config.telegram.channel_id,
            config.telegram.moderation_chat_id,
            config.moderation.enabled,
            config.telegram.request_timeout,
        )
    ]
    if vk_user is not None:
        checks.append(VKUserAccess(vk_user, config.vk.group_id, config.vk.request_timeout))
    if vk_group is not None:
        checks.append(VKGroupAccess(vk_group, config.vk.group_id, config.vk.request_timeout))
    checks += [c.access for c in connections if c.access is not None]
    return checks + list(extra)


async def _no_refs(network: Network, since: datetime) -> list[str]:
    return []


async def doctor(config: Config, secrets: Secrets) -> tuple[bool, str]:
    """`pressdesk doctor`: every token the bot would use (the environment's, or the newer one
    stored from chat: bot/token_sources.py), the rights it needs, and where it comes from."""
    try:
        choice = await _choice(config, secrets)
    except Exception as exc:  # the database is down: the environment's tokens are checked
        log.warning("doctor: stored tokens not read: %s", type(exc).__name__)
        choice = token_sources.Choice(secrets)
        unread = "\n(Ключи, введённые в чате, не прочитаны: база данных недоступна.)"
    else:
        unread = ""
    secrets = choice.secrets
    bot = make_bot(config, secrets)
    vk_user = vk_user_api(config, secrets)
    vk_group = vk_group_api(config, secrets)
    connections = connect_all(config, secrets, _no_refs)
    dialogs = ok_dialogs.connect(config, secrets)
    extra = [OKBotAccess(dialogs)] if dialogs is not None else []
    try:
        checks = access_checks(config, bot, vk_user, vk_group, connections, extra)
        results = await run_checks(checks)
    finally:
        await bot.session.close()
        for api in (vk_user, vk_group):
            if api is not None:
                await api.http_client.close()
        for connection in connections:
            if connection.publisher is not None:
                await connection.publisher.close()
        if dialogs is not None:
            await dialogs.close()
    where = token_sources.sources(checks, choice, config.desk.tz) + unread
    text = report(results, ok_too=True) + "\n\n" + where
    several = await _instances(config)
    if several:
        text += f"\n\n✗ Экземпляры бота: {several}"
    return all(not problems for _, problems in results) and not several, text


async def _instances(config: Config) -> str | None:
    """Several instances running now without one Redis (bot/instances.py), from the database."""

    async def work(uow: Callable[[], UnitOfWork]) -> str | None:
        async with uow() as unit:
            return await problem_now(unit, utcnow(), config.publish.lease_seconds)

    try:
        return await with_db(config, work)
    except Exception as exc:  # the database is down: the tokens' checks still stand
        log.warning("doctor: running instances not read: %s", type(exc).__name__)
        return None


async def _choice(config: Config, env: Secrets) -> token_sources.Choice:
    key_file = config.security.key_file
    vault = Vault.from_settings(key_file if key_file.exists() else None)
    return await with_db(config, partial(token_sources.choose, env, vault=vault))


def publishers(app: Application) -> dict[Network, Publisher]:
    config = app.config
    found: dict[Network, Publisher] = {}
    if config.telegram.channel_id:
        found[Network.telegram] = TelegramChannel(
            app.bot,
            config.telegram.channel_id,
            config.telegram.channel_username,
            config.telegram.request_timeout,
            config.delivery.max_retry_wait_seconds,
        )
    api = vk_user_api(config, app.secrets)
    if api is not None:
        app.vk_user_api = api  # comment moderation shares it, and so VK's pace
        found[Network.vk] = VKWall(api, config.vk.group_id, config.vk.request_timeout)
    found |= {c.network: c.publisher for c in app.connections if c.publisher}
    return found


def stats_sources(app: Application) -> list[StatsSource]:
    sources: list[StatsSource] = []
    if Network.telegram in app.publishers:
        sources.append(TelegramStats())
    if app.vk_user_api is not None:
        sources.append(VKStats(app.vk_user_api, app.config.vk.group_id))
    sources += [c.stats for c in app.connections if c.stats is not None]
    return sources


def vk_link(app: Application) -> str:
    """Where a person writes to the community, for invites; "" when VK messages are off."""
    if app.vk_group_api is None:
        return ""
    return f"https://vk.com/im?sel=-{app.config.vk.group_id}"


def start_vk(app: Application) -> None:
    """One long poll for the community: reporters' messages, and comments when moderated.
    Each time it connects (and after lost events) it first catches up on unread messages."""
    if app.vk_group_api is None:
        return
    group_id = app.config.vk.group_id
    app.vk_chat = VKChat(
        app.vk_group_api,
        group_id,
        app.people,
        app.desk,
        (
            SharedStateDispenser(app.shared_fsm, group_id)
            if app.shared_fsm
            else DatabaseStateDispenser(app.fsm, group_id)
        ),
        app.config.vk.request_timeout,
        app.vk_notifier.photos if app.vk_notifier else CardPhotos(app.vk_group_api),
        Inbox(app.uow, group_id, app.clock, app.vk_group_api),
    )
    app.vk_chat.duty = app.duty
    app.vk_chat.flood = app.flood
    app.vk_chat.previews = app.previews
    app.vk_chat.corrections = app.corrections
    app.vk_chat.moderation = app.moderation
    app.vk_chat.plan = app.plan
    app.vk_chat.links = app.plan_links
    app.vk_chat.delivery = app.notifier
    if app.config.replies.enabled:
        app.vk_chat.replies = app.replies
    labelers = [messages_labeler(app.vk_chat)]
    on_gap = None
    vk = app.moderation.moderator(Network.vk) if app.config.moderation.enabled else None
    if isinstance(vk, VKComments):
        labelers.append(comments_labeler(app.moderation, vk))
        on_gap = app.moderation.catch_up
    app.vk_feed = VKFeed(
        app.vk_group_api,
        group_id,
        labelers,
        on_gap,
        catch_up=partial(catch_up_messages, app.vk_chat),
    )
    if not app.config.vk.callback:  # else VK POSTs the events (start() registers it)
        app.vk_feed.start()
