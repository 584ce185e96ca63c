"""Wiring: config -> database -> adapters -> core -> transports, in one event loop.

This is the one module of bot/ that names aiogram and vkbottle; the core modules don't.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.session.aiohttp import AiohttpSession
from aiogram.client.telegram import TelegramAPIServer
from aiogram.fsm.storage.memory import SimpleEventIsolation
from aiogram.types import BotCommand

from bot.config import Config, Secrets
from bot.dates import utcnow
from bot.domain import Network
from bot.editorial import Desk
from bot.media import MediaStore
from bot.people import PeopleService
from bot.ports import Publisher
from handlers.telegram import detach_routers, get_routers
from handlers.telegram.middlewares import PersonMiddleware
from handlers.telegram.render import TelegramNotifier
from networks.telegram_channel import TelegramChannel
from networks.vk_api import USER_RPS, RateLimitedAPI
from networks.vk_wall import VKWall
from scheduler import PublishScheduler
from storage.db import create_engine, migrate, session_factory
from storage.fsm import DatabaseStorage
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

COMMANDS = [
    BotCommand(command="report", description="Сообщить о мероприятии"),
    BotCommand(command="drafts", description="Черновики, ждущие решения"),
    BotCommand(command="queue", description="График публикаций"),
    BotCommand(command="invite", description="Пригласить сотрудника"),
    BotCommand(command="help", description="Что умеет бот"),
    BotCommand(command="cancel", description="Прервать действие"),
]


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

    async def start(self) -> None:
        config, secrets = self.config, self.secrets
        if secrets.telegram is None:
            raise RuntimeError("PRESSDESK_TELEGRAM_TOKEN is not set")
        self.engine = create_engine(config.database.url)
        await migrate(self.engine)
        sessions = session_factory(self.engine)

        def uow() -> UnitOfWork:
            return UnitOfWork(sessions)

        self.bot = Bot(
            secrets.telegram.get_secret_value(),
            session=AiohttpSession(
                api=TelegramAPIServer.from_base(config.telegram.api_base_url.rstrip("/")),
                timeout=config.telegram.request_timeout,
            ),
            default=DefaultBotProperties(parse_mode=None, link_preview_is_disabled=True),
        )
        self.publishers = self._publishers()
        self.people = PeopleService(uow, config.desk, self.clock)
        self.desk = Desk(
            uow, TelegramNotifier(self.bot), self.publishers, MediaStore(config.storage.media_dir),
            config, self.clock,
        )  # fmt: skip
        self.scheduler = PublishScheduler(self.desk)
        self.desk.planner = self.scheduler
        self.dispatcher = Dispatcher(
            storage=DatabaseStorage(sessions),
            events_isolation=SimpleEventIsolation(),
            desk=self.desk,
            people=self.people,
        )
        self.dispatcher.update.outer_middleware(PersonMiddleware(self.people))
        self.routers = get_routers()
        self.dispatcher.include_routers(*self.routers)
        await self.bot.set_my_commands(COMMANDS)
        await self.scheduler.start()
        self._polling = asyncio.create_task(
            self.dispatcher.start_polling(
                self.bot, polling_timeout=self.polling_timeout, handle_signals=False, close_bot_session=False
            )
        )

    def _publishers(self) -> dict[Network, Publisher]:
        config, secrets = self.config, self.secrets
        publishers: dict[Network, Publisher] = {}
        if config.telegram.channel_id:
            publishers[Network.telegram] = TelegramChannel(
                self.bot, config.telegram.channel_id, config.telegram.channel_username,
                config.telegram.request_timeout,
            )  # fmt: skip
        if config.vk.enabled and secrets.vk_user is not None:
            api = RateLimitedAPI(secrets.vk_user.get_secret_value(), config.vk.api_base_url, USER_RPS)
            publishers[Network.vk] = VKWall(api, config.vk.group_id, config.vk.request_timeout)
        return publishers

    async def stop(self) -> None:
        if self._polling is not None:
            try:
                await self.dispatcher.stop_polling()
            except RuntimeError:
                pass  # polling had already stopped
            await asyncio.gather(self._polling, return_exceptions=True)
        self.scheduler.shutdown()
        detach_routers(self.routers)
        await self.bot.session.close()
        for publisher in self.publishers.values():
            await publisher.close()
        await self.engine.dispose()

    async def run_forever(self) -> None:
        await self.start()
        try:
            await self._polling
        finally:
            await self.stop()
