"""Wiring: config -> database -> adapters -> core -> transports, in one event loop.

This is the one module of bot/ that names aiogram and vkbottle; the core modules don't.
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand

from bot import metrics
from bot.access import AccessService, FloodGuard, with_stored_tokens
from bot.alerts import AdminAlerts
from bot.config import Config, Secrets
from bot.control import Control
from bot.dates import utcnow
from bot.delivery import Postbox
from bot.domain import Network
from bot.duty import Duty
from bot.editorial import Desk
from bot.health import Health
from bot.journal import Journal
from bot.media import MediaStore
from bot.moderation.polling import CommentPoller, polled
from bot.moderation.service import Moderation
from bot.people import PeopleService
from bot.plan import Plan
from bot.plan_feed import FeedLinks
from bot.ports import AccessCheck, Card, CommentModerator, Publisher
from bot.publishing import Outbox
from bot.registry import Registry
from bot.retention import Retention
from bot.textsize import loads_without_nul
from bot.token_health import TokenHealth, report, run_checks
from bot.vault import Vault
from handlers.notify import RoutingNotifier
from handlers.plan_web import plan_routes
from handlers.registry_web import registry_routes
from handlers.telegram import detach_routers, get_routers, prepare_response_types
from handlers.telegram import webhook as tg_webhook
from handlers.telegram.control import send_report
from handlers.telegram.middlewares import FitText, PersonMiddleware, StateOnDiskFirst
from handlers.telegram.moderation import TelegramRoom
from handlers.telegram.render import TelegramNotifier
from handlers.telegram.report import ResumeAfterCommand
from handlers.vk.chat import VKChat
from handlers.vk.comments import make_labeler as comments_labeler
from handlers.vk.feed import VKFeed, callback_secret
from handlers.vk.inbox import Inbox
from handlers.vk.messages import catch_up as catch_up_messages
from handlers.vk.messages import make_labeler as messages_labeler
from handlers.vk.render import VKNotifier
from handlers.vk.state import DatabaseStateDispenser, SharedStateDispenser
from handlers.web import WebServer
from networks.ratelimit import telegram_pacing, telegram_rates
from networks.registry import connect_all
from networks.telegram_access import TelegramAccess
from networks.telegram_channel import TelegramChannel
from networks.telegram_comments import TelegramComments
from networks.telegram_stats import TelegramStats
from networks.vk_access import VKGroupAccess, VKUserAccess
from networks.vk_api import GROUP_RPS, USER_RPS, RateLimitedAPI
from networks.vk_comments import VKComments
from networks.vk_stats import VKStats
from networks.vk_wall import VKWall
from scheduler import PublishScheduler
from storage.db import create_engine, migrate, session_factory
from storage.fsm import DatabaseStorage, shared_dialogs
from storage.models import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand(command="report", description="Сообщить о мероприятии"),
    BotCommand(command="drafts", description="Черновики, ждущие решения"),
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


def access_checks(
    config: Config, bot: Bot, vk_user: RateLimitedAPI | None, vk_group: RateLimitedAPI | None
) -> list[AccessCheck]:
    """One check per configured token, each by its own adapter."""
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
    return checks


async def doctor(config: Config, secrets: Secrets) -> tuple[bool, str]:
    """`pressdesk doctor`: every configured token and the rights it needs, in Russian."""
    bot = make_bot(config, secrets)
    vk_user = vk_group = None
    if config.vk.enabled and secrets.vk_user is not None:
        vk_user = RateLimitedAPI(
            secrets.vk_user.get_secret_value(), config.vk.api_base_url, USER_RPS
        )
    if config.vk.enabled and config.vk.group_id and secrets.vk_group is not None:
        vk_group = RateLimitedAPI(
            secrets.vk_group.get_secret_value(), config.vk.api_base_url, GROUP_RPS
        )
    try:
        results = await run_checks(access_checks(config, bot, vk_user, vk_group))
    finally:
        await bot.session.close()
        for api in (vk_user, vk_group):
            if api is not None:
                await api.http_client.close()
    return all(not problems for _, problems in results), report(results, ok_too=True)


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


class Application:
    def __init__(
        self,
        config: Config,
        secrets: Secrets,
        clock: Callable[[], datetime] = utcnow,
        polling_timeout: int = 10,
    ) -> None:
        self.config = config
        self.secrets = secrets
        self.clock = clock
        self.polling_timeout = polling_timeout
        self._polling: asyncio.Task | None = None
        self._stopping = asyncio.Event()
        self._sync_registry: asyncio.Task | None = None
        self._catch_up: asyncio.Task | None = None
        self._duty_catch_up: asyncio.Task | None = None
        self.vk_feed: VKFeed | None = None
        self.vk_chat: VKChat | None = None
        self.vk_user_api: RateLimitedAPI | None = None
        self.vk_group_api: RateLimitedAPI | None = None
        self.health = Health(clock)
        self.web: WebServer | None = None

    async def start(self) -> None:
        config, secrets = self.config, self.secrets
        if secrets.telegram is None:
            raise RuntimeError("PRESSDESK_TELEGRAM_TOKEN is not set")
        self.engine = create_engine(config.database.url)
        await migrate(self.engine)
        sessions = session_factory(self.engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions)

        self.uow = uow
        self.health.report("database", True)
        # Features add their routes to this one server before it starts (end of start()).
        self.web = WebServer(self.health, partial(metrics.refresh, uow))
        # Tokens replaced from chat (/tokens) are newer than the environment's: they win.
        self.secrets = secrets = await with_stored_tokens(secrets, uow, self.vault(create=False))
        self.bot = make_bot(config, secrets)
        self.media = MediaStore(config.storage.media_dir)
        # OK, MAX, ...: each adapter module plugs in by its config section (networks/registry.py)
        self.connections = connect_all(config, secrets, self._published_refs)
        self.publishers = self._publishers()
        if config.vk.enabled and config.vk.group_id and secrets.vk_group is not None:
            # The community token: comment events and the reporters' private messages.
            self.vk_group_api = RateLimitedAPI(
                secrets.vk_group.get_secret_value(), config.vk.api_base_url, GROUP_RPS
            )
        vk_notifier = None
        if self.vk_group_api is not None:
            vk_notifier = VKNotifier(self.vk_group_api, config.vk.group_id)
        postbox = Postbox(
            uow,
            self.clock,
            config.delivery.redeliver_every_seconds,
            config.delivery.keep_undelivered_hours,
        )
        self.notifier = RoutingNotifier(
            TelegramNotifier(self.bot), vk_notifier, self._editors, self.clock, postbox, self.health
        )
        self.alerts = AdminAlerts(self.notifier, self._admins)
        self.fsm = DatabaseStorage(self.engine)
        self.bot.session.middleware(StateOnDiskFirst(self.fsm))
        self.shared_fsm = shared_dialogs(
            config.redis.url, config.redis.key_prefix
        )  # several instances: dialogs in Redis
        self.bot.session.middleware(FitText())
        self.bot.session.middleware(
            telegram_pacing(secrets.telegram.get_secret_value(), telegram_rates(config.delivery))
        )
        self.people = PeopleService(uow, config.desk, self.clock)
        self.journal = Journal(uow, config.desk.tz, self.clock)
        self.desk = Desk(
            uow,
            self.notifier,
            self.publishers,
            self.media,
            config,
            self.clock,
        )
        self.outbox = Outbox(uow, self.notifier, self.publishers, self.media, config, self.clock)
        self.desk.outbox = self.outbox
        self.scheduler = PublishScheduler(self.outbox)
        self.desk.planner = self.scheduler
        self.tg_comments = TelegramComments(self.bot, config.telegram.channel_username)
        self.moderation = Moderation(
            uow,
            self.notifier,
            TelegramRoom(self.bot),
            await self._moderators(),
            config,
            self.clock,
        )
        self.duty = Duty(uow, self.notifier, config, self.clock)
        self.moderation.digest_sections.append(self.duty.digest_part)
        self.plan = Plan(uow, config, self.clock, list(self.publishers), self.scheduler)
        self.plan_links = FeedLinks(uow, self.plan, self.clock)
        self.control = Control(uow, config, self.clock, self._stats_sources())
        self.control.deliver = self._deliver_report
        self._security()
        self.dispatcher = Dispatcher(
            access=self.access,
            registry=self.registry,
            token_health=self.token_health,
            retention=self.retention,
            storage=self.shared_fsm or self.fsm,
            events_isolation=(
                self.shared_fsm.create_isolation() if self.shared_fsm else SimpleEventIsolation()
            ),
            desk=self.desk,
            people=self.people,
            journal=self.journal,
            moderation=self.moderation,
            duty=self.duty,
            plan=self.plan,
            links=self.plan_links,
            control=self.control,
            outbox=self.outbox,
            tg_comments=self.tg_comments,
            vk_link=self._vk_link(),
            delivery=self.notifier,
        )
        self.dispatcher.update.outer_middleware(PersonMiddleware(self.people, self.flood))
        self.dispatcher.message.outer_middleware(ResumeAfterCommand())
        self.routers = get_routers()
        self.dispatcher.include_routers(*self.routers)
        prepare_response_types()
        await self._set_commands()
        self.scheduler.on_error = self.alerts.once
        await self.scheduler.start()
        self.notifier.start()
        self._start_vk()
        self._start_moderation()
        token = secrets.telegram.get_secret_value()
        if config.telegram.webhook:
            secret = tg_webhook.webhook_secret(token)
            self.web.add_routes(tg_webhook.routes(self.dispatcher, self.bot, secret))
        if self.vk_feed is not None and config.vk.callback and secrets.vk_group is not None:
            vk_secret = callback_secret(secrets.vk_group.get_secret_value())
            self.web.add_routes(self.vk_feed.callback_routes(vk_secret))
        self.web.add_routes(plan_routes(self.plan_links))  # the plan's ICS feed and page
        if config.web.enabled or config.telegram.webhook or config.vk.callback:
            await self.web.start(config.web.host, config.web.port)
        self._start_duty()
        public = config.web.public_base_url or self.web.url
        if config.web.enabled:
            self.plan_links.base_url = public.rstrip("/")
        if self.vk_feed is not None and config.vk.callback:
            await self.vk_feed.register_callback(public)
        if config.telegram.webhook:
            await tg_webhook.set_webhook(self.dispatcher, self.bot, public, secret)
            self._polling = asyncio.create_task(self._stopping.wait(), name="telegram-webhook")
        else:
            await self.bot.delete_webhook()  # polling and a webhook exclude each other
            self._polling = asyncio.create_task(
                self.dispatcher.start_polling(
                    self.bot,
                    polling_timeout=self.polling_timeout,
                    handle_signals=False,
                    close_bot_session=False,
                )
            )

    async def _set_commands(self) -> None:
        """The command menu is a convenience: Telegram refusing it must not stop the start."""
        try:
            await self.bot.set_my_commands(COMMANDS)
        except (TelegramAPIError, ClientDecodeError, TimeoutError) as exc:
            log.warning("command menu not set: %s", type(exc).__name__)

    async def _admins(self) -> list[Person]:
        async with self.uow() as uow:
            return await uow.people.with_roles(["admin"])

    def vault(self, create: bool = True) -> Vault | None:
        key_file = self.config.security.key_file
        return Vault.from_settings(key_file if create or key_file.exists() else None)

    def _security(self) -> None:
        """Token checks per adapter, the registry, token health, access management (issue 15)."""
        config, clock = self.config, self.clock
        self.checks = access_checks(config, self.bot, self.vk_user_api, self.vk_group_api)
        self.registry = Registry(
            self.uow, config.desk.tz, clock, config.registry.organisation, self.checks
        )
        self.token_health = TokenHealth(self.uow, self.checks, self.notifier, self.registry, clock)
        self.access = AccessService(
            self.uow, self.people, self.notifier, clock, self.vault, self.checks
        )
        self.retention = Retention(
            self.uow, config.retention, self.media, self.moderation.moderators, clock
        )
        self.scheduler.daily(
            "retention:purge",
            self.retention.purge,
            config.retention.purge_time,
            config.desk.timezone,
        )
        self.web.add_routes(registry_routes(self.registry))  # the public registry
        self.flood = FloodGuard(config.security.flood_messages, config.security.flood_seconds)
        self.scheduler.daily(
            "registry:health",
            self.token_health.morning,
            config.registry.health_time,
            config.desk.timezone,
        )
        self._sync_registry = asyncio.create_task(self.registry.sync_own(), name="registry-sync")

    async def _editors(self) -> list[Person]:
        async with self.uow() as uow:
            return await uow.people.editors()

    async def _tell_editors(self, text: str) -> None:
        for editor in await self._editors():
            await self.notifier.send(editor, Card(text))

    def _publishers(self) -> dict[Network, Publisher]:
        config, secrets = self.config, self.secrets
        publishers: dict[Network, Publisher] = {}
        if config.telegram.channel_id:
            publishers[Network.telegram] = TelegramChannel(
                self.bot,
                config.telegram.channel_id,
                config.telegram.channel_username,
                config.telegram.request_timeout,
            )
        if config.vk.enabled and secrets.vk_user is not None:
            api = RateLimitedAPI(
                secrets.vk_user.get_secret_value(), config.vk.api_base_url, USER_RPS
            )
            self.vk_user_api = api  # comment moderation shares it, and so VK's pace
            publishers[Network.vk] = VKWall(api, config.vk.group_id, config.vk.request_timeout)
        publishers |= {c.network: c.publisher for c in self.connections if c.publisher}
        return publishers

    async def _published_refs(self, network: Network, since: datetime) -> list[str]:
        """Our posts on a network since a moment (for adapters that cannot list them there)."""
        limit = self.config.moderation.catchup_max_posts
        async with self.uow() as uow:
            return await uow.publications.published_refs(network, since, limit)

    async def _moderators(self) -> dict[Network, CommentModerator]:
        config = self.config
        moderators: dict[Network, CommentModerator] = {}
        if not config.moderation.enabled:
            return moderators
        if config.telegram.channel_id:
            await self.tg_comments.resolve(config.telegram.channel_id)
            if self.tg_comments.discussion_id is not None:
                moderators[Network.telegram] = self.tg_comments
            else:
                await self.alerts.once(
                    "telegram-comments-off",
                    "Модерация комментариев в Telegram выключена: "
                    f"{self.tg_comments.problem}. Бот проверит снова при следующем запуске.",
                )
        if self.vk_user_api is not None and self.vk_group_api is not None:
            moderators[Network.vk] = VKComments(
                self.vk_user_api,
                self.vk_group_api,
                config.vk.group_id,
                config.vk.request_timeout,
                config.moderation.catchup_max_posts,
            )
        moderators |= {c.network: c.moderator for c in self.connections if c.moderator}
        return moderators

    def _vk_link(self) -> str:
        """Where a person writes to the community, for invites; "" when VK messages are off."""
        if self.vk_group_api is None:
            return ""
        return f"https://vk.com/im?sel=-{self.config.vk.group_id}"

    def _start_vk(self) -> None:
        """One long poll for the community: reporters' messages, and comments when moderated.
        Each time it connects (and after lost events) it first catches up on unread messages."""
        if self.vk_group_api is None:
            return
        group_id = self.config.vk.group_id
        self.vk_chat = VKChat(
            self.vk_group_api,
            group_id,
            self.people,
            self.desk,
            (
                SharedStateDispenser(self.shared_fsm, group_id)
                if self.shared_fsm
                else DatabaseStateDispenser(self.fsm, group_id)
            ),
            self.config.vk.request_timeout,
            Inbox(self.uow, group_id, self.clock, self.vk_group_api),
        )
        self.vk_chat.duty = self.duty
        self.vk_chat.flood = self.flood
        labelers = [messages_labeler(self.vk_chat)]
        on_gap = None
        vk = self.moderation.moderator(Network.vk) if self.config.moderation.enabled else None
        if isinstance(vk, VKComments):
            labelers.append(comments_labeler(self.moderation, vk))
            on_gap = self.moderation.catch_up
        self.vk_feed = VKFeed(
            self.vk_group_api,
            group_id,
            labelers,
            on_gap,
            catch_up=partial(catch_up_messages, self.vk_chat),
        )
        if not self.config.vk.callback:  # else VK POSTs the events (start() registers it)
            self.vk_feed.start()

    def _start_moderation(self) -> None:
        settings = self.config.moderation
        if not settings.enabled:
            return
        moderation = self.moderation
        moderation.on_trouble = self.alerts.once
        tz = self.config.desk.timezone
        self.scheduler.daily("moderation:digest", moderation.send_digest, settings.digest_time, tz)
        every = settings.check_every_minutes
        self.scheduler.every("moderation:raise-again", moderation.raise_again, every)
        # Networks that push no comments to the bot are read every few minutes.
        self.comment_poller = CommentPoller(moderation.ingest, self._tell_editors, self.clock)
        for network, moderator in moderation.moderators().items():
            if minutes := polled(moderator):
                poll = partial(self.comment_poller.poll, moderator)
                self.scheduler.every(f"moderation:poll:{network}", poll, minutes)
        self.scheduler.every("moderation:expire", moderation.expire_overdue, every)
        if settings.retrain_time:
            self.scheduler.daily(
                "moderation:retrain", moderation.retrain, settings.retrain_time, tz
            )
        # The long poll (_start_vk) first, then the catch-up: whatever arrives meanwhile is
        # stored once.
        self._catch_up = asyncio.create_task(moderation.catch_up(), name="moderation-catch-up")

    def _start_duty(self) -> None:
        """The reporting duty's daily sweeps; those whose time already came today run now."""
        if not self.config.duty.enabled:
            return
        for job_id, sweep, at in self.duty.jobs():
            self.scheduler.daily(job_id, sweep, at, self.config.desk.timezone)
        self._duty_catch_up = asyncio.create_task(self.duty.catch_up(), name="duty-catch-up")
        if self.config.control.enabled:
            # Daily at its time; the job itself acts only on the 1st (Control.send_monthly).
            tz = self.config.desk.timezone
            at = self.config.control.monthly_time
            self.scheduler.daily("control:monthly", self.control.send_monthly, at, tz)

    def _stats_sources(self) -> list:
        sources: list = []
        if Network.telegram in self.publishers:
            sources.append(TelegramStats())
        if self.vk_user_api is not None:
            sources.append(VKStats(self.vk_user_api, self.config.vk.group_id))
        return sources

    async def _deliver_report(self, person: Person, report: object) -> None:
        if person.telegram_id is not None:
            await send_report(self.bot, person.telegram_id, report, self.config.desk.tz)

    async def stop(self) -> None:
        self._stopping.set()
        if self.web is not None:
            await self.web.stop()
        if self._polling is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:
                pass  # polling had already stopped
            await asyncio.gather(self._polling, return_exceptions=True)
        if self.vk_feed is not None:
            await self.vk_feed.stop()
        if self.vk_chat is not None:
            await self.vk_chat.close()
        await self.fsm.close()  # the last dialog steps are on disk before the engine goes
        if self.shared_fsm is not None:
            await self.shared_fsm.close()
        for task in (self._catch_up, self._duty_catch_up):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.scheduler.stop()
        if self._sync_registry is not None:
            await asyncio.gather(self._sync_registry, return_exceptions=True)
        await self.desk.drain()
        await self.notifier.drain()  # notes about unreachable people, before the bot closes
        detach_routers(self.routers)
        await self.bot.session.close()
        for publisher in self.publishers.values():
            await publisher.close()
        await self.moderation.close()
        if self.vk_group_api is not None:
            await self.vk_group_api.http_client.close()
        await self.engine.dispose()

    async def run_forever(self) -> None:
        await self.start()
        # What start-up built (aiogram's and pydantic's models, the classifier) lives as long as
        # the process: keep the collector from re-scanning it, or each full collection stalls
        # every chat for a quarter of a second.
        gc.freeze()
        try:
            # Shielded: Ctrl-C cancels this task, and stop() then ends the polling the way
            # aiogram expects (stop_polling); cancelled from outside, aiogram's inner polling
            # task lived on and logged the closed session as "Failed to fetch updates".
            await asyncio.shield(self._polling)
        finally:
            await self.stop()
