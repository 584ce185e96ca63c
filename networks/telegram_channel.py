"""The Telegram channel, through aiogram's Bot (the bot must be an admin of the channel).

The Bot API has no idempotency key and no way for a bot to read the channel back, so this
publisher is not idempotent and cannot find a post it may have sent: an answer lost after the
request went out (a timeout, a proxy's HTML page or a truncated body, which aiogram raises as
ClientDecodeError before it looks at the status) is "uncertain" and a person is asked. Only a
connection that never opened is safe to retry. A post goes out in parts (an album, documents,
the text when it is too long for a caption); each part is reported as it lands, so a retry
sends only what is missing.

Polls: `sendPoll` in the channel after the post (its own message, the part "poll"), anonymous
(Telegram refuses non-anonymous polls in channels); question 1-300 characters, 2-10 options of
1-100 (core.telegram.org/bots/api#sendpoll as Bot API clients quote it; newer Bot API versions
allow more options, the desk keeps to 10 for every network). `close_date` only reaches 600
seconds ahead, so a poll that ends later is closed with `stopPoll` at its end, whose answer
carries the final counts.
"""

from __future__ import annotations

import asyncio

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import (
    BufferedInputFile,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)
from aiohttp import ClientConnectorError

from bot.content import megabytes
from bot.domain import MediaKind, Network
from bot.ports import (
    POLL_PART,
    Check,
    Fit,
    MediaItem,
    OutgoingPost,
    PollSpec,
    PollTally,
    PreviewPart,
    Published,
    Publisher,
    PublishError,
)

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
# What a bot may upload (core.telegram.org/bots/api: sendPhoto «at most 10 MB», sendVideo and
# sendDocument «up to 50 MB»); a file already on Telegram goes by its file_id, without upload.
PHOTO_LIMIT = 10 * 1024 * 1024
FILE_LIMIT = 50 * 1024 * 1024
POLL_QUESTION_LIMIT = 300
POLL_OPTION_LIMIT = 100
POLL_OPTIONS = (2, 10)
# Telegram's reasons, as the editor should read them; anything else is quoted as it came.
REASONS = {
    "chat not found": "канал не найден — проверьте channel_id в настройках",
    "not enough rights": "у бота нет прав публиковать в канале — сделайте его администратором",
    "message is too long": f"текст длиннее {TEXT_LIMIT} знаков",
    "caption is too long": f"подпись к фото длиннее {CAPTION_LIMIT} знаков",
    "wrong file identifier": "вложение больше недоступно в Telegram — замените его",
    "image_process_failed": "Telegram не смог прочитать фото — замените его",
}


def utf16_len(text: str) -> int:
    """Telegram counts limits in UTF-16 code units, so an emoji counts as two."""
    return len(text.encode("utf-16-le")) // 2


def _too_big(item: MediaItem) -> str:
    if item.telegram_file_id:
        return ""
    limit = PHOTO_LIMIT if item.kind == MediaKind.photo else FILE_LIMIT
    if item.nbytes <= limit:
        return ""
    return (
        f"{item.kind.short} «{item.filename}» больше {megabytes(limit)} "
        f"({megabytes(item.nbytes)}) — Telegram не примет его от бота"
    )


def _reason(message: str) -> str:
    lowered = message.lower()
    return next((text for key, text in REASONS.items() if key in lowered), message)


class TelegramChannel(Publisher):
    network = Network.telegram
    idempotent = False

    def __init__(
        self,
        bot: Bot,
        channel_id: int | str,
        username: str = "",
        timeout: float = 20,
        waits: float = 0.0,
    ) -> None:
        # `waits`: how long the pace may hold requests for 429s ([delivery] max_retry_wait_seconds)
        self._bot = bot
        self._channel_id = channel_id
        self._username = username.lstrip("@") or (
            channel_id.lstrip("@") if isinstance(channel_id, str) else ""
        )
        self._timeout = timeout
        self._deadline = timeout * 3 + waits

    def check(self, post: OutgoingPost) -> Check:
        if post.poll is not None and (problems := poll_problems(post.poll)):
            return Check(problems=problems)
        size = utf16_len(post.text)
        if post.is_empty:
            return Check(problems=("пустая публикация: нет ни текста, ни вложений",))
        if size > TEXT_LIMIT:
            return Check(problems=(f"текст длиннее {TEXT_LIMIT} знаков (сейчас {size})",))
        problems = [p for p in map(_too_big, post.media) if p]
        notes = []
        if post.media and size > CAPTION_LIMIT:
            notes.append(
                f"текст длиннее {CAPTION_LIMIT} знаков — вложения и текст уйдут двумя сообщениями"
            )
        if post.documents and post.of_kind(MediaKind.photo, MediaKind.video):
            # sendMediaGroup: documents are grouped only with documents
            notes.append("документы уйдут отдельным сообщением после фото и видео")
        return Check(problems=tuple(problems), notes=tuple(notes))

    async def publish(self, post: OutgoingPost) -> Published:
        try:
            async with asyncio.timeout(self._deadline):
                return await self._send(post)
        except TelegramRetryAfter as exc:
            raise PublishError(
                "temporary", "Telegram просит подождать", exc.retry_after, str(exc)
            ) from exc
        except TelegramNetworkError as exc:
            if isinstance(exc.__cause__, ClientConnectorError):  # nothing reached Telegram
                raise PublishError("temporary", "Telegram недоступен", None, repr(exc)) from exc
            raise self._uncertain(exc) from exc
        except (TimeoutError, ClientDecodeError, TelegramServerError) as exc:
            # A 5xx may come from a gateway after Telegram posted: with no key, ask.
            raise self._uncertain(exc) from exc
        except (TelegramUnauthorizedError, TelegramForbiddenError) as exc:
            raise PublishError(
                "auth",
                "у бота нет прав публиковать в канале — сделайте его администратором канала",
                None,
                str(exc),
            ) from exc
        except TelegramBadRequest as exc:
            raise PublishError(
                "rejected", f"Telegram отклонил публикацию: {_reason(exc.message)}", None, str(exc)
            ) from exc

    async def poll_results(self, poll: PollSpec, ref: Published) -> PollTally:
        """stopPoll closes the poll and answers with its final counts."""
        try:
            async with asyncio.timeout(self._timeout):
                closed = await self._bot.stop_poll(self._channel_id, int(ref.external_id))
        except TelegramBadRequest as exc:
            raise PublishError(
                "rejected", f"Telegram не отдал итоги: {_reason(exc.message)}", None, str(exc)
            ) from exc
        except (TelegramNetworkError, TimeoutError, ClientDecodeError, TelegramServerError) as exc:
            raise PublishError("temporary", "Telegram не ответил", None, repr(exc)) from exc
        return PollTally(
            tuple(option.voter_count for option in closed.options), closed.total_voter_count
        )

    @staticmethod
    def _uncertain(exc: Exception) -> PublishError:
        return PublishError(
            "uncertain",
            "Telegram не ответил, дошла ли публикация (ответ потерян или не читается)",
            None,
            repr(exc),
        )

    def home_url(self) -> str:
        return f"https://t.me/{self._username}" if self._username else ""

    async def close(self) -> None:
        """The Bot's session belongs to the application, which closes it."""

    async def _send(self, post: OutgoingPost) -> Published:
        """The parts not yet sent, in order; the first part's message is the post's link."""
        text = post.text.strip()
        caption = text if text and utf16_len(text) <= CAPTION_LIMIT else None
        visual = [m for m in post.media if m.kind in (MediaKind.photo, MediaKind.video)]
        documents = [m for m in post.media if m.kind == MediaKind.document]
        parts: list[tuple[str, list[MediaItem]]] = [
            (name, group) for name, group in (("album", visual), ("documents", documents)) if group
        ]
        if not parts or caption is None:
            parts.append(("text", []))
        results: list[Published] = []
        for index, (name, group) in enumerate(parts):
            done = post.sent.get(name)
            if done is None:
                if group:
                    message = (await self._send_group(group, caption if index == 0 else None))[0]
                else:
                    message = await self._bot.send_message(self._channel_id, text)
                done = Published(str(message.message_id), self._link(message))
                await post.part_sent(name, done)
            results.append(done)
        if post.poll is not None and POLL_PART not in post.sent:
            poll = post.poll
            message = await self._bot.send_poll(
                self._channel_id,
                poll.question,
                list(poll.options),
                is_anonymous=True,  # a channel takes anonymous polls only
                allows_multiple_answers=poll.multiple,
            )
            await post.part_sent(POLL_PART, Published(str(message.message_id), self._link(message)))
        return results[0]

    async def _send_group(self, items: list[MediaItem], caption: str | None) -> list[Message]:
        if len(items) == 1:
            item = items[0]
            send = {
                MediaKind.photo: self._bot.send_photo,
                MediaKind.video: self._bot.send_video,
                MediaKind.document: self._bot.send_document,
            }[item.kind]
            return [await send(self._channel_id, self._file(item), caption=caption)]
        media = []
        for index, item in enumerate(items):
            kind = {
                MediaKind.photo: InputMediaPhoto,
                MediaKind.video: InputMediaVideo,
                MediaKind.document: InputMediaDocument,
            }[item.kind]
            media.append(kind(media=self._file(item), caption=caption if index == 0 else None))
        return await self._bot.send_media_group(self._channel_id, media)

    @staticmethod
    def _file(item: MediaItem) -> str | BufferedInputFile:
        if item.telegram_file_id:
            return item.telegram_file_id
        return BufferedInputFile(item.read(), filename=item.filename)

    def _link(self, message: Message) -> str:
        if self._username:
            return f"https://t.me/{self._username}/{message.message_id}"
        return f"https://t.me/c/{str(message.chat.id).removeprefix('-100')}/{message.message_id}"

    # ---- the preview, and after publication ---------------------------------------------------
    def preview(self, post: OutgoingPost) -> tuple[PreviewPart, ...]:
        """The messages as `_send` will send them: the album (with the caption when the text
        fits one), the documents, the text on its own when it does not."""
        text = post.text.strip()
        fits_caption = bool(text) and utf16_len(text) <= CAPTION_LIMIT
        visual = tuple(m for m in post.media if m.kind in (MediaKind.photo, MediaKind.video))
        documents = tuple(m for m in post.media if m.kind == MediaKind.document)
        parts: list[PreviewPart] = []
        for group, what in ((visual, "Альбом"), (documents, "Документы")):
            if not group:
                continue
            name = f"{what}: {_count(group)}"
            if not parts and fits_caption:
                parts.append(PreviewPart(f"{name}, текст — подпись к первому", text, group))
            else:
                parts.append(PreviewPart(f"{name}, без подписи", "", group))
        if not parts:
            parts.append(PreviewPart("Сообщение", text))
        elif not fits_caption and text:
            parts.append(PreviewPart("Текст отдельным сообщением", text))
        if post.poll is not None:
            parts.append(PreviewPart(f"Опрос отдельным сообщением: «{post.poll.question}»"))
        return tuple(parts)

    def fits(self, post: OutgoingPost) -> tuple[Fit, ...]:
        size = utf16_len(post.text.strip())
        proposals = []
        if post.media and size > CAPTION_LIMIT:
            proposals.append(
                Fit(
                    "caption",
                    f"Сократить до {CAPTION_LIMIT} — подписью к фото",
                    CAPTION_LIMIT,
                    "одно сообщение: фото с подписью вместо фото и текста отдельно",
                    utf16_len,
                )
            )
        if size > TEXT_LIMIT:
            proposals.append(Fit("limit", f"Сократить до {TEXT_LIMIT}", TEXT_LIMIT, "", utf16_len))
        return tuple(proposals)

    def edit_refusal(self, post: OutgoingPost) -> str:
        size = utf16_len(post.text.strip())
        if not post.text.strip():
            return "пустой текст"
        if self._text_message(post):
            return f"текст длиннее {TEXT_LIMIT} знаков" if size > TEXT_LIMIT else ""
        if size > CAPTION_LIMIT:  # the text is the album's caption: it must stay one
            return f"подпись к фото не длиннее {CAPTION_LIMIT} знаков (сейчас {size})"
        return ""

    @staticmethod
    def _text_message(post: OutgoingPost) -> bool:
        """The text went out as a message of its own (not as a caption)."""
        return "text" in post.sent or not post.media

    def delete_refusal(self, post: OutgoingPost) -> str:
        return ""  # Telegram's own 48-hour limit is named when it answers so

    async def edit(self, post: OutgoingPost) -> None:
        """editMessageText on the text's own message, or editMessageCaption on the first
        message of the album (or the documents) when the text is its caption."""
        refusal = self.edit_refusal(post)
        if refusal:
            raise PublishError("rejected", f"Telegram: {refusal}")
        text = post.text.strip()
        try:
            async with asyncio.timeout(self._timeout):
                if self._text_message(post):
                    ref = post.sent.get("text") or next(iter(post.sent.values()), None)
                    if ref is None:
                        raise PublishError("rejected", "Telegram: публикация не найдена")
                    await self._bot.edit_message_text(
                        text=text, chat_id=self._channel_id, message_id=int(ref.external_id)
                    )
                else:
                    ref = next(iter(post.sent.values()))
                    await self._bot.edit_message_caption(
                        chat_id=self._channel_id, message_id=int(ref.external_id), caption=text
                    )
        except TelegramBadRequest as exc:
            if "not modified" in exc.message.lower():
                return  # the text is already so
            raise PublishError(
                "rejected", f"Telegram не изменил текст: {_reason(exc.message)}", None, str(exc)
            ) from exc
        except (TelegramNetworkError, TelegramServerError, TimeoutError, ClientDecodeError) as exc:
            raise PublishError("temporary", "Telegram не ответил", None, repr(exc)) from exc
        except (TelegramUnauthorizedError, TelegramForbiddenError) as exc:
            raise PublishError("auth", "у бота нет прав в канале", None, str(exc)) from exc

    async def delete(self, post: OutgoingPost) -> None:
        """Every message of the post. An album's messages get consecutive ids (Telegram sends a
        media group as one batch), so the first one and the number of files name them all."""
        visual = [m for m in post.media if m.kind in (MediaKind.photo, MediaKind.video)]
        documents = [m for m in post.media if m.kind == MediaKind.document]
        counts = {"album": len(visual), "documents": len(documents)}
        ids = []
        for name, ref in post.sent.items():
            first = int(ref.external_id)
            ids += range(first, first + max(counts.get(name, 1), 1))
        try:
            async with asyncio.timeout(self._timeout * (1 + len(ids))):
                for message_id in ids:
                    try:
                        await self._bot.delete_message(self._channel_id, message_id)
                    except TelegramBadRequest as exc:
                        if "not found" not in exc.message.lower():  # gone already: fine
                            raise
        except TelegramBadRequest as exc:
            reason = exc.message
            if "can't be deleted" in reason.lower():
                reason = "Telegram удаляет сообщения канала только в первые 48 часов"
            raise PublishError("rejected", reason, None, str(exc)) from exc
        except (TelegramNetworkError, TelegramServerError, TimeoutError, ClientDecodeError) as exc:
            raise PublishError("temporary", "Telegram не ответил", None, repr(exc)) from exc
        except (TelegramUnauthorizedError, TelegramForbiddenError) as exc:
            raise PublishError("auth", "у бота нет прав в канале", None, str(exc)) from exc


def _count(items: tuple[MediaItem, ...]) -> str:
    kinds: dict[MediaKind, int] = {}
    for item in items:
        kinds[item.kind] = kinds.get(item.kind, 0) + 1
    return ", ".join(f"{n} {kind.short}" for kind, n in kinds.items())


def poll_problems(poll: PollSpec) -> tuple[str, ...]:
    problems = []
    if utf16_len(poll.question) > POLL_QUESTION_LIMIT:
        problems.append(f"вопрос опроса длиннее {POLL_QUESTION_LIMIT} знаков")
    low, high = POLL_OPTIONS
    if not low <= len(poll.options) <= high:
        problems.append(f"в опросе от {low} до {high} вариантов")
    long = [o for o in poll.options if utf16_len(o) > POLL_OPTION_LIMIT]
    if long:
        problems.append(f"вариант ответа длиннее {POLL_OPTION_LIMIT} знаков: «{long[0][:30]}…»")
    return tuple(problems)
