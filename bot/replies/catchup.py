"""Messages to the OK group written while the desk did not listen (it was down, or OK's webhook
never reached it): read back from OK at start and every EVERY_MINUTES, oldest first, and taken
as the live ones are (bot/replies/intake.py: each once by its message id, with the same
acknowledgement to the citizen). OK's reads: networks/ok_dialogs.py `missed`.

The cursor (storage/cursors.py, "ok:messages") is the moment, in ms, up to which the group's
chats were read; it moves only after every message read became a ticket (or joined one), so a
failure reads the same again. Each read starts OVERLAP before it (OK's clock and ours differ, a
message may be written during a read): what the desk already has is skipped by its id. Without a
cursor (the first start with group messages) the read starts at the newest OK ticket, or now.
Messages older than MAX_AGE are left to people, as in VK (handlers/vk/inbox.py): the editors are
told which span to look through on ok.ru. Live webhooks and the catch-up take one citizen's
messages one at a time, so a message joins a waiting ticket once.

Without [web] public_base_url OK has nowhere to send webhooks, and the same read is the only
intake: bot/app_replies.py runs it every [ok] read_messages_every_seconds, in one instance at a
time (the one holding a lease, bot/leases.py). Should two read the same span anyway (one took
over while the other's slow read went on), the intake takes each message once by its id. A read
OK fails for a moment is then told only if it lasts PATIENCE (the next read comes in seconds
anyway).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from bot.alerts import Alerts
from bot.dates import calendar_when
from bot.domain import Network
from bot.ports import CitizenMessage, Cursor, PublishError
from bot.replies.service import Replies
from storage.tickets import Ticket
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

CURSOR = "ok:messages"
EVERY_MINUTES = 10.0  # also what catches a webhook OK gave up on while the desk ran
OVERLAP = timedelta(minutes=10)
MAX_AGE = timedelta(days=7)
PATIENCE = timedelta(minutes=5)  # when polling: a passing OK outage is no one's news
TROUBLES = ("read", "take", "old")  # each told to the editors once (bot/alerts.py)


class MissedMessages(Protocol):
    """A network that can list the messages people wrote to it since a moment."""

    network: Network

    async def missed(self, since: datetime) -> list[CitizenMessage]: ...

    def group_messages_url(self) -> str: ...


class OKCatchUp:
    def __init__(
        self,
        replies: Replies,
        channel: MissedMessages,
        cursor: Cursor,
        uow: Callable[[], UnitOfWork],
        alerts: Alerts,
        clock: Callable[[], datetime],
        tz: ZoneInfo,
        every: timedelta = timedelta(minutes=EVERY_MINUTES),
        patience: timedelta = timedelta(0),
    ) -> None:
        self._replies = replies
        self._channel = channel
        self._cursor = cursor
        self._uow = uow
        self._alerts = alerts  # each trouble told once, not every EVERY_MINUTES
        self._clock = clock
        self._tz = tz
        self.every = every  # how often run() is called: the editors are told when it retries
        self._patience = patience
        self._failing_since: datetime | None = None
        self._running = asyncio.Lock()  # the start's read and the scheduled one never overlap
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)

    async def take(self, message: CitizenMessage) -> Ticket | None:
        """One message, live or read back: one citizen's messages one at a time."""
        async with self._locks[message.author_id]:
            return await self._replies.intake(message)

    async def run(self) -> int:
        """Read what was missed since the cursor; how many tickets it opened or joined."""
        async with self._running:
            started = self._clock()
            stored = await self._cursor.load()
            if stored is None:
                stored_at = await self._newest_ticket()
                if stored_at is None:  # a new desk: older messages were ok.ru's to answer
                    await self._cursor.save(_ms(started))
                    return 0
            else:
                stored_at = datetime.fromtimestamp(stored / 1000, UTC)
            since = stored_at - OVERLAP
            if since < started - MAX_AGE:
                await self._too_old(since, started - MAX_AGE, started)
                since = started - MAX_AGE
            try:
                messages = await self._channel.missed(since)
            except Exception as exc:  # PublishError says why; anything else is an odd answer
                known = isinstance(exc, PublishError)
                log.warning("OK catch-up: not read: %r", exc, exc_info=not known)
                reason = str(exc) if known else "Одноклассники ответили непонятно"
                self._failing_since = self._failing_since or started
                passing = isinstance(exc, PublishError) and exc.kind == "temporary"
                if passing and started - self._failing_since < self._patience:
                    return 0
                await self._once(
                    "read",
                    f"Не получилось прочитать сообщения группы в Одноклассниках, написанные "
                    f"с {self._when(since, started)}: {reason}. Бот попробует снова через "
                    f"{span(self.every)}; пока откройте сообщения группы на ok.ru "
                    f"{self._channel.group_messages_url()} и ответьте жителям там.",
                )
                return 0
            taken = 0
            for message in messages:
                try:
                    if await self.take(message) is not None:
                        taken += 1
                except Exception:
                    log.exception("OK catch-up: message %s not taken", message.external_id)
                    await self._once(
                        "take",
                        "Не получилось завести обращение по сообщению в группу в "
                        f"Одноклассниках, написанному {self._when(message.written_at, started)}"
                        " — посмотрите сообщения группы на ok.ru "
                        f"{self._channel.group_messages_url()} и ответьте жителю там.",
                    )
                    return taken  # the cursor stays: the next read takes the rest
            await self._cursor.save(_ms(started))
            self._failing_since = None
            for trouble in TROUBLES:  # read up to now: a later trouble is a new one
                self._alerts.resolved(f"{CURSOR}:{trouble}")
            if taken:
                log.info("OK catch-up: %s message(s) written while the desk did not listen", taken)
            return taken

    async def _newest_ticket(self) -> datetime | None:
        async with self._uow() as uow:
            ticket = await uow.tickets.newest(self._channel.network, "message")
        if ticket is None:
            return None
        return ticket.created_at.replace(tzinfo=ticket.created_at.tzinfo or UTC)

    async def _too_old(self, since: datetime, until: datetime, now: datetime) -> None:
        await self._once(
            "old",
            "Бот не читал сообщения группы в Одноклассниках дольше недели. Написанные "
            f"с {self._when(since, now)} по {self._when(until, now)} могли не стать "
            "обращениями — откройте сообщения группы на ok.ru "
            f"{self._channel.group_messages_url()} и ответьте жителям там.",
        )

    async def _once(self, trouble: str, text: str) -> None:
        await self._alerts.once(f"{CURSOR}:{trouble}", text)

    def _when(self, moment: datetime, now: datetime) -> str:
        return calendar_when(moment, now, self._tz)


def span(every: timedelta) -> str:
    """«30 секунд», «1 минуту», «10 минут»: how long until the next read, in Russian."""
    seconds = round(every.total_seconds())
    if seconds % 60:
        return f"{seconds} {_plural(seconds, 'секунду', 'секунды', 'секунд')}"
    minutes = seconds // 60
    return f"{minutes} {_plural(minutes, 'минуту', 'минуты', 'минут')}"


def _plural(n: int, one: str, few: str, many: str) -> str:
    if n % 10 == 1 and n % 100 != 11:
        return one
    return few if 2 <= n % 10 <= 4 and not 12 <= n % 100 <= 14 else many


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)
