"""The desk's own sections: people and time, storage, publishing and delivery, moderation,
the plan, the duty, the control report, the registry, security and retention."""

from __future__ import annotations

import re
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, field_validator

from bot.config.base import HHMM, Section


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
    # How long a read that can wait (comments, citizens' messages read by polling) waits while
    # the same network's posts are due or going out (bot/publishing_workers.py); 0: never.
    reads_wait_seconds: float = Field(600.0, ge=0, le=3600)


class FormatsSettings(Section):
    """Polls, live broadcasts and contests (issue 11): how often the desk looks for a poll
    that ended, a broadcast that started, a contest to draw."""

    check_every_seconds: float = Field(60.0, gt=0)
    # The office's own accounts that never take part in a contest, besides the people of the
    # desk: "vk:123", "telegram:456" (communities and channels are always left out).
    staff_accounts: list[str] = Field(default_factory=list)


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
    tickets_days: int = Field(180, ge=0)  # a ticket's citizen name and network id
    purge_time: str = Field("03:00", pattern=r"^([01]\d|2[0-3]):[0-5]\d$")
