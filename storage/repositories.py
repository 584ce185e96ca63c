"""Repositories: queries over one session. They never commit; the unit of work does."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import exists, update
from sqlmodel import col, func, select
from sqlmodel.ext.asyncio.session import AsyncSession

from storage.audit import chain
from storage.formats import Broadcast, Contest, PostPoll
from storage.models import (
    Attachment,
    AuditLog,
    CardMessage,
    Comment,
    Department,
    Invite,
    ModerationExample,
    Person,
    Post,
    PostText,
    Publication,
    Report,
    VKInboxCursor,
)


class Repository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session


class People(Repository):
    async def get(self, person_id: int) -> Person | None:
        return await self.session.get(Person, person_id)

    async def by_telegram(self, telegram_id: int) -> Person | None:
        result = await self.session.exec(select(Person).where(Person.telegram_id == telegram_id))
        return result.first()

    async def by_vk(self, vk_id: int) -> Person | None:
        return (await self.session.exec(select(Person).where(Person.vk_id == vk_id))).first()

    async def with_roles(self, roles: Sequence[str]) -> list[Person]:
        query = select(Person).where(col(Person.role).in_(roles), Person.active == True)  # noqa: E712
        return list((await self.session.exec(query.order_by(Person.id))).all())

    async def editors(self) -> list[Person]:
        """Who decides: active editors and admins."""
        return await self.with_roles(["editor", "admin"])

    async def add(self, person: Person) -> Person:
        self.session.add(person)
        await self.session.flush()
        return person


class Departments(Repository):
    async def all(self) -> list[Department]:
        return list((await self.session.exec(select(Department).order_by(Department.name))).all())

    async def get(self, department_id: int | None) -> Department | None:
        if department_id is None:
            return None
        return await self.session.get(Department, department_id)

    async def get_or_create(self, name: str) -> Department:
        found = (await self.session.exec(select(Department).where(Department.name == name))).first()
        if found:
            return found
        department = Department(name=name)
        self.session.add(department)
        await self.session.flush()
        return department


class Invites(Repository):
    async def add(self, invite: Invite) -> None:
        self.session.add(invite)
        await self.session.flush()

    async def claim(self, code: str, person_id: int, now: datetime) -> bool:
        """Mark an invite used; False when it was used or expired meanwhile (one winner)."""
        result = await self.session.exec(
            update(Invite)
            .where(Invite.code == code, col(Invite.used_by).is_(None), Invite.expires_at > now)
            .values(used_by=person_id, used_at=now)
        )
        return result.rowcount == 1

    async def get(self, code: str) -> Invite | None:
        return await self.session.get(Invite, code)


class Reports(Repository):
    async def add(self, report: Report) -> Report:
        self.session.add(report)
        await self.session.flush()
        return report

    async def get(self, report_id: int | None) -> Report | None:
        if report_id is None:
            return None
        return await self.session.get(Report, report_id)

    async def late_since(self, since: datetime) -> list[tuple[Report, str]]:
        """Reports that came later than the order allows, with their department's name."""
        query = (
            select(Report, Department.name)
            .join(Department, Department.id == Report.department_id, isouter=True)
            .where(Report.is_late == True, Report.created_at >= since)  # noqa: E712
            .order_by(col(Report.id))
        )
        return [(report, name or "") for report, name in (await self.session.exec(query)).all()]


class Posts(Repository):
    async def add(self, post: Post) -> Post:
        self.session.add(post)
        await self.session.flush()
        return post

    async def get(self, post_id: int) -> Post | None:
        return await self.session.get(Post, post_id)

    async def with_parts(self, post_id: int) -> tuple[Post, frozenset[str]] | None:
        """The post and which of its parts it has (`PARTS`), in one query: a bare post then
        costs no query per part it does not have (a view is read for every publication)."""
        has = {
            name: exists().where(column == Post.id).label(name)
            for name, column in (
                ("media", Attachment.post_id),
                ("texts", PostText.post_id),
                ("poll", PostPoll.post_id),
                ("broadcast", Broadcast.post_id),
                ("contest", Contest.post_id),
            )
        }
        query = select(Post, *has.values()).where(Post.id == post_id)
        row = (await self.session.exec(query)).first()
        if row is None:
            return None
        post, *flags = row
        return post, frozenset(name for name, flag in zip(has, flags, strict=True) if flag)

    async def move(
        self, post_id: int, from_states: Sequence[str], refresh: bool = True, **values: object
    ) -> bool:
        """Compare-and-set on the state: of two editors pressing at once, exactly one wins.
        `refresh`: the session's copy of the post read again (False: nobody reads it after)."""
        result = await self.session.exec(
            update(Post)
            .where(Post.id == post_id, col(Post.state).in_(from_states))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1 and refresh:
            post = await self.session.get(Post, post_id)
            if post is not None:
                await self.session.refresh(post)
        return result.rowcount == 1

    async def lock(self, post_id: int) -> None:
        """Holds the post's row until commit, so that its networks' outcomes settle one at a time.

        A no-op write: a row lock on PostgreSQL, the write lock on SQLite. Without it two networks
        finishing at once on PostgreSQL each see the other still sending and neither settles."""
        await self.session.exec(
            update(Post)
            .where(Post.id == post_id)
            .values(id=Post.id)
            .execution_options(synchronize_session=False)
        )

    async def in_states(self, states: Sequence[str]) -> list[Post]:
        query = select(Post).where(col(Post.state).in_(states))
        query = query.order_by(col(Post.scheduled_at).asc(), col(Post.id).asc())
        return list((await self.session.exec(query)).all())

    async def attachments(self, post_id: int) -> list[Attachment]:
        query = select(Attachment).where(Attachment.post_id == post_id)
        return list((await self.session.exec(query.order_by(Attachment.position))).all())

    async def replace_attachments(self, post_id: int, items: Sequence[Attachment]) -> None:
        for old in await self.attachments(post_id):
            await self.session.delete(old)
        await self.session.flush()
        await self.add_attachments(post_id, items)

    async def add_attachments(self, post_id: int, items: Sequence[Attachment]) -> None:
        """Attachments of a post that has none yet, in the given order (written at commit)."""
        for position, item in enumerate(items):
            item.post_id, item.position = post_id, position
            self.session.add(item)


class PostTexts(Repository):
    """The per-network texts of posts (storage.models.PostText)."""

    async def of(self, post_id: int) -> dict[str, PostText]:
        query = select(PostText).where(PostText.post_id == post_id)
        return {t.network: t for t in (await self.session.exec(query)).all()}

    async def put(self, post_id: int, network: str, text: str, source: str, now: datetime) -> None:
        row = (await self.of(post_id)).get(network)
        if row is None:
            row = PostText(post_id=post_id, network=network, text=text, source=source)
        row.text, row.source, row.updated_at = text, source, now
        self.session.add(row)
        await self.session.flush()

    async def drop(
        self, post_id: int, network: str | None = None, source: str | None = None
    ) -> int:
        """Remove the post's texts (one network's, or those of one source); how many."""
        rows = [
            row
            for row in (await self.of(post_id)).values()
            if network in ("", row.network) and source in ("", row.source)
        ]
        for row in rows:
            await self.session.delete(row)
        await self.session.flush()
        return len(rows)


class Publications(Repository):
    async def for_post(self, post_id: int) -> list[Publication]:
        query = select(Publication).where(Publication.post_id == post_id)
        return list((await self.session.exec(query.order_by(Publication.id))).all())

    async def add(self, publication: Publication) -> None:
        self.session.add(publication)
        await self.session.flush()

    async def remove(self, publication: Publication) -> None:
        await self.session.delete(publication)
        await self.session.flush()

    async def published_refs(self, network: str, since: datetime, limit: int) -> list[str]:
        """External ids of our posts published on a network since `since`, newest first."""
        query = (
            select(Publication.external_id)
            .where(
                Publication.network == network,
                Publication.state == "published",
                Publication.updated_at >= since,
                col(Publication.external_id).is_not(None),
            )
            .order_by(col(Publication.updated_at).desc())
            .limit(limit)
        )
        return [ref for ref in (await self.session.exec(query)).all() if ref]


class Cards(Repository):
    async def add(self, kind: str, object_id: int, chat: str, message_id: int) -> None:
        """Remember a card once, however often its message is shown again."""
        known = select(CardMessage.id).where(
            CardMessage.kind == kind,
            CardMessage.object_id == object_id,
            CardMessage.chat == chat,
            CardMessage.message_id == message_id,
        )
        if (await self.session.exec(known)).first() is not None:
            return
        self.session.add(
            CardMessage(kind=kind, object_id=object_id, chat=chat, message_id=message_id)
        )
        await self.session.flush()

    async def of(self, kind: str, object_id: int) -> list[CardMessage]:
        query = select(CardMessage).where(
            CardMessage.kind == kind, CardMessage.object_id == object_id
        )
        return list((await self.session.exec(query)).all())


class Audit(Repository):
    async def write(self, entry: AuditLog) -> None:
        """Chained to the previous line (storage/audit.py); written with the rest at commit."""
        await chain(self.session, entry)

    async def last(self, limit: int = 50) -> list[AuditLog]:
        query = select(AuditLog).order_by(col(AuditLog.id).desc()).limit(limit)
        return list((await self.session.exec(query)).all())

    async def has(self, action: str, obj: str, details: str) -> bool:
        """Whether this very line was written already (e.g. a message added to a ticket)."""
        query = select(AuditLog.id).where(
            AuditLog.action == action, AuditLog.object_ref == obj, AuditLog.details == details
        )
        return (await self.session.exec(query.limit(1))).first() is not None

    async def mentions(self, action: str, details: str, since: datetime) -> bool:
        """Whether a line of `action` with these details was written since `since`, on any
        object (e.g. a message joined to whichever ticket)."""
        query = select(AuditLog.id).where(
            AuditLog.action == action, AuditLog.at >= since, AuditLog.details == details
        )
        return (await self.session.exec(query.limit(1))).first() is not None


class Comments(Repository):
    async def get(self, comment_id: int) -> Comment | None:
        return await self.session.get(Comment, comment_id)

    async def by_external(self, network: str, external_id: str) -> Comment | None:
        query = select(Comment).where(
            Comment.network == network, Comment.external_id == external_id
        )
        return (await self.session.exec(query)).first()

    async def known(self, network: str, external_ids: Sequence[str]) -> set[str]:
        """Which of these ids are stored already (one query per batch, for the catch-up)."""
        found: set[str] = set()
        ids = list(external_ids)
        for start in range(0, len(ids), 500):  # SQLite allows a limited number of parameters
            query = select(Comment.external_id).where(
                Comment.network == network, col(Comment.external_id).in_(ids[start : start + 500])
            )
            found.update((await self.session.exec(query)).all())
        return found

    async def add(self, comment: Comment) -> Comment:
        self.session.add(comment)
        await self.session.flush()
        return comment

    async def move(self, comment_id: int, from_states: Sequence[str], **values: object) -> bool:
        """Compare-and-set on the state: of two editors pressing at once, exactly one wins."""
        result = await self.session.exec(
            update(Comment)
            .where(Comment.id == comment_id, col(Comment.state).in_(from_states))
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            comment = await self.session.get(Comment, comment_id)
            if comment is not None:
                await self.session.refresh(comment)
        return result.rowcount == 1

    async def in_states(self, states: Sequence[str]) -> list[Comment]:
        query = select(Comment).where(col(Comment.state).in_(states))
        return list((await self.session.exec(query.order_by(col(Comment.written_at)))).all())

    async def to_raise_again(self, written_before: datetime, now: datetime) -> list[Comment]:
        """Waiting comments past the warning age that the network will soon refuse to delete."""
        query = select(Comment).where(
            Comment.state == "flagged",
            col(Comment.raised_again_at).is_(None),
            col(Comment.deletable_until).is_not(None),
            Comment.written_at <= written_before,
            col(Comment.deletable_until) > now,
        )
        return list((await self.session.exec(query.order_by(col(Comment.written_at)))).all())

    async def past_deadline(self, now: datetime) -> list[Comment]:
        """Waiting comments the network no longer lets the bot delete."""
        query = select(Comment).where(
            Comment.state == "flagged",
            col(Comment.deletable_until).is_not(None),
            col(Comment.deletable_until) <= now,
        )
        return list((await self.session.exec(query.order_by(col(Comment.written_at)))).all())

    async def count(self) -> int:
        return (await self.session.exec(select(func.count()).select_from(Comment))).one()

    async def post_title(self, network: str, post_ref: str) -> str:
        """The first line of our post published there, for «под публикацией «…»»."""
        if not post_ref:
            return ""
        query = (
            select(Post.text)
            .join(Publication, Publication.post_id == Post.id)
            .where(Publication.network == network, Publication.external_id == post_ref)
        )
        text = (await self.session.exec(query)).first()
        return (text or "").strip().split("\n", 1)[0][:500]  # cards shorten it by whole words


class Examples(Repository):
    async def add(self, example: ModerationExample) -> None:
        self.session.add(example)
        await self.session.flush()

    async def all(self) -> list[ModerationExample]:
        query = select(ModerationExample).order_by(col(ModerationExample.id))
        return list((await self.session.exec(query)).all())


class VKInbox(Repository):
    async def last_cmid(self, group_id: int, peer_id: int) -> int:
        cursor = await self.session.get(VKInboxCursor, (group_id, peer_id))
        return cursor.last_cmid if cursor is not None else 0

    async def advance(self, group_id: int, peer_id: int, cmid: int, now: datetime) -> None:
        """Move the dialogue's cursor forward to `cmid` (never back)."""
        cursor = await self.session.get(VKInboxCursor, (group_id, peer_id))
        if cursor is None:
            self.session.add(
                VKInboxCursor(group_id=group_id, peer_id=peer_id, last_cmid=cmid, updated_at=now)
            )
        elif cmid > cursor.last_cmid:
            cursor.last_cmid, cursor.updated_at = cmid, now
            self.session.add(cursor)
        await self.session.flush()
