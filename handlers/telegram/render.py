"""Cards from the core rendered as Telegram messages, and the Notifier that sends them."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramNotFound,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)

from bot.cards import clip
from bot.delivery import NotDelivered
from bot.domain import MediaKind, Network
from bot.ports import Card, CardRef, MediaItem, Unreachable
from bot.textsize import CAPTION_LIMIT, TEXT_LIMIT, fit, split, utf16_len
from handlers.telegram.callbacks import DeskCB
from storage.models import Person

log = logging.getLogger(__name__)


def keyboard(card: Card) -> InlineKeyboardMarkup | None:
    if not card.buttons:
        return None
    rows = [
        [
            InlineKeyboardButton(
                text=b.text, callback_data=DeskCB(action=b.action, ref=b.ref, arg=b.arg).pack()
            )
            for b in row
        ]
        for row in card.buttons
    ]
    return InlineKeyboardMarkup(inline_keyboard=rows)


def _input_file(item: MediaItem) -> str | BufferedInputFile:
    return item.telegram_file_id or BufferedInputFile(item.read(), filename=item.filename)


def _send_one(bot: Bot, kind: MediaKind) -> Callable[..., Awaitable[Message]]:
    return {
        MediaKind.photo: bot.send_photo,
        MediaKind.video: bot.send_video,
        MediaKind.document: bot.send_document,
    }[kind]


async def send_media(bot: Bot, chat_id: int, media: tuple[MediaItem, ...]) -> None:
    """Attachments go first, as albums of at most 10 (documents can't mix with photos)."""
    visual = [m for m in media if m.kind != MediaKind.document]
    documents = [m for m in media if m.kind == MediaKind.document]
    for group in (visual, documents):
        if len(group) == 1:
            await _send_one(bot, group[0].kind)(chat_id, _input_file(group[0]))
        elif group:
            kinds = {
                MediaKind.photo: InputMediaPhoto,
                MediaKind.video: InputMediaVideo,
                MediaKind.document: InputMediaDocument,
            }
            for start in range(0, len(group), 10):
                chunk = group[start : start + 10]
                if len(chunk) == 1:
                    await send_media(bot, chat_id, tuple(chunk))
                    continue
                await bot.send_media_group(
                    chat_id, [kinds[m.kind](media=_input_file(m)) for m in chunk]
                )


async def send_with_caption(bot: Bot, chat_id: int, item: MediaItem, card: Card) -> Message:
    send = _send_one(bot, item.kind)
    return await send(chat_id, _input_file(item), caption=card.text, reply_markup=keyboard(card))


def unreachable(message: str) -> Unreachable:
    """Telegram's 403 in the editors' words."""
    if "deactivated" in message:
        return Unreachable(Network.telegram, "аккаунт удалён", detail=message)
    if "blocked" in message:
        return Unreachable(
            Network.telegram, "бот заблокирован", "Попросите разблокировать бота", message
        )
    return Unreachable(
        Network.telegram,
        "Telegram не даёт боту написать",
        "Попросите написать боту /start",
        message,
    )


def not_delivered(exc: BaseException) -> NotDelivered:
    """A failure a later try may fix, in the editors' words (never the URL: it has the token)."""
    if isinstance(exc, TelegramUnauthorizedError):
        reason = "Telegram не принимает ключ бота (отозван или заменён)"
    elif isinstance(exc, TelegramRetryAfter):
        reason = "Telegram просит подождать"
    elif isinstance(exc, TelegramServerError):
        reason = "Telegram отвечает ошибкой сервера"
    elif isinstance(exc, ClientDecodeError):
        reason = "Telegram ответил непонятно"
    elif isinstance(exc, TelegramNetworkError | TimeoutError | OSError):
        reason = "Telegram не отвечает"
    else:
        reason = "Telegram не принял сообщение"
    message = getattr(exc, "message", "") or type(exc).__name__
    return NotDelivered("tg", reason, f"{type(exc).__name__}: {message}")


# What a try again may fix; anything else from Telegram is refused for good.
TEMPORARY = (
    TelegramUnauthorizedError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramNetworkError,
    ClientDecodeError,
    TimeoutError,
)


class TelegramNotifier:
    def __init__(self, bot: Bot) -> None:
        self._bot = bot

    async def send(self, person: Person, card: Card) -> CardRef | None:
        if person.telegram_id is None:
            return None
        try:
            if len(card.media) == 1 and utf16_len(card.text) <= CAPTION_LIMIT:
                # One attachment: the card is its caption, one message instead of two.
                message = await send_with_caption(
                    self._bot, person.telegram_id, card.media[0], card
                )
            else:
                if card.media:
                    await send_media(self._bot, person.telegram_id, card.media)
                *before, last = split(card.text, TEXT_LIMIT)
                for part in before:  # a card too long for one message: the buttons go last
                    await self._bot.send_message(person.telegram_id, part)
                message = await self._bot.send_message(
                    person.telegram_id, last, reply_markup=keyboard(card)
                )
        except TelegramForbiddenError as exc:  # 403: blocked the bot, deleted the account...
            raise unreachable(exc.message) from exc
        except TelegramNotFound as exc:
            raise unreachable(exc.message) from exc
        except TEMPORARY as exc:
            raise not_delivered(exc) from exc
        except TelegramAPIError as exc:  # refused as it is: kept, so a person sees it failed
            raise NotDelivered("tg", "Telegram не принял сообщение", exc.message) from exc
        return CardRef(f"tg:{message.chat.id}", message.message_id)

    async def edit(self, ref: CardRef, card: Card) -> None:
        kind, _, chat = ref.chat.partition(":")
        if kind != "tg":
            return
        try:
            try:
                await self._bot.edit_message_text(
                    text=fit(card.text, TEXT_LIMIT),
                    chat_id=int(chat),
                    message_id=ref.message_id,
                    reply_markup=keyboard(card),
                )
            except TelegramBadRequest as exc:
                if "no text in the message" not in exc.message:
                    raise
                await self._bot.edit_message_caption(  # the card is an attachment's caption
                    caption=clip(card.text, CAPTION_LIMIT - 50),
                    chat_id=int(chat),
                    message_id=ref.message_id,
                    reply_markup=keyboard(card),
                )
        except TelegramBadRequest as exc:
            if "not modified" not in exc.message:
                log.info("card %s not updated: %s", ref, exc.message)
        except TelegramForbiddenError as exc:  # an old card of someone who blocked the bot
            log.info("card %s not updated: %s", ref, exc.message)
        except TEMPORARY as exc:
            raise not_delivered(exc) from exc
