"""Live broadcasts: an announcement post with the stream's link and start, a reminder post at
the start (approved with the announcement: when the announcement is scheduled, the reminder is
scheduled in the same transaction, through the outbox, on the same networks, so it goes out
exactly once), and afterwards the recording's link published with one tap.

The recording's link is the stream's own: VK Video, Rutube and YouTube keep a finished stream
as a video at the address the stream had.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from urllib.parse import urlsplit

from bot.cards import shorten
from bot.config import Config
from bot.dates import calendar_when, stamp
from bot.domain import PostState, PublicationState
from bot.errors import Conflict, Invalid, NotFound
from bot.formats import FormatService
from bot.people import audit
from bot.ports import Action, Button, Card, Notifier
from bot.publishing import Outbox
from storage.formats import Broadcast
from storage.models import Person, Post, Publication
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)


def parse_link(text: str) -> str:
    link = text.strip()
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
        raise Invalid(
            "Это не похоже на ссылку. Пришлите адрес трансляции целиком, "
            "например https://vk.com/video-100001_456239017"
        )
    if len(link) > 500:
        raise Invalid("Ссылка длиннее 500 знаков.")
    return link


class Broadcasts(FormatService):
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        config: Config,
        clock: Callable[[], datetime],
        plan: Callable[[int, datetime], None],
    ) -> None:
        super().__init__(uow, notifier, config, clock)
        self._plan = plan

    async def add(self, post_id: int, actor: Person, link: str, starts_at: datetime) -> None:
        self.require_editor(actor)
        link = parse_link(link)
        self.future(starts_at, "Начало трансляции")
        now = self._clock()
        async with self._uow() as uow:
            post = await self.open_draft(uow, post_id)
            block = f"Прямая трансляция — {stamp(starts_at, self._tz)}.\nСмотреть: {link}"
            text = post.text.strip()
            title = shorten(text.splitlines()[0]) if text else "Трансляция"
            await uow.formats.put(
                Broadcast(
                    post_id=post_id,
                    title=title,
                    stream_url=link,
                    starts_at=starts_at,
                    block=block,
                    created_by=actor.id,
                )
            )
            await uow.posts.move(post_id, (PostState.draft,), text=text, updated_at=now)
            await audit(
                uow, now, "post.broadcast", actor=actor, obj=f"post:{post_id}", details=link
            )
            await uow.commit()

    # ---- the Desk's hooks: the reminder is approved and cancelled with the announcement -----
    async def scheduled(
        self, uow: UnitOfWork, post_id: int, when: datetime, actor: Person, now: datetime
    ) -> list[tuple[int, datetime]]:
        """The announcement is scheduled: its reminder too, at the start, on its networks."""
        row = await uow.formats.broadcast(post_id)
        if row is None:
            return []
        due = max(row.starts_at, when)
        post = await uow.posts.get(post_id)
        if post is not None and post.text.strip():  # the title as the approved text has it
            row.title = shorten(post.text.strip().splitlines()[0])
            uow.session.add(row)
        networks = [p.network for p in await uow.publications.for_post(post_id)]
        reminder = await uow.posts.get(row.reminder_post_id) if row.reminder_post_id else None
        if reminder is not None and reminder.state == PostState.published:
            return []
        if reminder is None:
            reminder = await uow.posts.add(
                Post(
                    text=f"Начинаем прямую трансляцию: {row.title}\nСмотрите: {row.stream_url}",
                    state=PostState.scheduled,
                    created_at=now,
                    updated_at=now,
                )
            )
            row.reminder_post_id = reminder.id
            uow.session.add(row)
        existing = {p.network: p for p in await uow.publications.for_post(reminder.id)}
        for network in networks:
            if network not in existing:
                await uow.publications.add(
                    Publication(
                        post_id=reminder.id,
                        network=network,
                        state=PublicationState.pending,
                        updated_at=now,
                    )
                )
        for network, publication in existing.items():
            if network not in networks and publication.state != PublicationState.published:
                await uow.publications.remove(publication)
        await uow.posts.move(
            reminder.id,
            (PostState.scheduled, PostState.draft, PostState.cancelled, PostState.approved),
            state=PostState.scheduled,
            scheduled_at=due,
            decided_by=actor.id,
            decided_at=now,
            updated_at=now,
        )
        await Outbox.schedule(uow, reminder.id, due, now)
        await audit(
            uow,
            now,
            "broadcast.reminder",
            actor=actor,
            obj=f"post:{reminder.id}",
            details=f"post:{post_id} {due.isoformat()}",
        )
        return [(reminder.id, due)]

    async def cancelled(self, uow: UnitOfWork, post_id: int, actor: Person, now: datetime) -> None:
        """The announcement is called off (or moved): its reminder waits for it again."""
        row = await uow.formats.broadcast(post_id)
        if row is None or row.reminder_post_id is None:
            return
        if await uow.outbox.unschedule_post(row.reminder_post_id, now):
            await uow.posts.move(
                row.reminder_post_id,
                (PostState.scheduled, PostState.failed),
                state=PostState.cancelled,
                updated_at=now,
            )

    # ---- after the start -----------------------------------------------------------------------
    async def sweep(self) -> int:
        """Each broadcast that started: the editors get «Опубликовать запись» (once)."""
        now = self._clock()
        async with self._uow() as uow:
            started = await uow.formats.broadcasts_started(now)
        offered = 0
        for row in started:
            async with self._uow() as uow:
                post = await uow.posts.get(row.post_id)
                if post is None or post.state in (PostState.draft, PostState.approved):
                    continue  # never approved: nothing went out, nothing to record
                if post.state in (PostState.scheduled, PostState.publishing):
                    continue  # the announcement is not out yet
                if not await uow.formats.claim(
                    Broadcast, row.post_id, "offered_at", offered_at=now
                ):
                    continue
                await uow.commit()
            if post.state != PostState.published:
                continue
            offered += 1
            await self.tell_editors(self.recording_card(row, now))
        return offered

    def recording_card(self, row: Broadcast, now: datetime) -> Card:
        when = calendar_when(row.starts_at, now, self._tz)
        return Card(
            f"Трансляция «{row.title}» началась ({when}). Когда она закончится, опубликуйте "
            f"запись одной кнопкой — уйдёт пост со ссылкой {row.stream_url} туда же, куда анонс.",
            buttons=((Button("Опубликовать запись", Action.publish_recording, row.post_id),),),
        )

    async def publish_recording(self, post_id: int, actor: Person) -> Card:
        """One tap: the recording's post goes out now on the announcement's networks."""
        self.require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            row = await uow.formats.broadcast(post_id)
            if row is None:
                raise NotFound("Этой трансляции больше нет.")
            if row.recording_post_id is not None:
                raise Conflict("Запись уже опубликована.")
            if row.starts_at > now:
                raise Invalid("Трансляция ещё не началась.")
            networks = [
                p.network
                for p in await uow.publications.for_post(post_id)
                if p.state == PublicationState.published
            ]
            if not networks:
                raise Invalid("Анонс трансляции нигде не вышел — записи некуда идти.")
            recording = await uow.posts.add(
                Post(
                    text=f"Запись трансляции «{row.title}»: {row.stream_url}",
                    state=PostState.scheduled,
                    scheduled_at=now,
                    decided_by=actor.id,
                    decided_at=now,
                    created_at=now,
                    updated_at=now,
                )
            )
            if not await uow.formats.claim(
                Broadcast, post_id, "recording_post_id", recording_post_id=recording.id
            ):
                raise Conflict("Запись уже опубликована.")
            for network in networks:
                await uow.publications.add(
                    Publication(
                        post_id=recording.id,
                        network=network,
                        state=PublicationState.pending,
                        updated_at=now,
                    )
                )
            await Outbox.schedule(uow, recording.id, now, now)
            await audit(
                uow,
                now,
                "broadcast.recording",
                actor=actor,
                obj=f"post:{recording.id}",
                details=f"post:{post_id}",
            )
            await uow.commit()
        self._plan(recording.id, now)
        return Card(f"Публикую запись трансляции «{row.title}»: {row.stream_url}")
