"""config.toml -> one pydantic model per section. Tokens come only from the environment."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import ClassVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

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


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NetworkSection(Section):
    """A network's section: `tokens` names the Secrets it needs once the office wants it."""

    tokens: ClassVar[tuple[str, ...]] = ()
    enabled: bool = True

    def wanted(self) -> bool:
        return self.enabled


class DeskSettings(Section):
    timezone: str = "Asia/Tomsk"
    admins: list[int] = Field(default_factory=list)
    invite_ttl_hours: int = Field(72, ge=1, le=24 * 30)
    hashtags: list[str] = Field(default_factory=list)
    signature: str = ""

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"неизвестный часовой пояс {value!r}") from exc
        return value

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


class TelegramSettings(Section):
    api_base_url: str = "https://api.telegram.org"
    channel_id: int | str = ""
    channel_username: str = ""
    moderation_chat_id: int = 0
    request_timeout: float = Field(20.0, gt=0)
    webhook: bool = False


class VKSettings(NetworkSection):
    tokens: ClassVar[tuple[str, ...]] = ("vk_user", "vk_group")
    api_base_url: str = "https://api.vk.com/method/"
    group_id: int = Field(0, ge=0)
    request_timeout: float = Field(20.0, gt=0)
    callback: bool = False


class FacebookSettings(Section):
    """The office's Facebook Page (off by default: Meta is designated extremist in Russia)."""

    enabled: bool = False
    api_base_url: str = "https://graph.facebook.com/v21.0"
    page_id: str = ""
    request_timeout: float = Field(20.0, gt=0)
    requests_per_second: float = Field(5.0, gt=0)
    comments_every_minutes: float = Field(5.0, gt=0)
    comments_days: int = Field(7, ge=1, le=90)

    @model_validator(mode="after")
    def _page_named(self) -> FacebookSettings:
        if self.enabled and not self.page_id.strip():
            raise ValueError("page_id: укажите id Страницы Facebook или выключите enabled")
        return self


class InstagramSettings(Section):
    """The office's Instagram business account (off by default, like Facebook)."""

    enabled: bool = False
    api_base_url: str = "https://graph.facebook.com/v21.0"
    user_id: str = ""
    request_timeout: float = Field(20.0, gt=0)
    requests_per_second: float = Field(5.0, gt=0)
    container_poll_seconds: float = Field(5.0, gt=0)
    container_wait_seconds: float = Field(300.0, gt=0)
    comments_every_minutes: float = Field(5.0, gt=0)
    comments_days: int = Field(7, ge=1, le=90)

    @model_validator(mode="after")
    def _account_named(self) -> InstagramSettings:
        if self.enabled and not self.user_id.strip():
            raise ValueError("user_id: укажите id бизнес-аккаунта Instagram или выключите enabled")
        return self


class PublicMediaSettings(Section):
    """Instagram fetches photos from a public address: the bot serves them there itself."""

    base_url: str = ""
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)
    link_ttl_minutes: int = Field(60, ge=1, le=24 * 60)


class OKSettings(NetworkSection):
    tokens: ClassVar[tuple[str, ...]] = (
        "ok_access_token",
        "ok_application_key",
        "ok_application_secret",
    )
    api_base_url: str = "https://api.ok.ru/fb.do"
    group_id: str = Field("", pattern=r"^\d*$")
    request_timeout: float = Field(20.0, gt=0)
    check_comments_every_seconds: float = Field(60.0, ge=1)

    def wanted(self) -> bool:
        return self.enabled and bool(self.group_id)


class MaxSettings(NetworkSection):
    tokens: ClassVar[tuple[str, ...]] = ("max_token",)
    api_base_url: str = "https://platform-api.max.ru"
    chat_id: int = 0
    request_timeout: float = Field(20.0, gt=0)
    check_comments_every_seconds: float = Field(60.0, ge=1)

    def wanted(self) -> bool:
        return self.enabled and bool(self.chat_id)


class DatabaseSettings(Section):
    url: str = "sqlite+aiosqlite:///data/pressdesk.db"


class StorageSettings(Section):
    media_dir: Path = Path("data/media")


class PublishSettings(Section):
    quick_times: list[str] = Field(default_factory=lambda: ["сегодня 18:00", "завтра 09:00"])
    retries: int = Field(3, ge=0, le=10)
    retry_delay_seconds: float = Field(5.0, ge=0)
    misfire_grace_minutes: int = Field(24 * 60, ge=1)
    lease_seconds: float = Field(15.0, ge=0.5, le=600)
    poll_seconds: float = Field(1.0, gt=0, le=60)


class DeliverySettings(Section):
    """How messages to people are paced and kept until they arrive (networks/ratelimit.py)."""

    telegram_per_second: float = Field(30, gt=0)
    telegram_private_chat: tuple[float, float] = (3, 3.0)
    telegram_group_chat: tuple[float, float] = (20, 60.0)
    max_retry_wait_seconds: float = Field(60.0, ge=0)
    redeliver_every_seconds: float = Field(30.0, gt=0)
    keep_undelivered_hours: float = Field(72.0, gt=0)

    @field_validator("telegram_private_chat", "telegram_group_chat")
    @classmethod
    def _positive_rate(cls, value: tuple[float, float]) -> tuple[float, float]:
        if value[0] < 1 or value[1] <= 0:
            raise ValueError("нужно [сообщений, секунд]: не меньше 1 сообщения за больше 0 секунд")
        return value


class RedisSettings(Section):
    url: str = ""
    key_prefix: str = Field("pressdesk", min_length=1)


class WebSettings(Section):
    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(8081, ge=0, le=65535)
    public_base_url: str = ""


class SandboxSettings(Section):
    host: str = "127.0.0.1"
    port: int = Field(8080, ge=0, le=65535)


class AutoAction(Section):
    """Act at once on a comment of this category when the classifier is this sure."""

    category: str
    min_score: float = Field(0.95, ge=0, le=1)
    action: str = Field("hide", pattern="^(hide|delete)$")

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in ("obscenity", "insult", "threat", "spam", "unlawful"):
            raise ValueError(f"неизвестная категория {value!r}")
        return value


class SecondOpinionSettings(Section):
    """An OpenAI-compatible chat endpoint asked about flagged comments only (confirm-only)."""

    enabled: bool = False
    base_url: str = ""  # e.g. "https://gateway.example/v1"
    model: str = ""
    api_key_env: str = "PRESSDESK_SECOND_OPINION_KEY"
    timeout_seconds: float = Field(10.0, gt=0, le=120)
    max_chars: int = Field(2000, ge=100, le=20000)
    rub_per_1k_tokens: float = Field(0.0, ge=0)  # for the bench's cost figure


class ModerationSettings(Section):
    enabled: bool = True
    digest_time: str = Field("09:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
    stop_list: list[str] = Field(default_factory=list)
    auto_actions: list[AutoAction] = Field(default_factory=list)
    raise_again_after_hours: float = Field(40.0, gt=0)
    check_every_minutes: int = Field(15, ge=1, le=24 * 60)
    catchup_days: int = Field(14, ge=0, le=365)
    catchup_max_posts: int = Field(1000, ge=0, le=2500)
    model_path: Path = Path("data/moderation-model.npz")
    retrain_time: str = Field("03:30", pattern=r"^$|^([01]\d|2[0-3]):[0-5]\d$")
    second_opinion: SecondOpinionSettings = Field(default_factory=SecondOpinionSettings)


HHMM = r"^([01]\d|2[0-3]):[0-5]\d$"


class PlanSettings(Section):
    """The publication plan (/plan) and its copies outside the chat (ICS feed, HTML page)."""

    slots: list[str] = Field(default_factory=lambda: ["09:00", "13:00", "18:00"])
    network_slots: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("slots")
    @classmethod
    def _times(cls, value: list[str]) -> list[str]:
        for item in value:
            if not re.match(HHMM, item):
                raise ValueError(f"время {item!r} не в виде ЧЧ:ММ")
        return sorted(value)

    @field_validator("network_slots")
    @classmethod
    def _network_times(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        return {network: cls._times(times) for network, times in value.items()}


class DutySettings(Section):
    """The order's reporting deadline (item 4): reminders to heads, who is late for editors."""

    enabled: bool = True
    calendar: str = Field("RU", min_length=2, max_length=2)
    reminder_time: str = Field("10:00", pattern=HHMM)
    late_notice_time: str = Field("09:30", pattern=HHMM)


class ControlSettings(Section):
    """The monthly control report for the admins (order, item 6)."""

    enabled: bool = True
    monthly_time: str = Field("10:00", pattern=HHMM)


class RegistrySettings(Section):
    """The account registry and the morning token check (bot/registry.py, bot/health.py)."""

    organisation: str = "Администрация Томского района"
    health_time: str = Field("08:30", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class SecuritySettings(Section):
    """Tokens replaced from chat are encrypted with a key kept outside the database."""

    key_file: Path = Path("data/pressdesk.key")
    flood_messages: int = Field(60, ge=0, le=10000)
    flood_seconds: float = Field(60.0, gt=0)


class RetentionSettings(Section):
    """How long citizens' personal data is kept (bot/retention.py); 0 days: kept for good."""

    comments_days: int = Field(180, ge=0)
    examples_days: int = Field(180, ge=0)
    audit_days: int = Field(180, ge=0)
    media_days: int = Field(0, ge=0)
    purge_time: str = Field("03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")


class Config(Section):
    desk: DeskSettings = Field(default_factory=DeskSettings)
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
    sandbox: SandboxSettings = Field(default_factory=SandboxSettings)
    delivery: DeliverySettings = Field(default_factory=DeliverySettings)
    web: WebSettings = Field(default_factory=WebSettings)
    redis: RedisSettings = Field(default_factory=RedisSettings)
    moderation: ModerationSettings = Field(default_factory=ModerationSettings)
    plan: PlanSettings = Field(default_factory=PlanSettings)
    duty: DutySettings = Field(default_factory=DutySettings)
    control: ControlSettings = Field(default_factory=ControlSettings)

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
