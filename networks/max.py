"""The office's channel in the MAX messenger, through the official client `maxapi` (1.2.3).

Why maxapi: it resolves with the locked aiogram, aiohttp and pydantic, its base URL is settable
(`Bot.set_api_url`, so tests and the sandbox reach the emulator), it sends the token only in
the `Authorization` header, and it already does the parts that are easy to get wrong: the
upload in two steps and the retry of POST /messages while MAX answers `attachment.not.ready`.

What it relies on, and where that is written (checked with the search tool):
- POST /uploads?type=image|video|file → a URL; the file goes there as multipart `data`; for
  image and file the token comes in the upload's answer, for video and audio with the URL:
  dev.max.ru/docs-api/methods/POST/uploads.
- POST /messages?chat_id=… with {text, attachments, format, notify}, text up to 4,000 characters:
  dev.max.ru/docs-api/methods/POST/messages as quoted by a public copy of MAX's method notes
  (gitea.clientright.ru …/docs/max-api/02-methods.md); error codes 401, 429, 503 and a JSON
  error body: MAX's OpenAPI description (maxmessengerapi.ru/max-bot-api-openapi.json).
- About 30 requests a second to platform-api.max.ru: green-api.com/max-bot-api («максимальное
  количество запросов в секунду на platform-api.max.ru — 30 rps»).
- Comments under channel posts: GET /messages/{messageId}/comments and DELETE
  /messages/{messageId}/comments?comment_id=…, as maxapi implements them (its docstrings cite
  dev.max.ru/docs-api/methods/GET/messages/-messageId-/comments); the search found no copy of
  those pages themselves, so this is the client's word, not confirmed from MAX's docs. MAX
  gives a bot no hiding of a comment and no ban of a commenter in a channel.
Polls: MAX's Bot API has no poll attachment (the attachment types maxapi 1.2.3 knows are image,
video, audio, file, sticker, contact, inline_keyboard, location, share), so a post with a poll
is refused in the check and goes out on the other networks.
NOT confirmed: the text limit's exact edge (maxapi refuses 4,000 characters and more, so the
check blocks from 4,000), and the MAX rate limit per bot (30 rps is a partner's statement).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta

from aiohttp import ClientConnectorError
from maxapi import Bot
from maxapi.client.default import DefaultConnectionProperties
from maxapi.enums.upload_type import UploadType
from maxapi.exceptions.max import InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed
from maxapi.types.input_media import InputMediaBuffer

from bot.config import Config, MaxSettings, Secrets
from bot.domain import MediaKind, Network
from bot.ports import Check, Fit, OutgoingPost, Published, Publisher, PublishError
from networks.max_access import MaxAccess
from networks.max_comments import MaxComments, error_code, max_retry_after
from networks.max_dialogs import MaxDialogs
from networks.max_stats import MaxStats
from networks.ratelimit import Pace, Rate, pace_for
from networks.registry import Connection, PublishedRefs

RPS = 30
TEXT_LIMIT = 3999  # maxapi: "text должен быть меньше 4000 символов"
ATTACHMENT_LIMIT = 10  # what the bot sends in one post; MAX documents no number we found
UPLOAD_TYPES = {
    MediaKind.photo: UploadType.IMAGE,
    MediaKind.video: UploadType.VIDEO,
    MediaKind.document: UploadType.FILE,
}
NO_POLLS = "опросы не поддерживаются: у ботов MAX нет опросов — снимите опрос или эту сеть"
REJECTED = {
    "chat.not.found": "канал не найден — проверьте [max] chat_id в настройках",
    "proto.payload": "MAX не принял текст или вложения",
}


def make_bot(token: str, settings: MaxSettings, retry_delay: float = 2.0) -> Bot:
    bot = Bot(
        token,
        default_connection=DefaultConnectionProperties(
            timeout=settings.request_timeout, max_retries=0
        ),
        after_input_media_delay=0.01,  # the not-ready retry below waits instead
        after_upload_attempts=5,
        after_upload_retry_delay=retry_delay,
        auto_requests=False,
        auto_check_subscriptions=False,
    )
    bot.set_api_url(settings.api_base_url)
    return bot


def sorted_error(exc: Exception) -> PublishError:
    detail = repr(exc)
    if isinstance(exc, InvalidToken):
        return PublishError(
            "auth", "ключ бота MAX не действует — получите новый (см. README)", None, detail
        )
    if isinstance(exc, MaxApiError):
        code = error_code(exc)
        if exc.code == 429:
            return PublishError("temporary", "MAX просит подождать", 1.0, detail)
        if exc.code >= 500:
            return PublishError("temporary", "MAX временно не отвечает", None, detail)
        if exc.code == 403:
            return PublishError(
                "auth",
                "бот не администратор канала в MAX — добавьте его в администраторы",
                None,
                detail,
            )
        reason = REJECTED.get(code, code or str(exc.raw))
        return PublishError("rejected", f"MAX отклонил публикацию: {reason}", None, detail)
    if isinstance(exc, RuntimeError):  # maxapi gave up waiting for attachment.not.ready
        return PublishError("temporary", "MAX ещё обрабатывает вложения", 5.0, detail)
    if isinstance(exc, MaxUploadFileFailed) or isinstance(exc.__cause__, ClientConnectorError):
        return PublishError("temporary", "MAX недоступен", None, detail)  # nothing was posted
    # A timeout or a dropped connection: the post may be in the channel (MAX has no
    # idempotency key), so a person is asked rather than risk a second copy.
    return PublishError("uncertain", "MAX не ответил, вышла ли публикация", None, detail)


class MaxChannel(Publisher):
    network = Network.max
    # 30 requests a second is a turn each 33 ms, shorter than one post's claim and outcome on
    # disk: several at once keep the limit full (bench.publish); with no key, each one under way
    # at a crash is asked about.
    senders = 4

    def __init__(self, bot: Bot, chat_id: int, pace: Pace, timeout: float = 20) -> None:
        self._bot = bot
        self._chat_id = chat_id
        self._pace = pace
        self._timeout = timeout

    def check(self, post: OutgoingPost) -> Check:
        problems = []
        if not post.text.strip() and not post.media:
            problems.append("пустая публикация")
        if len(post.text) > TEXT_LIMIT:
            problems.append(f"текст длиннее {TEXT_LIMIT} знаков (сейчас {len(post.text)})")
        if len(post.media) > ATTACHMENT_LIMIT:
            problems.append(f"не больше {ATTACHMENT_LIMIT} вложений")
        if post.poll is not None:
            problems.append(NO_POLLS)
        return Check(problems=tuple(problems))

    async def publish(self, post: OutgoingPost) -> Published:
        attachments = [
            InputMediaBuffer(m.read(), filename=m.filename, type=UPLOAD_TYPES[m.kind])
            for m in post.media
        ]
        try:
            async with asyncio.timeout(self._timeout * (2 + 2 * len(attachments))):
                # one paced "call" costs what it sends: each attachment is two requests
                sent = await self._pace.call(
                    lambda: self._bot.send_message(
                        chat_id=self._chat_id, text=post.text or None, attachments=attachments
                    ),
                    cost=1 + 2 * len(attachments),
                    retry_after=max_retry_after,
                )
        except (InvalidToken, MaxApiError, MaxConnection, MaxUploadFileFailed) as exc:
            raise sorted_error(exc) from exc
        except (TimeoutError, RuntimeError) as exc:
            raise sorted_error(exc) from exc
        if sent is None:
            raise PublishError("temporary", "MAX не подтвердил публикацию")
        message = sent.message
        mid = message.body.mid if message.body else ""
        return Published(mid, message.url or "")

    # ---- the preview, and after publication ---------------------------------------------------
    def fits(self, post: OutgoingPost) -> tuple[Fit, ...]:
        if len(post.text) > TEXT_LIMIT:
            return (Fit("limit", f"Сократить до {TEXT_LIMIT}", TEXT_LIMIT),)
        return ()

    def edit_refusal(self, post: OutgoingPost) -> str:
        # PUT /messages replaces the attachments with those sent, and maxapi always sends a
        # list (empty: all removed): only a post without files keeps what it shows.
        if post.media:
            return "в MAX бот меняет текст только у публикаций без вложений (фото пропали бы)"
        if len(post.text) > TEXT_LIMIT:
            return f"текст длиннее {TEXT_LIMIT} знаков"
        return "" if post.text.strip() else "пустой текст"

    def delete_refusal(self, post: OutgoingPost) -> str:
        return ""

    async def edit(self, post: OutgoingPost) -> None:
        refusal = self.edit_refusal(post)
        if refusal:
            raise PublishError("rejected", f"MAX: {refusal}")
        mid = self._mid(post)
        await self._call(lambda: self._bot.edit_message(message_id=mid, text=post.text))

    async def delete(self, post: OutgoingPost) -> None:
        mid = self._mid(post)
        await self._call(lambda: self._bot.delete_message(message_id=mid))

    async def _call(self, call: Callable[[], Awaitable[object]]) -> None:
        try:
            async with asyncio.timeout(self._timeout):
                await self._pace.call(call, cost=1, retry_after=max_retry_after)
        except (InvalidToken, MaxApiError, MaxConnection) as exc:
            raise sorted_error(exc) from exc
        except TimeoutError as exc:
            raise PublishError("temporary", "MAX не ответил", None, repr(exc)) from exc

    @staticmethod
    def _mid(post: OutgoingPost) -> str:
        first = next(iter(post.sent.values()), None)
        if first is None or not first.external_id:
            raise PublishError("rejected", "MAX: не знаю, какое это сообщение канала")
        return first.external_id

    async def close(self) -> None:
        await self._bot.close_session()


def connect(config: Config, secrets: Secrets, published: PublishedRefs) -> Connection | None:
    settings = config.max
    if not settings.wanted() or secrets.max_token is None:
        return None
    token = secrets.max_token.get_secret_value()
    delay = min(2.0, config.publish.retry_delay_seconds or 2.0)
    bot = make_bot(token, settings, delay)
    # The channel and its comments share MAX's limit, counted in any one second (the window).
    pace = pace_for(token, Rate(RPS, 1.0, window=True), network="max")
    moderator = None
    if config.moderation.enabled:
        moderator = MaxComments(
            bot,
            pace,
            published,
            settings.check_comments_every_seconds,
            timedelta(days=config.moderation.catchup_days),
            settings.request_timeout,
        )
    channel = MaxChannel(bot, settings.chat_id, pace, settings.request_timeout)
    access = MaxAccess(
        bot,
        settings.chat_id,
        config.moderation.enabled,
        settings.request_timeout,
        make_bot=lambda value: make_bot(value, settings, delay),
    )
    dialogs = MaxDialogs(
        bot, pace, settings.request_timeout, settings.check_comments_every_seconds
    )  # the bot's session is the channel's (closed with it)
    stats = MaxStats(bot, pace)
    return Connection(Network.max, channel, moderator, access=access, replies=dialogs, stats=stats)
