"""The networks' sections: [telegram], [vk], [facebook], [instagram], [public_media], [ok], [max]
(each network's own keys; its tokens come from the environment, bot/config/__init__.py)."""

from __future__ import annotations

from typing import ClassVar

from pydantic import Field, model_validator

from bot.config.base import NetworkSection, Section


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
    # Group messages through OK's Bot API (networks/ok_dialogs.py): on when the group's bot
    # token PRESSDESK_OK_BOT_TOKEN is set; webhooks need [web] public_base_url. Without that
    # address the desk reads the group's chats itself this often (bot/replies/catchup.py).
    graph_base_url: str = "https://api.ok.ru/graph"
    read_messages_every_seconds: float = Field(30.0, ge=1, le=3600)
    staff_ids: list[int] = Field(default_factory=list)  # staff's own OK ids: never tickets

    def wanted(self) -> bool:
        return self.enabled and bool(self.group_id)


class MaxSettings(NetworkSection):
    tokens: ClassVar[tuple[str, ...]] = ("max_token",)
    api_base_url: str = "https://platform-api.max.ru"
    chat_id: int = 0
    request_timeout: float = Field(20.0, gt=0)
    check_comments_every_seconds: float = Field(60.0, ge=1)
    staff_ids: list[int] = Field(default_factory=list)  # staff's own MAX ids: never tickets

    def wanted(self) -> bool:
        return self.enabled and bool(self.chat_id)
