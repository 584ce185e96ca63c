"""The [style] section: the house style per network (applied by bot/style.py)."""

from __future__ import annotations

from pydantic import Field, field_validator

from bot.config.base import Section


class NetworkStyle(Section):
    """One network's house style; a key left out takes [style]'s (then [desk]'s) value."""

    hashtags: list[str] | None = None
    hashtag_suffix: str = Field("", pattern=r"^(@[\w.]+)?$")
    signature: str | None = None
    link_format: str | None = None

    @field_validator("link_format")
    @classmethod
    def _names_url(cls, value: str | None) -> str | None:
        if value is not None and "{url}" not in value:
            raise ValueError("link_format должен содержать {url}")
        return value


class StyleSettings(Section):
    """The information policy's signature, hashtags and link format, per network."""

    hashtags: list[str] | None = None
    signature: str | None = None
    link_format: str = "{url}"
    telegram: NetworkStyle = Field(default_factory=NetworkStyle)
    vk: NetworkStyle = Field(default_factory=NetworkStyle)
    ok: NetworkStyle = Field(default_factory=NetworkStyle)
    max: NetworkStyle = Field(default_factory=NetworkStyle)
    facebook: NetworkStyle = Field(default_factory=NetworkStyle)
    instagram: NetworkStyle = Field(default_factory=NetworkStyle)

    @field_validator("link_format")
    @classmethod
    def _names_url(cls, value: str) -> str:
        if "{url}" not in value:
            raise ValueError("link_format должен содержать {url}")
        return value
