"""Telegram's limits on the shared pacing (networks/ratelimit.py): an aiogram session middleware
that paces every request of the Bot per token and per chat, and waits out a 429's retry_after."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from aiogram import Bot
from aiogram.client.session.middlewares.base import (
    BaseRequestMiddleware,
    NextRequestMiddlewareType,
)
from aiogram.exceptions import TelegramRetryAfter
from aiogram.methods import GetUpdates, SendChatAction, SendMediaGroup, TelegramMethod
from aiogram.methods.base import Response, TelegramType

from networks.ratelimit import Pace, Rate, pace_for


@dataclass(frozen=True)
class TelegramRates:
    """Telegram's limits for one bot (Bot FAQ); tests and the sandbox may loosen them."""

    overall: Rate = Rate(30, 1.0)
    private: Rate = Rate(3, 3.0)  # ~1 message a second, a burst of 3 (a card and its album)
    group: Rate = Rate(20, 60.0)  # groups and channels: 20 messages a minute
    max_wait: float = 60.0

    def for_chat(self, chat_id: Any) -> Rate:
        return self.private if isinstance(chat_id, int) and chat_id > 0 else self.group


def telegram_retry_after(exc: BaseException) -> float | None:
    if isinstance(exc, TelegramRetryAfter):
        return float(exc.retry_after)
    return None


def _sends_message(method: TelegramMethod[Any]) -> bool:
    name = type(method).__name__
    if isinstance(method, SendChatAction):
        return False
    return name.startswith(("Send", "Copy", "Forward"))


def _cost(method: TelegramMethod[Any]) -> float:
    if isinstance(method, SendMediaGroup):
        return float(len(method.media))  # an album counts as its messages
    return 1.0


class TelegramPacing(BaseRequestMiddleware):
    """aiogram session middleware: every request of the Bot paced; a 429 waited out."""

    def __init__(self, pace: Pace) -> None:
        self.pace = pace

    async def __call__(
        self,
        make_request: NextRequestMiddlewareType[TelegramType],
        bot: Bot,
        method: TelegramMethod[TelegramType],
    ) -> Response[TelegramType]:
        if isinstance(method, GetUpdates):
            return await make_request(bot, method)
        chat = getattr(method, "chat_id", None) if _sends_message(method) else None
        return await self.pace.call(
            lambda: make_request(bot, method),
            key=chat,
            cost=_cost(method) if chat is not None else 1.0,
            retry_after=telegram_retry_after,
        )


def telegram_rates(settings: Any) -> TelegramRates:
    """TelegramRates from the config's [delivery] section (bot.config.DeliverySettings)."""
    return TelegramRates(
        overall=Rate(settings.telegram_per_second, 1.0),
        private=Rate(*settings.telegram_private_chat),
        group=Rate(*settings.telegram_group_chat),
        max_wait=settings.max_retry_wait_seconds,
    )


def telegram_pacing(token: str, rates: TelegramRates | None = None) -> TelegramPacing:
    """The middleware for a Bot with this token; ``bot.session.middleware(...)`` installs it."""
    rates = rates or TelegramRates()
    return TelegramPacing(
        pace_for(token, rates.overall, rates.for_chat, rates.max_wait, network="telegram")
    )
