"""Answers to citizens' questions under the channel's posts: a reply in the linked discussion
group to the citizen's comment. Telegram has no idempotency key; the ticket's own state
(bot/replies: draft -> sending -> answered) is what sends it once."""

from __future__ import annotations

from aiogram import Bot
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)
from aiogram.types import ReplyParameters

from bot.domain import Network
from bot.ports import IncomingComment, Published, PublishError
from bot.textsize import TEXT_LIMIT, utf16_len


class TelegramReplies:
    network = Network.telegram

    def __init__(self, bot: Bot, channel_username: str = "") -> None:
        self._bot = bot
        self._username = channel_username

    def comment_thread(self, comment: IncomingComment) -> str:
        """ "<discussion chat id>:<message id>:<channel post>" from "<chat>_<message id>"."""
        chat, _, message_id = comment.external_id.rpartition("_")
        if not chat or not message_id:
            return ""
        return f"{chat}:{message_id}:{comment.post_ref}"

    async def reply(self, channel: str, thread_ref: str, text: str, key: str) -> Published:
        if channel != "comment":
            raise PublishError("rejected", "в Telegram бот отвечает только на комментарии")
        if utf16_len(text) > TEXT_LIMIT:
            raise PublishError("rejected", f"ответ длиннее {TEXT_LIMIT} знаков")
        chat, message_id, post_ref = [*thread_ref.split(":"), "", ""][:3]
        try:
            sent = await self._bot.send_message(
                int(chat),
                text,
                reply_parameters=ReplyParameters(message_id=int(message_id)),
            )
        except TelegramRetryAfter as exc:
            raise PublishError("temporary", "Telegram просит подождать", exc.retry_after) from exc
        except TelegramForbiddenError as exc:
            raise PublishError("auth", "бота нет в группе обсуждения", None, str(exc)) from exc
        except TelegramBadRequest as exc:
            raise PublishError("rejected", "Telegram не принял ответ", None, str(exc)) from exc
        except TelegramServerError as exc:
            raise PublishError("temporary", "Telegram временно недоступен", None, str(exc)) from exc
        except (TelegramNetworkError, TimeoutError) as exc:
            raise PublishError("uncertain", "Telegram не ответил вовремя", None, str(exc)) from exc
        if self._username and post_ref:
            url = f"https://t.me/{self._username}/{post_ref}?comment={sent.message_id}"
        else:
            url = f"https://t.me/c/{str(chat).removeprefix('-100')}/{sent.message_id}"
        return Published(str(sent.message_id), url)
