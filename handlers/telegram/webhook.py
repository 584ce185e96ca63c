"""Telegram by webhook instead of long polling, for several instances behind a load balancer.

aiogram's SimpleRequestHandler checks Telegram's `X-Telegram-Bot-Api-Secret-Token` header and
feeds the update to the same Dispatcher polling would. The update is handled before Telegram
gets its 200 (not in the background): an instance that dies mid-update leaves it to be delivered
again, to whichever instance answers, instead of losing it.
"""

from __future__ import annotations

import hashlib
import hmac

from aiogram import Bot, Dispatcher
from aiogram.webhook.aiohttp_server import SimpleRequestHandler
from aiohttp import web

PATH = "/webhook/telegram"


def webhook_secret(token: str) -> str:
    """The same secret on every instance without one more setting, and not the token itself
    (Telegram allows 1-256 characters of A-Z, a-z, 0-9, _ and -)."""
    return hmac.new(token.encode(), b"pressdesk telegram webhook", hashlib.sha256).hexdigest()


def routes(dispatcher: Dispatcher, bot: Bot, secret: str) -> list[web.RouteDef]:
    # Not handler.register(): that would close the bot's session when the web server stops,
    # while the desk still has messages to send.
    handler = SimpleRequestHandler(dispatcher, bot, handle_in_background=False, secret_token=secret)
    return [web.post(PATH, handler.handle)]


async def set_webhook(dispatcher: Dispatcher, bot: Bot, base_url: str, secret: str) -> None:
    await bot.set_webhook(
        base_url.rstrip("/") + PATH,
        secret_token=secret,
        allowed_updates=dispatcher.resolve_used_update_types(),
        drop_pending_updates=False,
    )
