"""config.toml -> one pydantic model per section. Tokens come only from the environment.

The sections live in bot/config/networks.py (each network's) and bot/config/sections.py (the
desk's own); this module puts them together, reads the tokens and loads and checks the file.
"""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, ValidationError

from bot.config.base import HHMM, NetworkSection, Section
from bot.config.networks import (
    FacebookSettings,
    InstagramSettings,
    MaxSettings,
    OKSettings,
    PublicMediaSettings,
    TelegramSettings,
    VKSettings,
)
from bot.config.replies import (
    RepliesSettings,
    ReplyDeadline,
    ReplyRoute,
    ReplyTemplate,
)
from bot.config.sections import (
    AutoAction,
    ControlSettings,
    DatabaseSettings,
    DeliverySettings,
    DeskSettings,
    DutySettings,
    FormatsSettings,
    ModerationSettings,
    PlanSettings,
    PublishSettings,
    RedisSettings,
    RegistrySettings,
    RetentionSettings,
    SandboxSettings,
    SecondOpinionSettings,
    SecuritySettings,
    StorageSettings,
    WebSettings,
)
from bot.config.style import NetworkStyle, StyleSettings

__all__ = [
    "ENV_OVERRIDES",
    "HHMM",
    "TOKEN_ENV",
    "AutoAction",
    "Config",
    "ConfigError",
    "ControlSettings",
    "DatabaseSettings",
    "DeliverySettings",
    "DeskSettings",
    "DutySettings",
    "FacebookSettings",
    "FormatsSettings",
    "InstagramSettings",
    "MaxSettings",
    "ModerationSettings",
    "NetworkSection",
    "NetworkStyle",
    "OKSettings",
    "PlanSettings",
    "PublicMediaSettings",
    "PublishSettings",
    "RedisSettings",
    "RegistrySettings",
    "RepliesSettings",
    "ReplyDeadline",
    "ReplyRoute",
    "ReplyTemplate",
    "RetentionSettings",
    "SandboxSettings",
    "SecondOpinionSettings",
    "Secrets",
    "Section",
    "SecuritySettings",
    "StorageSettings",
    "StyleSettings",
    "TelegramSettings",
    "VKSettings",
    "WebSettings",
    "check_base_urls",
    "hide_tokens",
    "load_config",
    "parse_config",
    "url_problem",
]

TOKEN_ENV = {
    "telegram": "PRESSDESK_TELEGRAM_TOKEN",
    "vk_user": "PRESSDESK_VK_USER_TOKEN",
    "vk_group": "PRESSDESK_VK_GROUP_TOKEN",
    "facebook": "PRESSDESK_FACEBOOK_PAGE_TOKEN",
    "instagram": "PRESSDESK_INSTAGRAM_TOKEN",
    "meta_app_secret": "PRESSDESK_META_APP_SECRET",
    "media_link_secret": "PRESSDESK_MEDIA_LINK_SECRET",
    "ok_access_token": "PRESSDESK_OK_ACCESS_TOKEN",
    "ok_application_key": "PRESSDESK_OK_APPLICATION_KEY",
    "ok_application_secret": "PRESSDESK_OK_APPLICATION_SECRET_KEY",
    "ok_bot": "PRESSDESK_OK_BOT_TOKEN",
    "max_token": "PRESSDESK_MAX_TOKEN",
}


# Settings an installer often sets per machine or container rather than in config.toml.
ENV_OVERRIDES = {
    "PRESSDESK_DATABASE_URL": ("database", "url"),
    "PRESSDESK_REDIS_URL": ("redis", "url"),
    "PRESSDESK_WEB_HOST": ("web", "host"),
    "PRESSDESK_WEB_PORT": ("web", "port"),
    "PRESSDESK_PUBLIC_BASE_URL": ("web", "public_base_url"),
}


class Config(Section):
    desk: DeskSettings = Field(default_factory=DeskSettings)
    style: StyleSettings = Field(default_factory=StyleSettings)
    telegram: TelegramSettings = Field(default_factory=TelegramSettings)
    vk: VKSettings = Field(default_factory=VKSettings)
    facebook: FacebookSettings = Field(default_factory=FacebookSettings)
    instagram: InstagramSettings = Field(default_factory=InstagramSettings)
    public_media: PublicMediaSettings = Field(default_factory=PublicMediaSettings)
    ok: OKSettings = Field(default_factory=OKSettings)
    max: MaxSettings = Field(default_factory=MaxSettings)
    database: DatabaseSettings = Field(default_factory=DatabaseSettings)
    storage: StorageSettings = Field(default_factory=StorageSettings)
    publish: PublishSettings = Field(default_factory=PublishSettings)
    formats: FormatsSettings = Field(default_factory=FormatsSettings)
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    duty: DutySettings = Field(default_factory=DutySettings)
    control: ControlSettings = Field(default_factory=ControlSettings)
    replies: RepliesSettings = Field(default_factory=RepliesSettings)

    registry: RegistrySettings = Field(default_factory=RegistrySettings)
    security: SecuritySettings = Field(default_factory=SecuritySettings)
    retention: RetentionSettings = Field(default_factory=RetentionSettings)


class Secrets(BaseModel):
    """Tokens read from the environment; SecretStr keeps them out of logs and reprs."""

    telegram: SecretStr | None = None
    vk_user: SecretStr | None = None
    vk_group: SecretStr | None = None
    facebook: SecretStr | None = None
    instagram: SecretStr | None = None  # when unset, Instagram uses the Facebook Page token
    meta_app_secret: SecretStr | None = None  # optional: signs Graph calls (appsecret_proof)
    media_link_secret: SecretStr | None = None  # signs public media links
    ok_access_token: SecretStr | None = None
    ok_application_key: SecretStr | None = None
    ok_application_secret: SecretStr | None = None
    ok_bot: SecretStr | None = None  # optional: the group's Bot API token (group messages)
    max_token: SecretStr | None = None

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Secrets:
        env = os.environ if env is None else env
        values = {key: env.get(name) or None for key, name in TOKEN_ENV.items()}
        return cls(**values)

    def missing(self, config: Config) -> list[str]:
        """Names of the environment variables the configured networks still need."""
        needed = ["telegram"]
        for name in Config.model_fields:
            section = getattr(config, name)
            if isinstance(section, NetworkSection) and section.wanted():
                needed += section.tokens
        if config.facebook.enabled:
            needed.append("facebook")
        if config.instagram.enabled and self.instagram is None:
            needed.append("facebook")  # Instagram then takes the Page token
        needed = list(dict.fromkeys(needed))
        return [TOKEN_ENV[key] for key in needed if getattr(self, key) is None]


class ConfigError(Exception):
    """A wrong or missing key; the message names it so the installer can fix it."""


def load_config(path: Path) -> Config:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"Файл настроек не найден: {path}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: ошибка синтаксиса TOML: {exc}") from exc
    for name, (section, key) in ENV_OVERRIDES.items():
        if value := os.environ.get(name):
            raw.setdefault(section, {})[key] = value
    return parse_config(raw, source=str(path))


TOKEN_IN_URL = re.compile(r"(bot\d+:)[\w-]+|((?:access_)?token=)[^&\s]+", re.IGNORECASE)


def hide_tokens(text: str) -> str:
    """`text` with anything shaped like a bot token or an access_token parameter masked."""
    return TOKEN_IN_URL.sub(lambda m: (m.group(1) or m.group(2)) + "***", text)


def url_problem(value: str) -> str | None:
    """Why `value` is not a usable base URL (Russian), or None when it is."""
    try:
        parts = urlsplit(value)
        port = parts.port  # ValueError for a port that is not a number from 0 to 65535
    except ValueError:
        return "неверный порт или адрес"
    if parts.scheme not in ("http", "https"):
        return "адрес должен начинаться с https:// (или http://)"
    if not parts.hostname:
        return "в адресе нет имени сервера"
    if port == 0:
        return "неверный порт"
    return None


def check_base_urls(config: Config) -> list[str]:
    """Every `…base_url` key of every section, checked before anything connects, so a typo
    stops the start with the key named instead of a traceback that carries the URL."""
    problems = []
    for section_name in type(config).model_fields:
        section = getattr(config, section_name)
        for key in type(section).model_fields:
            value = getattr(section, key)
            if key.endswith("base_url") and isinstance(value, str) and value:
                if (problem := url_problem(value)) is not None:
                    shown = hide_tokens(value)
                    problems.append(f"  {section_name}.{key}: {problem} (сейчас «{shown}»)")
    return problems


def parse_config(raw: dict, source: str = "config.toml") -> Config:
    try:
        config = Config.model_validate(raw)
    except ValidationError as exc:
        lines = []
        for err in exc.errors():
            key = ".".join(str(part) for part in err["loc"])
            reason = "неизвестный ключ" if err["type"] == "extra_forbidden" else err["msg"]
            lines.append(f"  {key}: {hide_tokens(reason)}")
        raise ConfigError(f"Ошибка в {source}:\n" + "\n".join(lines)) from None
    if problems := check_base_urls(config):
        raise ConfigError(f"Ошибка в {source}:\n" + "\n".join(problems))
    return config
