"""The editorial workflow: report -> draft -> approve / reject -> schedule (publishing itself
is the outbox's, bot/publishing.py).

Each public method is one use case: it opens its own unit of work, checks who may act,
moves the post between named states with a compare-and-set (so two editors pressing at
once get one winner), commits, and only then tells people.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from bot.cards import (
    PostView,
    approved_waiting_card,
    cancelled_for_author,
    cancelled_for_editor,
    decided_card,
    draft_card,
    edit_prompt,
    queue_line,
    scheduled_card,
    short_name,
    status_card,
    when_card,
    where_card,
)
from bot.config import Config
from bot.dates import calendar_date, human_when, parse_when
from bot.domain import MediaKind, Network, PostState, PublicationState, Role
from bot.errors import Conflict, Denied, Invalid, NotFound
from bot.filetypes import checked
from bot.media import IN_THREAD_ABOVE, MediaStore
from bot.people import audit
from bot.ports import (
    Card,
    CardRef,
    Check,
    MediaItem,
    Notifier,
    OutgoingPost,
    Planner,
    Publisher,
)
from bot.publishing import Outbox
from bot.views import get_post, load_view, media_items
from bot.workdays import WorkCalendar
from storage.models import Attachment, Person, Post, Publication, Report
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

DECIDABLE = (PostState.draft,)
EDITABLE = (PostState.draft, PostState.approved, PostState.scheduled, PostState.failed)
MAX_ATTACHMENTS = 10


@dataclass(frozen=True)
class NewMedia:
    """A file for a report: its bytes, or the hash of a copy the media store already keeps
    (then nothing is read or hashed again)."""

    kind: MediaKind
    filename: str
    mime_type: str
    data: bytes = b""
    telegram_file_id: str | None = None
    sha256: str | None = None


@dataclass(frozen=True)
class ReportInput:
    title: str
    event_date: date
    place: str
    description: str
    media: Sequence[NewMedia] = ()


@dataclass(frozen=True)
class Submitted:
    report_id: int
    post_id: int
    is_late: bool


class Desk:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        notifier: Notifier,
        publishers: dict[Network, Publisher],
        media: MediaStore,
        config: Config,
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._notifier = notifier
        self._publishers = publishers
        self._media = media
        self._config = config
        self._clock = clock
        self._tz = config.desk.tz
        self._calendar = WorkCalendar(config.duty.calendar)
        self.planner: Planner | None = None
        self.outbox: Outbox  # set by the application: publishing lives there
        self._background: set[asyncio.Task] = set()
        self._last_background: asyncio.Task | None = None

    @property
    def media(self) -> MediaStore:
        """Where attachments are kept; transports put files there as soon as they arrive."""
        return self._media

    # ---- reporting --------------------------------------------------------------------------
    def today(self) -> date:
        return self._clock().astimezone(self._tz).date()

    def is_late(self, event_date: date) -> bool:
        """The order: a report is due no later than the day after the event, counted in the
        office's working calendar (bot/workdays.py: Friday's event is due on Monday)."""
        return self._calendar.is_late(event_date, self.today())

    async def submit_report(self, actor: Person, data: ReportInput) -> Submitted:
        self._require_active(actor)
        if len(data.media) > MAX_ATTACHMENTS:
            raise Invalid(f"Можно приложить не больше {MAX_ATTACHMENTS} файлов.")
        now = self._clock()
        attachments = [await self._store(m) for m in data.media]  # files first, outside the tx
        async with self._uow() as uow:
            report = await uow.reports.add(
                Report(
                    author_id=actor.id,
                    department_id=actor.department_id,
                    title=data.title.strip(),
                    event_date=data.event_date,
                    place=data.place.strip(),
                    description=data.description.strip(),
                    is_late=self.is_late(data.event_date),
                    created_at=now,
                )
            )
            post = await uow.posts.add(
                Post(
                    report_id=report.id,
                    text=self.compose(report),
                    state=PostState.draft,
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.posts.add_attachments(post.id, attachments)
            await audit(uow, now, "report.submit", actor=actor, obj=f"report:{report.id}")
            await uow.commit()
        # The report is safe once committed: the reporter hears back at once, and the editors'
        # cards (an album and a card each) go out meanwhile; /drafts shows the draft regardless.
        # What the card shows is at hand (the department's name comes with the editors' list):
        # no need to read it back.
        view = PostView(
            post=post,
            report=report,
            author=actor,
            department="",
            media=self._media_items(attachments),
            publications=[],
        )
        self._in_background(self._show_draft_to_editors(view))
        return Submitted(report.id, post.id, report.is_late)

    def _in_background(self, work: Coroutine[Any, Any, None]) -> None:
        """Run `work` after the background work before it, one at a time.

        Editors get the cards in the order the reports came, and when many reports arrive at
        once the cards queue behind each other instead of all competing with the people who
        are waiting for an answer."""
        previous = self._last_background

        async def in_turn() -> None:
            if previous is not None:
                await asyncio.gather(previous, return_exceptions=True)
            try:
                await work
            except Exception:
                log.exception("background work failed: %s", work.__qualname__)

        task = asyncio.create_task(in_turn())
        self._last_background = task
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def drain(self) -> None:
        """Let notifications already under way finish (called before shutting down)."""
        if self._background:
            await asyncio.gather(*self._background, return_exceptions=True)

    def compose(self, report: Report) -> str:
        """The first draft: what, when and where, what happened; the information policy's
        hashtags and signature are added here."""
        when = calendar_date(report.event_date, self.today())
        parts = [report.title, ", ".join(x for x in (when, report.place) if x), report.description]
        tail = " ".join(self._config.desk.hashtags)
        if self._config.desk.signature:
            tail = f"{tail}\n{self._config.desk.signature}".strip()
        return "\n\n".join(p for p in [*parts, tail] if p)

    async def _store(self, media: NewMedia) -> Attachment:
        if self._media.has(media.sha256):
            digest = media.sha256
            path = self._media.path_for(digest)
            size = path.stat().st_size
            big = size > IN_THREAD_ABOVE  # as the media store does: big files off the loop
            data = await asyncio.to_thread(path.read_bytes) if big else path.read_bytes()
        else:
            data = media.data
            digest, size = await self._media.keep(media.data), len(media.data)
        # Whatever a chat claimed, the bytes decide: a text file never goes out as a photo.
        found = checked(media.kind, data, media.filename)
        return Attachment(
            post_id=0,
            kind=found.kind,
            filename=found.filename(media.filename),
            mime_type=found.mime,
            sha256=digest,
            size=size,
            telegram_file_id=media.telegram_file_id,
        )

    # ---- deciding ---------------------------------------------------------------------------
    async def approve(self, post_id: int, actor: Person) -> Card:
        """Claim the draft; the returned card asks when to publish."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            view = await self._view(uow, post_id)
            checks = self.checks(view)
            if all(c.problems for c in checks.values()):
                problems = "\n".join(
                    f"{n.title}: {'; '.join(c.problems)}" for n, c in checks.items()
                )
                raise Invalid(f"Эту публикацию не примет ни одна сеть:\n{problems}")
            view = await self._transition(
                uow,
                post_id,
                DECIDABLE,
                "post.approve",
                actor,
                state=PostState.approved,
                decided_by=actor.id,
                decided_at=now,
            )
        await self._update_cards(post_id, decided_card(view, "Одобрено", actor, now, self._tz))
        return when_card(view.post, self._quick_times())

    async def start_edit(self, post_id: int, actor: Person) -> Card:
        self._require_editor(actor)
        async with self._uow() as uow:
            post = await self._post(uow, post_id)
            if post.state not in EDITABLE:
                raise Conflict(f"Редактировать уже нельзя: {PostState(post.state).title}.")
            return edit_prompt(post)

    async def edit_text(self, post_id: int, actor: Person, text: str) -> Card:
        text = text.strip()
        if not text:
            raise Invalid("Текст пустой. Пришлите текст публикации одним сообщением.")
        return await self._edit(post_id, actor, "post.edit_text", text=text)

    async def replace_media(self, post_id: int, actor: Person, media: Sequence[NewMedia]) -> Card:
        if len(media) > MAX_ATTACHMENTS:
            raise Invalid(f"Можно приложить не больше {MAX_ATTACHMENTS} файлов.")
        return await self._edit(post_id, actor, "post.replace_media", media=media)

    async def _edit(
        self,
        post_id: int,
        actor: Person,
        action: str,
        text: str | None = None,
        media: Sequence[NewMedia] | None = None,
    ) -> Card:
        self._require_editor(actor)
        now = self._clock()
        attachments = None if media is None else [await self._store(m) for m in media]
        async with self._uow() as uow:
            post = await self._post(uow, post_id)
            values: dict[str, object] = {"updated_at": now}
            if text is not None:
                values["text"] = text
            if not await uow.posts.move(post_id, EDITABLE, **values):
                raise Conflict(f"Редактировать уже нельзя: {PostState(post.state).title}.")
            if attachments is not None:
                await uow.posts.replace_attachments(post_id, attachments)
            await audit(uow, now, action, actor=actor, obj=f"post:{post_id}")
            await uow.commit()
            view = await self._view(uow, post_id)
        card = self.preview(view)
        if view.post.state != PostState.draft:
            card = Card(card.text + f"\n\nСостояние: {PostState(view.post.state).title}.")
        return card

    def preview(self, view: PostView) -> Card:
        return draft_card(view, self.checks(view), self._clock(), self._tz)

    async def start_reject(self, post_id: int, actor: Person) -> None:
        self._require_editor(actor)
        async with self._uow() as uow:
            post = await self._post(uow, post_id)
            if post.state not in DECIDABLE:
                raise await self._conflict(uow, post_id)

    async def reject(self, post_id: int, actor: Person, reason: str) -> Card:
        self._require_editor(actor)
        reason = reason.strip()
        if not reason:
            raise Invalid("Напишите причину — её увидит автор сообщения.")
        now = self._clock()
        async with self._uow() as uow:
            view = await self._transition(
                uow,
                post_id,
                DECIDABLE,
                "post.reject",
                actor,
                details=reason,
                state=PostState.rejected,
                decided_by=actor.id,
                decided_at=now,
                reject_reason=reason[:1000],
            )
        card = decided_card(view, "Отклонено", actor, now, self._tz)
        await self._update_cards(post_id, card)
        if view.author is not None and view.report is not None:
            await self._notifier.send(
                view.author,
                Card(
                    f"Сообщение № {view.report.id} «{view.title}» не будет опубликовано.\n"
                    f"Причина: {reason}\nРедактор: {actor.full_name}."
                ),
            )
        return card

    # ---- scheduling -------------------------------------------------------------------------
    def _quick_moment(self, label: str, now: datetime) -> datetime | None:
        """The moment a quick choice such as «сегодня 18:00» names, if it is still ahead."""
        moment = parse_when(label, now, self._tz)
        return moment if moment is not None and moment > now else None

    def _quick_times(self) -> list[tuple[str, str]]:
        now = self._clock()
        return [
            (label[:1].upper() + label[1:], f"q{index}")
            for index, label in enumerate(self._config.publish.quick_times)
            if self._quick_moment(label, now) is not None
        ]

    def resolve_when(self, arg: str) -> datetime:
        now = self._clock()
        if arg == "now":
            return now
        quick = self._config.publish.quick_times
        if arg.startswith("q") and arg[1:].isdigit() and int(arg[1:]) < len(quick):
            moment = self._quick_moment(quick[int(arg[1:])], now)
            if moment is not None:
                return moment
        raise Invalid("Это время уже прошло. Выберите другое.")

    def parse_time(self, text: str) -> datetime:
        moment = parse_when(text, self._clock(), self._tz)
        if moment is None:
            raise Invalid(
                "Не понял время. Напишите, например: «завтра 10:30», «25.11 14:00» или «18:00»."
            )
        if moment <= self._clock():
            when = human_when(moment, self._clock(), self._tz)
            raise Invalid(f"Это время уже прошло ({when}). Напишите время в будущем.")
        return moment

    async def set_time(self, post_id: int, actor: Person, when: datetime) -> Card:
        """Time chosen; publication rows default to every network that accepts the post."""
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            view = await self._view(uow, post_id)
            if not await uow.posts.move(
                post_id, (PostState.approved,), scheduled_at=when, updated_at=now
            ):
                raise await self._conflict(uow, post_id)
            checks = self.checks(view)  # text and media only: the same after the move
            if not view.publications:
                for network, check in checks.items():
                    if not check.problems:
                        await uow.publications.add(self._new_publication(post_id, network, now))
            await uow.commit()
            view = await self._view(uow, post_id)
        return where_card(view, checks, now, self._tz)

    async def toggle_network(self, post_id: int, actor: Person, network: str) -> Card:
        self._require_editor(actor)
        try:
            target = Network(network)
        except ValueError:
            raise Invalid("Такой сети нет в настройках.") from None
        now = self._clock()
        async with self._uow() as uow:
            view = await self._view(uow, post_id)
            if view.post.state != PostState.approved:
                raise await self._conflict(uow, post_id)
            checks = self.checks(view)
            if target not in checks:
                raise Invalid(f"{target.title} не подключена в настройках.")
            existing = next((p for p in view.publications if p.network == target), None)
            if existing is not None:
                await uow.publications.remove(existing)
            elif checks[target].problems:
                raise Invalid(f"{target.title}: {'; '.join(checks[target].problems)}")
            else:
                await uow.publications.add(self._new_publication(post_id, target, now))
            await uow.commit()
            view = await self._view(uow, post_id)
        return where_card(view, checks, now, self._tz)

    async def confirm(self, post_id: int, actor: Person) -> Card:
        self._require_editor(actor)
        now = self._clock()
        async with self._uow() as uow:
            view = await self._view(uow, post_id)
            if not view.publications:
                raise Invalid("Выберите хотя бы одну сеть.")
            if view.post.scheduled_at is None:
                raise Invalid("Сначала выберите время.")
            when = max(view.post.scheduled_at, now)
            if not await uow.posts.move(
                post_id,
                (PostState.approved,),
                state=PostState.scheduled,
                scheduled_at=when,
                updated_at=now,
            ):
                raise await self._conflict(uow, post_id)
            await self.outbox.schedule(uow, post_id, when, now)
            await audit(
                uow,
                now,
                "post.schedule",
                actor=actor,
                obj=f"post:{post_id}",
                details=when.isoformat(),
            )
            await uow.commit()
            view = await self._view(uow, post_id)
        self._plan(post_id, when)
        await self._update_cards(post_id, status_card(view, now, self._tz))
        return scheduled_card(view, now, self._tz)

    async def reschedule(self, post_id: int, actor: Person) -> Card:
        """Back from scheduled to approved (the timer stops), then ask the time again."""
        self._require_editor(actor)
        async with self._uow() as uow:
            await self.outbox.unschedule(uow, post_id, self._clock())
            view = await self._transition(
                uow,
                post_id,
                (PostState.scheduled, PostState.approved),
                "post.reschedule",
                actor,
                state=PostState.approved,
            )
        self._unplan(post_id)
        await self._update_cards(post_id, status_card(view, self._clock(), self._tz))
        return when_card(view.post, self._quick_times())

    async def cancel(self, post_id: int, actor: Person) -> Card:
        """The publication is called off; the post goes back to the drafts, and its author hears.

        What already went out stays recorded; the networks not yet posted to are dropped, so a
        later approval chooses them afresh."""
        self._require_editor(actor)
        cancellable = (PostState.scheduled, PostState.approved, PostState.failed)
        now = self._clock()
        async with self._uow() as uow:
            await self.outbox.unschedule(uow, post_id, now)  # refused while one is on its way
            reset = {"scheduled_at": None, "decided_by": None, "decided_at": None}
            if not await uow.posts.move(
                post_id, cancellable, state=PostState.draft, updated_at=now, **reset
            ):
                raise await self._conflict(uow, post_id)
            for publication in await uow.publications.for_post(post_id):
                if publication.state != PublicationState.published:
                    await uow.publications.remove(publication)
            await audit(uow, now, "post.cancel", actor=actor, obj=f"post:{post_id}")
            await uow.commit()
            view = await self._view(uow, post_id)
        self._unplan(post_id)
        await self._update_cards(post_id, status_card(view, now, self._tz))
        if view.author is not None and view.author.id != actor.id:
            await self._notifier.send(view.author, cancelled_for_author(view, actor))
        card = self.preview(view)
        return replace(card, text=f"{cancelled_for_editor(view)}\n\n{card.text}")

    async def retry(self, post_id: int, actor: Person, network: str = "") -> Card:
        """«Повторить» on a failure: that network (or every failed one) goes out again."""
        return await self.outbox.retry(post_id, actor, network)

    async def ask_schedule(self, post_id: int, actor: Person) -> Card:
        self._require_editor(actor)
        async with self._uow() as uow:
            post = await self._post(uow, post_id)
            if post.state != PostState.approved:
                raise await self._conflict(uow, post_id)
        return when_card(post, self._quick_times())

    # ---- lists --------------------------------------------------------------------------------
    async def drafts(self, actor: Person) -> list[Card]:
        self._require_editor(actor)
        async with self._uow() as uow:
            posts = await uow.posts.in_states([PostState.draft, PostState.approved])
            views = [await self._view(uow, p.id) for p in posts]
        cards = []
        for view in views:
            if view.post.state == PostState.draft:
                card = self.preview(view)
            else:
                card = approved_waiting_card(view)
            cards.append(card)
        return cards

    async def queue(self, actor: Person) -> list[Card]:
        self._require_editor(actor)
        async with self._uow() as uow:
            posts = await uow.posts.in_states(
                [PostState.scheduled, PostState.publishing, PostState.failed]
            )
            views = [await self._view(uow, p.id) for p in posts]
        now = self._clock()
        return [queue_line(view, now, self._tz) for view in views]

    async def remember_card(self, post_id: int, ref: CardRef) -> None:
        async with self._uow() as uow:
            await uow.cards.add("post", post_id, ref.chat, ref.message_id)
            await uow.commit()

    async def view(self, post_id: int) -> PostView:
        async with self._uow() as uow:
            return await self._view(uow, post_id)

    # ---- checks -------------------------------------------------------------------------------
    def checks(self, view: PostView) -> dict[Network, Check]:
        outgoing = OutgoingPost.of(view.post.id, view.content)
        return {network: p.check(outgoing) for network, p in self._publishers.items()}

    # ---- helpers ------------------------------------------------------------------------------
    def _plan(self, post_id: int, when: datetime) -> None:
        if self.planner is not None:
            self.planner.plan(post_id, when)

    def _unplan(self, post_id: int) -> None:
        if self.planner is not None:
            self.planner.unplan(post_id)

    @staticmethod
    def _require_active(actor: Person) -> None:
        if not actor.active:
            raise Denied("Ваш доступ к боту закрыт. Обратитесь к администратору.")

    def _require_editor(self, actor: Person) -> None:
        self._require_active(actor)
        if not Role(actor.role).can_edit():
            raise Denied("Это могут делать только редакторы пресс-службы.")

    @staticmethod
    def _new_publication(post_id: int, network: Network, now: datetime) -> Publication:
        return Publication(
            post_id=post_id, network=network, state=PublicationState.pending, updated_at=now
        )

    async def _transition(
        self,
        uow: UnitOfWork,
        post_id: int,
        from_states: Sequence[PostState],
        action: str,
        actor: Person,
        details: str = "",
        **values: object,
    ) -> PostView:
        """Move the post (one winner), write the audit line, commit, and return it as it is now."""
        now = self._clock()
        if not await uow.posts.move(post_id, from_states, updated_at=now, **values):
            raise await self._conflict(uow, post_id)
        await audit(uow, now, action, actor=actor, obj=f"post:{post_id}", details=details)
        await uow.commit()
        return await self._view(uow, post_id)

    async def _post(self, uow: UnitOfWork, post_id: int) -> Post:
        return await get_post(uow, post_id)

    async def _conflict(self, uow: UnitOfWork, post_id: int) -> Exception:
        post = await uow.posts.get(post_id)
        if post is None:
            return NotFound("Этого черновика больше нет.")
        await uow.session.refresh(post)
        who = await uow.people.get(post.decided_by) if post.decided_by else None
        verbs = {
            PostState.approved: "Уже одобрено",
            PostState.scheduled: "Уже запланировано",
            PostState.rejected: "Уже отклонено",
            PostState.published: "Уже опубликовано",
            PostState.publishing: "Уже публикуется",
            PostState.cancelled: "Публикация уже отменена",
            PostState.failed: "Публикация не удалась",
            PostState.draft: "Черновик ещё не одобрен",
        }
        verb = verbs[PostState(post.state)]
        suffix = (
            f" ({short_name(who)})"
            if who and post.state in ("approved", "rejected", "scheduled")
            else ""
        )
        return Conflict(f"{verb}{suffix}.")

    async def _view(self, uow: UnitOfWork, post_id: int) -> PostView:
        return await load_view(uow, self._media, post_id)

    def _media_items(self, attachments: Sequence[Attachment]) -> tuple[MediaItem, ...]:
        return media_items(self._media, attachments)

    async def _editors(self) -> list[Person]:
        async with self._uow() as uow:
            return await uow.people.editors()

    async def _show_draft_to_editors(self, view: PostView) -> None:
        post_id = view.post.id
        async with self._uow() as uow:
            editors = await uow.people.editors()
            if view.report is not None:
                department = await uow.departments.get(view.report.department_id)
                view = replace(view, department=department.name if department else "")
        card = replace(self.preview(view), media=view.media)
        for editor in editors:
            ref = await self._notifier.send(editor, card)
            if ref is not None:
                await self.remember_card(post_id, ref)

    async def _update_cards(self, post_id: int, card: Card) -> None:
        async with self._uow() as uow:
            refs = await uow.cards.of("post", post_id)
        for ref in refs:
            await self._notifier.edit(CardRef(ref.chat, ref.message_id), card)
