"""Wiring the citizens' tickets (bot/replies): each network's ReplyChannel, the core, and its
hooks into moderation (question comments), the digest, the control report and the scheduler."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from bot.domain import Network
from bot.leases import Turn
from bot.ports import AccessCheck, ReplyChannel
from bot.replies import catchup
from bot.replies.catchup import OKCatchUp
from bot.replies.followups import Followups, replies_section
from bot.replies.service import Replies
from handlers.ok_webhook import PREFIX, OKWebhook, webhook_path
from handlers.telegram.moderation import TelegramRoom
from networks import ok_dialogs
from networks.ok_bot_access import OKBotAccess
from networks.telegram_replies import TelegramReplies
from networks.vk_replies import VKReplies
from storage.cursors import StoredCursor

if TYPE_CHECKING:
    from bot.app import Application

log = logging.getLogger(__name__)
READER = "ok:messages"  # the lease of the instance that polls the OK group's chats
POLL_NOTE = "ok:polling-told"  # the admins were told OK is polled (value: every how many s)


def channels(app: Application) -> dict[Network, ReplyChannel]:
    config = app.config
    found: dict[Network, ReplyChannel] = {}
    if app.vk_group_api is not None:
        found[Network.vk] = VKReplies(
            app.vk_group_api, config.vk.group_id, config.vk.request_timeout
        )
    if app.moderation.moderator(Network.telegram) is not None:  # the discussion group is known
        found[Network.telegram] = TelegramReplies(app.bot, config.telegram.channel_username)
    found |= {c.network: c.replies for c in app.connections if c.replies}  # MAX's dialogues
    if app.ok_dialogs is not None:  # the OK group's messages (its Bot API token is set)
        found[Network.ok] = app.ok_dialogs
    return found


async def read_messages(
    replies: Replies,
    channel: ReplyChannel,
    posts_out: Callable[[Network], Awaitable[None]] | None = None,
) -> int:
    """One read of a network that pushes no private messages to the bot (MAX): each new one
    becomes a ticket (or joins the citizen's waiting one). `posts_out`: the network's due
    posts go first (bot/publishing_workers.py)."""
    if posts_out is not None:
        await posts_out(Network(channel.network))
    opened = 0
    for message in await channel.poll():  # type: ignore[attr-defined]
        if await replies.intake(message) is not None:
            opened += 1
    await channel.advance()  # type: ignore[attr-defined]  # only once all became tickets
    return opened


async def on_ok_update(app: Application, update: dict[str, Any]) -> None:
    """One webhook from OK: a citizen's message becomes a ticket (or joins their waiting one).
    A failure is the editors' to hear of (OK then sends the update again)."""
    if app.ok_dialogs is None or (message := app.ok_dialogs.parse(update)) is None:
        return
    try:
        if app.ok_catch_up is not None:  # one citizen's messages one at a time
            await app.ok_catch_up.take(message)
        else:
            await app.replies.intake(message)
    except Exception:
        log.exception("OK message not turned into a ticket")
        await app.tell_editors(
            "Не получилось завести обращение по сообщению в группу в Одноклассниках — "
            "посмотрите сообщения группы на ok.ru и ответьте жителю там."
        )
        raise


async def start_ok(app: Application) -> None:
    """OK's webhooks first, then the catch-up: a message written meanwhile comes by both and is
    taken once."""
    await subscribe_ok(app)
    if app.ok_catch_up is not None:
        # With webhooks each start reads back what came while it was down, lease or not: a
        # crashed instance's lease would hold that read off for its whole length.
        first = read_ok(app) if polling(app) else app.ok_catch_up.run()
        app._ok_catch_up = asyncio.create_task(first, name="ok-catch-up")


def polling(app: Application) -> bool:
    """No public address: OK cannot send webhooks, reading the group's chats is the intake."""
    return not app.config.web.public_base_url.strip()


async def read_ok(app: Application) -> int:
    """The catch-up's read, by one instance at a time: the one holding the lease, which
    another takes over once it runs out (its instance died)."""
    if app.ok_catch_up is None:
        return 0
    if app.ok_reader is not None and not await app.ok_reader.mine():
        return 0  # another instance reads the group's chats now
    return await app.ok_catch_up.run()


async def poll_ok(app: Application) -> None:
    """Without a public address OK has nowhere to send webhooks: every [ok]
    read_messages_every_seconds the group's chats are read instead."""
    if app.ok_catch_up is not None:
        await note_polling(app)
        await read_ok(app)


async def stop_ok(app: Application) -> None:
    """A clean stop leaves the reading to another instance at once."""
    if app.ok_reader is not None:
        await app.ok_reader.give_up()


async def every_ok(app: Application) -> None:
    """Every catchup.EVERY_MINUTES: the webhook subscribed again if OK dropped it (it does so
    for an URL silent for 8 hours), and whatever the webhooks missed read back; by one
    instance at a time (the others' runs skip while its lease holds)."""
    if app.ok_reader is not None and not await app.ok_reader.mine():
        return
    await subscribe_ok(app)
    if app.ok_catch_up is not None:
        await app.ok_catch_up.run()


async def subscribe_ok(app: Application) -> None:
    """Point OK's webhooks at this desk once the web server listens ([web] public_base_url:
    OK must reach it from outside). A missing address or a refusal is the admins' to hear of."""
    if app.ok_dialogs is None or app.ok_webhook is None:
        return
    base = app.config.web.public_base_url.rstrip("/")
    if not base:
        await note_polling(app)
        return
    if not await app.ok_dialogs.subscribe(base + app.ok_webhook.path, base + PREFIX):
        await app.alerts.once(
            "ok:webhook",
            "Одноклассники не приняли адрес для сообщений группы — проверьте "
            "PRESSDESK_OK_BOT_TOKEN и [web] public_base_url; пока смотрите сообщения группы "
            "на ok.ru.",
        )


async def note_polling(app: Application) -> None:
    """The admins hear once (not at every start, nor from a second instance) that OK's messages
    are read every few seconds, and how to have them at once. A new desk has no admin until
    one writes /start: the note waits for them (checked again at each read)."""
    if app.ok_catch_up is None or app.ok_poll_noted:
        return
    told = StoredCursor(app.uow, POLL_NOTE, app.clock)
    seconds = round(app.ok_catch_up.every.total_seconds())
    if await told.load() == seconds:
        app.ok_poll_noted = True
        return
    async with app.uow() as uow:
        if not await uow.people.with_roles(["admin"]):
            return
    every = catchup.span(app.ok_catch_up.every)
    text = (
        f"Сообщения группы в Одноклассниках бот проверяет сам раз в {every}: не задан "
        "[web] public_base_url — адрес бота, доступный из интернета, по которому Одноклассники "
        "передавали бы их сразу. Обращения из них появятся с задержкой до "
        f"{every}. Чтобы они приходили мгновенно, задайте [web] public_base_url и "
        "перезапустите бота; частоту проверки задаёт [ok] read_messages_every_seconds."
    )
    if await app.alerts.once(POLL_NOTE, text):
        await told.save(seconds)
        app.ok_poll_noted = True


def bot_checks(app: Application) -> list[AccessCheck]:
    """The OK group's bot token: checked with the others, replaced from /tokens, and then the
    webhook is subscribed again with it (when the desk has one)."""
    if app.ok_dialogs is None:
        return []
    base = app.config.web.public_base_url.rstrip("/")
    url = base + app.ok_webhook.path if base and app.ok_webhook is not None else ""
    return [OKBotAccess(app.ok_dialogs, url, base + PREFIX if url else "")]


def wire(app: Application) -> None:
    config = app.config
    app.ok_dialogs = ok_dialogs.connect(config, app.secrets)
    app.replies = Replies(
        app.uow, app.notifier, TelegramRoom(app.bot), channels(app), config, app.clock
    )
    app.followups = Followups(app.replies, app.uow, app.notifier, app.clock)
    if not config.replies.enabled:
        return
    app.moderation.comment_hooks.append(app.replies.comments)
    app.moderation.digest_sections.append(app.followups.digest_part)
    app.control.sections.append(replies_section)
    if app.ok_dialogs is not None and app.web is not None and app.secrets.ok_bot is not None:
        path = webhook_path(app.secrets.ok_bot.get_secret_value())
        app.ok_webhook = OKWebhook(path, partial(on_ok_update, app))
        app.web.add_routes(app.ok_webhook.routes())
        cursor = StoredCursor(app.uow, catchup.CURSOR, app.clock)
        every = timedelta(seconds=config.ok.read_messages_every_seconds)
        polls = polling(app)
        app.ok_catch_up = OKCatchUp(
            app.replies,
            app.ok_dialogs,
            cursor,
            app.uow,
            app.editor_alerts,
            app.clock,
            config.desk.tz,
            every if polls else timedelta(minutes=catchup.EVERY_MINUTES),
            catchup.PATIENCE if polls else timedelta(0),
        )
        if polls:  # the lease outlives a slow read: another instance waits for it to end
            length = max(every * 3, timedelta(seconds=config.ok.request_timeout * 2))
        else:  # webhooks are the intake; the holder's next run, 10 minutes on, renews it
            length = timedelta(minutes=catchup.EVERY_MINUTES * 1.5)
        app.ok_reader = Turn(app.uow, READER, app.outbox.instance, app.clock, length)
        job = partial(poll_ok if polls else every_ok, app)
        minutes = every.total_seconds() / 60 if polls else catchup.EVERY_MINUTES
        app.scheduler.every("replies:ok-catch-up", job, minutes)
    app.scheduler.every(
        "replies:deadlines", app.followups.sweep, config.replies.check_every_minutes
    )
    for network, channel in app.replies.channels.items():
        if hasattr(channel, "cursor"):  # MAX's marker: kept in the database across restarts
            channel.cursor = StoredCursor(app.uow, f"{network}:updates", app.clock)
        if seconds := getattr(channel, "every_seconds", 0):
            read = partial(read_messages, app.replies, channel, app.outbox.posts_out)
            app.scheduler.every(f"replies:messages:{network}", read, seconds / 60)
