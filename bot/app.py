"""Wiring: config -> database -> adapters -> core -> transports, in one event loop.

This module and its two helpers name aiogram and vkbottle; the core modules don't.
bot/app_networks.py wires the networks (the bot, the VK APIs, publishers, token checks,
statistics, the VK long poll; `pressdesk doctor`), bot/app_features.py the features on top
(moderation, the duty and the control report, security).
"""

from __future__ import annotations

import asyncio
import gc
import logging
from collections.abc import Callable
from datetime import datetime
from functools import partial

from aiogram import Dispatcher
from aiogram.exceptions import ClientDecodeError, TelegramAPIError
from aiogram.fsm.storage.memory import SimpleEventIsolation

from bot import app_features, app_formats, app_networks, app_replies, metrics, token_sources
from bot.alerts import Alerts
from bot.config import Config, Secrets
from bot.control import Control
from bot.corrections import Corrections
from bot.dates import utcnow
from bot.delivery import Postbox
from bot.domain import Network
from bot.duty import Duty
from bot.editorial import Desk
from bot.health import Health
from bot.instances import Presence
from bot.journal import Journal
from bot.leases import Turn
from bot.loop_watch import watch_loop
from bot.media import MediaStore
from bot.moderation.service import Moderation
from bot.people import PeopleService
from bot.plan import Plan
from bot.plan_feed import FeedLinks
from bot.ports import Card
from bot.preview import Previews
from bot.publishing import Outbox
from bot.replies.catchup import OKCatchUp
from bot.vault import Vault
from handlers.notify import RoutingNotifier
from handlers.ok_webhook import OKWebhook
from handlers.plan_web import plan_routes
from handlers.telegram import detach_routers, get_routers, prepare_response_types
from handlers.telegram import webhook as tg_webhook
from handlers.telegram.middlewares import FitText, PersonMiddleware, Refusals, StateOnDiskFirst
from handlers.telegram.moderation import TelegramRoom
from handlers.telegram.render import TelegramNotifier
from handlers.telegram.report import ResumeAfterCommand
from handlers.vk.chat import VKChat
from handlers.vk.feed import VKFeed, callback_secret
from handlers.vk.photos import CardPhotos
from handlers.vk.render import VKNotifier
from handlers.web import WebServer
from networks.ok_dialogs import OKDialogs
from networks.ratelimit import share_through_redis
from networks.registry import connect_all
from networks.shared_pace import SharedBudget
from networks.telegram_comments import TelegramComments
from networks.telegram_pacing import telegram_pacing, telegram_rates
from networks.vk_api import RateLimitedAPI
from scheduler import PublishScheduler
from storage.db import create_engine, migrate, session_factory
from storage.fsm import DatabaseStorage, shared_dialogs
from storage.models import Person
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


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
        self._loop_watch: asyncio.Task | None = None
        self.vk_feed: VKFeed | None = None
        self.vk_chat: VKChat | None = None
        self.vk_notifier: VKNotifier | None = None  # the cards in the community's messages
        self.vk_user_api: RateLimitedAPI | None = None
        self.vk_group_api: RateLimitedAPI | None = None
        self.health = Health(clock)
        self.shared_pace: SharedBudget | None = None
        self.web: WebServer | None = None
        self.ok_dialogs: OKDialogs | None = None  # the OK group's messages (bot/app_replies.py)
        self.ok_webhook: OKWebhook | None = None
        self.presence: Presence | None = None  # the heartbeat (bot/instances.py)
        self.ok_catch_up: OKCatchUp | None = None  # what the webhooks missed (replies/catchup.py)
        self._ok_catch_up: asyncio.Task | None = None
        self.ok_poll_noted = False  # no public address: the admins know OK is polled
        self.ok_reader: Turn | None = None  # then one instance at a time polls (app_replies)

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
        # Several instances on one token pace their calls together through Redis, when set.
        self.shared_pace = share_through_redis(config.redis.url, config.redis.key_prefix)
        # Features add their routes to this one server before it starts (end of start()).
        self.web = WebServer(self.health, partial(metrics.refresh, uow))
        # Tokens replaced from chat (/tokens) win unless the environment changed since then.
        self.env_secrets = secrets
        self.token_choice = await token_sources.settle(
            secrets, uow, self.vault(create=False), self.clock(), config.desk.tz
        )
        self.secrets = secrets = self.token_choice.secrets
        self.bot = app_networks.make_bot(config, secrets)
        self.media = MediaStore(config.storage.media_dir)
        # OK, MAX, ...: each adapter module plugs in by its config section (networks/registry.py)
        self.connections = connect_all(config, secrets, self._published_refs)
        self.publishers = app_networks.publishers(self)
        self.vk_group_api = app_networks.vk_group_api(config, secrets)
        vk_notifier = None
        if self.vk_group_api is not None:
            photos = CardPhotos(self.vk_group_api, uow, self.clock)  # uploads kept in the database
            vk_notifier = VKNotifier(self.vk_group_api, config.vk.group_id, photos)
        self.vk_notifier = vk_notifier
        postbox = Postbox(
            uow,
            self.clock,
            config.delivery.redeliver_every_seconds,
            config.delivery.keep_undelivered_hours,
        )
        self.notifier = RoutingNotifier(
            TelegramNotifier(self.bot), vk_notifier, self._editors, self.clock, postbox, self.health
        )
        self.alerts = Alerts(self.notifier, self._admins)
        self.editor_alerts = Alerts(self.notifier, self._editors, "editors")  # what they act on
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
        self.previews = Previews(self.desk.core)
        self.corrections = Corrections(self.desk.core, self.outbox)
        self.tg_comments = TelegramComments(self.bot, config.telegram.channel_username)
        self.moderation = Moderation(
            uow,
            self.notifier,
            TelegramRoom(self.bot),
            await app_features.moderators(self),
            config,
            self.clock,
        )
        self.duty = Duty(uow, self.notifier, config, self.clock)
        self.moderation.digest_sections.append(self.duty.digest_part)
        self.plan = Plan(uow, config, self.clock, list(self.publishers), self.scheduler)
        self.plan_links = FeedLinks(uow, self.plan, self.clock)
        self.control = Control(uow, config, self.clock, app_networks.stats_sources(self))
        self.control.deliver = partial(app_features.deliver_report, self)
        app_replies.wire(self)
        app_features.security(self)
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
            replies=self.replies,
            outbox=self.outbox,
            **app_formats.formats(self),
            previews=self.previews,
            corrections=self.corrections,
            tg_comments=self.tg_comments,
            vk_link=app_networks.vk_link(self),
            delivery=self.notifier,
        )
        self.dispatcher.update.outer_middleware(PersonMiddleware(self.people, self.flood))
        self.dispatcher.update.outer_middleware(Refusals(self.people))
        self.dispatcher.message.outer_middleware(ResumeAfterCommand())
        self.routers = get_routers()
        self.dispatcher.include_routers(*self.routers)
        prepare_response_types()
        await self._set_commands()
        self.scheduler.on_error = self.alerts.once
        await self.scheduler.start()
        self.notifier.start()
        self._loop_watch = asyncio.create_task(watch_loop(), name="loop-watch")
        await app_features.tell_superseded(self)
        await app_features.start_presence(self)
        app_networks.start_vk(self)
        app_formats.vk(self)
        app_features.start_moderation(self)
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
        app_features.start_duty(self)
        public = config.web.public_base_url or self.web.url
        if config.web.enabled:
            self.plan_links.base_url = public.rstrip("/")
        if self.vk_feed is not None and config.vk.callback:
            await self.vk_feed.register_callback(public)
        await app_replies.start_ok(self)
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
            await self.bot.set_my_commands(app_networks.COMMANDS)
        except (TelegramAPIError, ClientDecodeError, TimeoutError) as exc:
            log.warning("command menu not set: %s", type(exc).__name__)

    async def _admins(self) -> list[Person]:
        async with self.uow() as uow:
            return await uow.people.with_roles(["admin"])

    def vault(self, create: bool = True) -> Vault | None:
        key_file = self.config.security.key_file
        return Vault.from_settings(key_file if create or key_file.exists() else None)

    async def _editors(self) -> list[Person]:
        async with self.uow() as uow:
            return await uow.people.editors()

    async def tell_editors(self, text: str) -> None:
        for editor in await self._editors():
            await self.notifier.send(editor, Card(text))

    async def _published_refs(self, network: Network, since: datetime) -> list[str]:
        """Our posts on a network since a moment (for adapters that cannot list them there)."""
        limit = self.config.moderation.catchup_max_posts
        async with self.uow() as uow:
            return await uow.publications.published_refs(network, since, limit)

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
        if self.ok_webhook is not None:
            await self.ok_webhook.drain()
        if self.ok_dialogs is not None:
            await self.ok_dialogs.close()
        await self.fsm.close()  # the last dialog steps are on disk before the engine goes
        if self.shared_fsm is not None:
            await self.shared_fsm.close()
        for task in (self._catch_up, self._duty_catch_up, self._ok_catch_up, self._loop_watch):
            if task is not None:
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
        await self.scheduler.stop()
        if self.presence is not None:
            await self.presence.leave()
        await app_replies.stop_ok(self)
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
        if self.shared_pace is not None:
            await self.shared_pace.close()
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
