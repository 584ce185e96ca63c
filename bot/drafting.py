"""Drafts: a report comes in and becomes a draft (its files checked by their bytes and kept),
the editors get its card; an editor replaces the draft's text or files."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from bot.cards import PostView, edit_prompt
from bot.dates import calendar_date
from bot.desk_core import CARD_KIND, EDITABLE, MAX_ATTACHMENTS, DeskCore
from bot.domain import MediaKind, PostState
from bot.errors import Conflict, Invalid
from bot.filetypes import checked
from bot.media import IN_THREAD_ABOVE
from bot.people import audit
from bot.ports import Card
from bot.views import media_items
from bot.workdays import WorkCalendar
from storage.models import Attachment, Person, Post, Report


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


class Drafting:
    def __init__(self, core: DeskCore) -> None:
        self._core = core
        self._calendar = WorkCalendar(core.config.duty.calendar)

    # ---- reporting --------------------------------------------------------------------------
    def today(self) -> date:
        return self._core.clock().astimezone(self._core.tz).date()

    def is_late(self, event_date: date) -> bool:
        """The order: a report is due no later than the day after the event, counted in the
        office's working calendar (bot/workdays.py: Friday's event is due on Monday)."""
        return self._calendar.is_late(event_date, self.today())

    async def submit_report(self, actor: Person, data: ReportInput) -> Submitted:
        core = self._core
        core.require_active(actor)
        if len(data.media) > MAX_ATTACHMENTS:
            raise Invalid(f"Можно приложить не больше {MAX_ATTACHMENTS} файлов.")
        now = core.clock()
        attachments = [await self._store(m) for m in data.media]  # files first, outside the tx
        async with core.uow() as uow:
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
            media=media_items(core.media, attachments),
            publications=[],
        )
        core.in_background(self._show_draft_to_editors(view))
        return Submitted(report.id, post.id, report.is_late)

    def compose(self, report: Report) -> str:
        """The first draft: what, when and where, what happened. The information policy's
        hashtags and signature are not part of it: each network gets them at publication, in
        its house style (bot/style.py), whatever the text becomes."""
        when = calendar_date(report.event_date, self.today())
        parts = [report.title, ", ".join(x for x in (when, report.place) if x), report.description]
        return "\n\n".join(p for p in parts if p)

    async def _store(self, media: NewMedia) -> Attachment:
        store = self._core.media
        if store.has(media.sha256):
            digest = media.sha256
            path = store.path_for(digest)
            size = path.stat().st_size
            big = size > IN_THREAD_ABOVE  # as the media store does: big files off the loop
            data = await asyncio.to_thread(path.read_bytes) if big else path.read_bytes()
        else:
            data = media.data
            digest, size = await store.keep(media.data), len(media.data)
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

    async def show_draft(self, post_id: int) -> None:
        """A draft the desk wrote itself (a contest's results) reaches the editors' chats."""
        async with self._core.uow() as uow:
            view = await self._core.view(uow, post_id)
        await self._show_draft_to_editors(view)

    async def _show_draft_to_editors(self, view: PostView) -> None:
        core = self._core
        post_id = view.post.id
        if view.report is not None:
            async with core.uow() as uow:
                department = await uow.departments.get(view.report.department_id)
            view = replace(view, department=department.name if department else "")
        await core.board.show(CARD_KIND, post_id, core.preview(view))

    # ---- editing ------------------------------------------------------------------------------
    async def start_edit(self, post_id: int, actor: Person) -> Card:
        self._core.require_editor(actor)
        async with self._core.uow() as uow:
            post = await self._core.post(uow, post_id)
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
        core = self._core
        core.require_editor(actor)
        now = core.clock()
        attachments = None if media is None else [await self._store(m) for m in media]
        async with core.uow() as uow:
            post = await core.post(uow, post_id)
            values: dict[str, object] = {"updated_at": now}
            if text is not None:
                values["text"] = text
            if not await uow.posts.move(post_id, EDITABLE, **values):
                raise Conflict(f"Редактировать уже нельзя: {PostState(post.state).title}.")
            if attachments is not None:
                await uow.posts.replace_attachments(post_id, attachments)
            if text is not None:  # an accepted cut of the old text no longer fits: proposed anew
                await uow.post_texts.drop(post_id, source="adapted")
            await audit(uow, now, action, actor=actor, obj=f"post:{post_id}")
            await uow.commit()
            view = await core.view(uow, post_id)
        card = core.preview(view)  # with the draft's files, which VK's card shows
        if view.post.state != PostState.draft:
            text = card.text + f"\n\nСостояние: {PostState(view.post.state).title}."
            card = Card(text, media=view.media)
        return card
