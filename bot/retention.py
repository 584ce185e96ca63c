"""Citizens' personal data kept only as long as configured (152-FZ): comments with their authors'
names, ids and links, the training texts taken from the editors' decisions, strangers' ids in the
audit log's refusal lines, and media files. A daily job anonymises or deletes what is older than
its term and leaves the counts (the rows stay, blanked, so the monthly figures still add up);
an admin erases one citizen's data on request with /forget <link>.

Audit lines are anonymised through storage.audit.anonymise, which keeps the hash chain whole:
the chain covers a salted digest of a line's personal part, not the part itself.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, or_, update
from sqlmodel import col, select

from bot.domain import Network, PostState, Role
from bot.errors import Denied, Invalid, NotFound
from bot.media import MediaStore
from bot.people import audit
from bot.ports import CommentModerator
from storage.audit import anonymise
from storage.models import Attachment, AuditLog, Comment, ModerationExample, Person, Post
from storage.uow import UnitOfWork

# Refusal lines name a stranger by their chat id ("tg:5555"); a citizen never is a person here.
STRANGER_ACTIONS = ("access.refused", "invite.refused", "callback.invalid", "access.denied")
BLANK = {
    "text": "",
    "author_id": 0,
    "author_name": "",
    "author_url": "",
    "url": "",
    "marked": "",
    "reasons": "",
}
# The chat whose user ids are a network's comment authors' ids (bot.people.Account kinds).
CHAT_OF = {Network.vk: "vk", Network.telegram: "tg"}
DONE_POSTS = (PostState.published, PostState.rejected, PostState.cancelled, PostState.failed)


@dataclass(frozen=True)
class Purged:
    comments: int = 0
    examples: int = 0
    audit_lines: int = 0
    files: int = 0
    tickets: int = 0

    def __str__(self) -> str:
        return (
            f"комментариев: {self.comments}, обучающих текстов: {self.examples}, "
            f"строк журнала: {self.audit_lines}, файлов: {self.files}, обращений: {self.tickets}"
        )


class Retention:
    def __init__(
        self,
        uow: Callable[[], UnitOfWork],
        settings: object,  # bot.config.RetentionSettings
        media: MediaStore,
        moderators: Callable[[], Mapping[Network, CommentModerator]],
        clock: Callable[[], datetime],
    ) -> None:
        self._uow = uow
        self._settings = settings
        self._media = media
        self._moderators = moderators
        self._clock = clock
        # Citizens' tickets (bot/replies/followups.py): blanks those older than N days.
        self.tickets: Callable[[int], Awaitable[int]] | None = None

    async def purge(self) -> Purged:
        """The daily job: everything past its term, anonymised or deleted; counts kept."""
        s, now = self._settings, self._clock()
        comments = examples = lines = files = tickets = 0
        if self.tickets is not None and s.tickets_days:  # type: ignore[attr-defined]
            tickets = await self.tickets(s.tickets_days)  # type: ignore[attr-defined]
        async with self._uow() as uow:
            if s.comments_days:  # type: ignore[attr-defined]
                before = now - timedelta(days=s.comments_days)  # type: ignore[attr-defined]
                decided = or_(
                    col(Comment.decided_at) < before,
                    (col(Comment.decided_at).is_(None)) & (Comment.written_at < before),
                )
                result = await uow.session.exec(
                    update(Comment)
                    .where(decided, or_(Comment.text != "", Comment.author_id != 0))
                    .values(**BLANK)
                )
                comments = result.rowcount or 0
            if s.examples_days:  # type: ignore[attr-defined]
                before = now - timedelta(days=s.examples_days)  # type: ignore[attr-defined]
                result = await uow.session.exec(
                    delete(ModerationExample).where(
                        col(ModerationExample.comment_id).is_not(None),
                        ModerationExample.created_at < before,
                    )
                )
                examples = result.rowcount or 0
            if s.audit_days:  # type: ignore[attr-defined]
                before = now - timedelta(days=s.audit_days)  # type: ignore[attr-defined]
                query = select(AuditLog).where(
                    col(AuditLog.actor_id).is_(None),
                    col(AuditLog.action).in_(STRANGER_ACTIONS),
                    AuditLog.at < before,
                    col(AuditLog.redacted_at).is_(None),
                )
                for line in (await uow.session.exec(query)).all():
                    lines += anonymise(line, now)
                    uow.session.add(line)
            if s.media_days:  # type: ignore[attr-defined]
                files = await self._purge_media(uow, now - timedelta(days=s.media_days))  # type: ignore[attr-defined]
            purged = Purged(comments, examples, lines, files, tickets)
            await audit(uow, now, "retention.purge", details=str(purged))
            await uow.commit()
        return purged

    async def _purge_media(self, uow: UnitOfWork, before: datetime) -> int:
        query = (
            select(Attachment.sha256)
            .join(Post, col(Post.id) == Attachment.post_id)
            .where(col(Post.state).in_(DONE_POSTS), Post.updated_at < before)
        )
        old = set((await uow.session.exec(query)).all())
        recent = (
            select(Attachment.sha256)
            .join(Post, col(Post.id) == Attachment.post_id)
            .where(~(col(Post.state).in_(DONE_POSTS) & (Post.updated_at < before)))
        )
        keep = set((await uow.session.exec(recent)).all())
        removed = 0
        for sha in old - keep:
            path = self._media.path_for(sha)
            if path.exists():
                path.unlink()
                removed += 1
        return removed

    async def forget(self, actor: Person, link: str) -> Purged:
        """Erase one citizen's data: every comment of the author the link points to (on that
        network), the training texts from them, and their id in refusal lines. Audited."""
        if actor.role != Role.admin or not actor.active:
            raise Denied("Стирать данные жителей может только администратор.")
        link = link.strip()
        found = None
        for network, moderator in self._moderators().items():
            external_id = moderator.parse_link(link)
            if external_id is not None:
                found = (network, external_id)
                break
        if found is None:
            raise Invalid(
                "Пришлите ссылку на комментарий жителя, например /forget "
                "https://vk.com/wall-100001_5?reply=7 — по ней я найду автора."
            )
        network, external_id = found
        now = self._clock()
        async with self._uow() as uow:
            comment = await uow.comments.by_external(str(network), external_id)
            if comment is None or not comment.author_id:
                raise NotFound("Такого комментария нет, или его данные уже стёрты.")
            author = comment.author_id
            query = select(Comment.id).where(
                Comment.network == str(network), Comment.author_id == author
            )
            ids = list((await uow.session.exec(query)).all())
            await uow.session.exec(update(Comment).where(col(Comment.id).in_(ids)).values(**BLANK))
            result = await uow.session.exec(
                delete(ModerationExample).where(col(ModerationExample.comment_id).in_(ids))
            )
            examples = result.rowcount or 0
            prefix = CHAT_OF.get(network)
            lines = 0
            if prefix:
                refs = select(AuditLog).where(AuditLog.actor_ref == f"{prefix}:{author}")
                for line in (await uow.session.exec(refs)).all():
                    lines += anonymise(line, now)
                    uow.session.add(line)
            purged = Purged(len(ids), examples, lines, 0)
            await audit(uow, now, "citizen.forget", actor=actor, details=str(purged))
            await uow.commit()
        return purged
