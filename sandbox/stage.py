"""The emulated world: Telegram and VK emulators and the real desk wired to them.

Used by the sandbox and the end-to-end tests, so both run the product exactly as production
does; only the API base URLs differ.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import Application
from bot.config import Config, Secrets, parse_config
from emulators.facebook import GraphEmulator
from emulators.max import MaxEmulator
from emulators.ok import OKEmulator
from emulators.telegram import TelegramEmulator
from emulators.vk import VKEmulator

BOT_TOKEN = "7000000001:SANDBOX-telegram-bot-token"
BOT_USERNAME = "pressdesk_sandbox_bot"
CHANNEL_ID = -1001000000001
CHANNEL_USERNAME = "tomsk_district_demo"
DISCUSSION_ID = -1001000000002
MODERATION_CHAT_ID = -1001000000003
VK_GROUP_ID = 100001
VK_ADMIN_ID = 900001
ADMIN_ID = 1001  # the first admin, named in config as a real office would
FB_PAGE_ID = "110000000000001"
IG_USER_ID = "17840000000000001"
IG_USERNAME = "tomsk_district_demo"
GRAPH_VERSION = "v21.0"
OK_GROUP_ID = "70000000000001"
MAX_CHANNEL_ID = -72000000000001


def free_port() -> int:
    """A port nobody listens on now (the public media server's address must be known first)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stage:
    def __init__(
        self,
        data_dir: Path,
        *,
        clock: Callable[[], float] = time.time,
        settings: dict[str, Any] | None = None,
    ) -> None:
        self.data_dir = data_dir
        self.clock = clock
        self.settings = settings or {}
        self.tg = TelegramEmulator(clock=clock)
        self.vk = VKEmulator(clock=clock)
        # Facebook and Instagram: the emulator always runs, the desk uses it only when the
        # settings switch them on (they are off by default, as in production).
        self.graph = GraphEmulator(clock=clock)
        self.media_port = free_port()
        self.ok = OKEmulator(clock=clock)
        self.max = MaxEmulator(clock=clock)
        self.ok_bot_token: str | None = None  # the OK group's messages: see ok_messages()
        self.app: Application | None = None

    async def start_emulators(self, tg_port: int = 0, vk_port: int = 0) -> None:
        await self.tg.start(port=tg_port)
        await self.vk.start(port=vk_port)
        await self.graph.start()
        self.graph.add_page(FB_PAGE_ID, "Администрация Томского района", IG_USER_ID, IG_USERNAME)
        self.graph_token = self.graph.issue_token(FB_PAGE_ID)  # the Facebook Page token
        self.ig_token = self.graph.issue_token(FB_PAGE_ID)  # Instagram's own, for the same Page
        await self.ok.start()
        await self.max.start()
        self.tg.add_bot(BOT_TOKEN, username=BOT_USERNAME)
        self.tg.add_group(DISCUSSION_ID, "Обсуждение канала администрации")
        self.tg.add_channel(
            CHANNEL_ID, "Администрация Томского района", CHANNEL_USERNAME, DISCUSSION_ID
        )
        self.tg.add_group(MODERATION_CHAT_ID, "Пресс-служба: модерация")
        self.tg.add_user(ADMIN_ID, "Анна", "Петрова")
        self.vk.add_group(VK_GROUP_ID, "Администрация Томского района", "tomsk_district_demo")
        self.vk.add_user(VK_ADMIN_ID, "Анна", "Петрова")
        self.vk_user_token = self.vk.issue_user_token(VK_ADMIN_ID, admin_of=[VK_GROUP_ID])
        self.vk_group_token = self.vk.issue_group_token(VK_GROUP_ID)
        self.ok.add_group(OK_GROUP_ID, "Администрация Томского района")
        self.ok_app_key, self.ok_app_secret = self.ok.add_app()
        self.ok_token = self.ok.issue_token(self.ok_app_key, admin_of=[OK_GROUP_ID])
        self.max_token, max_bot = self.max.add_bot("Пресс-служба", "pressdesk_bot")
        self.max.add_channel(MAX_CHANNEL_ID, "Администрация Томского района", admins=[max_bot])

    def ok_messages(self) -> dict[str, Any]:
        """Switch on the OK group's messages (its Bot API token) for the next start_app: the
        desk then listens on a known port, the address OK's webhooks are subscribed to."""
        self.ok_bot_token = self.ok.bot_api.issue_bot_token(OK_GROUP_ID)
        port = free_port()
        web = {"port": port, "public_base_url": f"http://127.0.0.1:{port}"}
        self.settings.setdefault("web", {}).update(web)
        return web

    def config(self) -> Config:
        return parse_config(self.raw_config(), source="sandbox")

    def raw_config(self) -> dict[str, Any]:
        """The settings as config.toml would hold them (real processes get them as a file)."""
        raw: dict[str, Any] = {
            "desk": {"admins": [ADMIN_ID], "hashtags": ["#ТомскийРайон"]},
            "telegram": {
                "api_base_url": self.tg.base_url,
                "channel_id": CHANNEL_ID,
                "channel_username": CHANNEL_USERNAME,
                "request_timeout": 5.0,
            },
            "vk": {
                "api_base_url": self.vk.base_url + "/method/",
                "group_id": VK_GROUP_ID,
                "request_timeout": 5.0,
            },
            "facebook": {
                "api_base_url": f"{self.graph.base_url}/{GRAPH_VERSION}",
                "page_id": FB_PAGE_ID,
                "request_timeout": 5.0,
                "comments_every_minutes": 0.01,
            },
            "instagram": {
                "api_base_url": f"{self.graph.base_url}/{GRAPH_VERSION}",
                "user_id": IG_USER_ID,
                "request_timeout": 5.0,
                "container_poll_seconds": 0.05,
                "container_wait_seconds": 10.0,
                "comments_every_minutes": 0.01,
            },
            "public_media": {
                "base_url": f"http://127.0.0.1:{self.media_port}",
                "port": self.media_port,
            },
            "ok": {
                "api_base_url": self.ok.api_url,
                "graph_base_url": self.ok.graph_url,
                "group_id": OK_GROUP_ID,
                "request_timeout": 5.0,
                "check_comments_every_seconds": 1.0,
            },
            "max": {
                "api_base_url": self.max.base_url,
                "chat_id": MAX_CHANNEL_ID,
                "request_timeout": 5.0,
                "check_comments_every_seconds": 1.0,
            },
            "database": {"url": f"sqlite+aiosqlite:///{self.data_dir / 'pressdesk.db'}"},
            "storage": {"media_dir": str(self.data_dir / "media")},
            "publish": {"retry_delay_seconds": 0.2},
            "formats": {"check_every_seconds": 0.5},
            "web": {"port": 0},
            # The emulators enforce no flood limits unless a test asks (enforce_flood_limits);
            # Telegram's real per-chat pace (1/s, 20/min a group) would only slow the demo and
            # every test down. Tests of the pacing set their own.
            "delivery": {"telegram_private_chat": [30, 1.0], "telegram_group_chat": [30, 1.0]},
            "security": {"key_file": str(self.data_dir / "pressdesk.key")},
        }
        for section, values in self.settings.items():
            raw.setdefault(section, {}).update(values)
        return raw

    def secrets(self) -> Secrets:
        return Secrets(
            telegram=BOT_TOKEN,
            vk_user=self.vk_user_token,
            vk_group=self.vk_group_token,
            facebook=self.graph_token,
            instagram=self.ig_token,
            ok_access_token=self.ok_token,
            ok_application_key=self.ok_app_key,
            ok_application_secret=self.ok_app_secret,
            ok_bot=self.ok_bot_token,
            max_token=self.max_token,
        )

    async def start_app(self, polling_timeout: int = 1) -> Application:
        clock = self.clock
        self.app = Application(
            self.config(),
            self.secrets(),
            clock=lambda: datetime.fromtimestamp(clock(), UTC),
            polling_timeout=polling_timeout,
        )
        await self.app.start()
        return self.app

    async def stop_app(self) -> None:
        if self.app is not None:
            await self.app.stop()
            self.app = None

    async def stop(self) -> None:
        await self.stop_app()
        await self.tg.stop()
        await self.vk.stop()
        await self.graph.stop()
        await self.ok.stop()
        await self.max.stop()
