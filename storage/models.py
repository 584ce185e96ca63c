"""SQLModel tables. Datetimes are timezone-aware UTC (SQLModel's UTCDateTime keeps them so)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Column, Index, LargeBinary, UniqueConstraint, false
from sqlmodel import Field, SQLModel


class Department(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(unique=True, max_length=200)


class Person(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    full_name: str = Field(max_length=200)
    role: str = Field(max_length=20)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    telegram_id: int | None = Field(default=None, unique=True, index=True, sa_type=BigInteger)
    vk_id: int | None = Field(default=None, unique=True, index=True, sa_type=BigInteger)
    active: bool = True
    created_at: datetime


class Invite(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    role: str = Field(max_length=20)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    created_by: int = Field(foreign_key="person.id")
    created_at: datetime
    expires_at: datetime
    used_by: int | None = Field(default=None, foreign_key="person.id")
    used_at: datetime | None = None


class Report(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    author_id: int = Field(foreign_key="person.id", index=True)
    department_id: int | None = Field(default=None, foreign_key="department.id")
    title: str = Field(max_length=500)
    event_date: date
    place: str = Field(max_length=500)
    description: str
    is_late: bool = False
    created_at: datetime


class Post(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    report_id: int | None = Field(default=None, foreign_key="report.id", index=True)
    text: str
    state: str = Field(max_length=20, index=True)
    scheduled_at: datetime | None = Field(default=None, index=True)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    reject_reason: str | None = None
    created_at: datetime
    updated_at: datetime


class Attachment(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    position: int = 0
    kind: str = Field(max_length=20)
    filename: str = Field(max_length=255)
    mime_type: str = Field(max_length=100)
    sha256: str = Field(max_length=64)
    size: int
    telegram_file_id: str | None = Field(default=None, max_length=255)


class PostText(SQLModel, table=True):
    """A post's own text for one network («Текст для ВКонтакте»), instead of the post's text.
    `source`: "editor" (typed by an editor: kept when the post's text changes) or "adapted" (a
    proposed adaptation accepted: dropped when the post's text changes, proposed afresh)."""

    __tablename__ = "post_text"
    __table_args__ = (UniqueConstraint("post_id", "network"),)
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    network: str = Field(max_length=20)
    text: str
    source: str = Field(default="editor", max_length=20)
    updated_at: datetime


class Publication(SQLModel, table=True):
    __table_args__ = (
        UniqueConstraint("post_id", "network"),
        Index("ix_publication_state_network_due", "state", "network", "due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    post_id: int = Field(foreign_key="post.id", index=True)
    network: str = Field(max_length=20)
    state: str = Field(max_length=20)
    external_id: str | None = Field(default=None, max_length=100)
    url: str | None = Field(default=None, max_length=500)
    error: str | None = None
    attempts: int = 0
    updated_at: datetime
    # The outbox (bot/publishing.py): when it is due, who holds it and until when, when its
    # first request went out (an idempotency key's window starts there), and the parts of the
    # post already delivered, as JSON {"album": ["id", "url"], ...}.
    due_at: datetime | None = Field(default=None, index=True)
    claimed_by: str | None = Field(default=None, max_length=64)
    lease_until: datetime | None = None
    first_sent_at: datetime | None = None
    parts: str = Field(default="{}", sa_column_kwargs={"server_default": "{}"})
    published_at: datetime | None = None
    # Claimed, but waiting for its turn (the pace, a 429's retry_after) with none of its
    # requests out (bot/wire.py): cut off now, it is simply due again, not "uncertain".
    waiting: bool = Field(default=False, sa_column_kwargs={"server_default": false()})


class CardMessage(SQLModel, table=True):
    """Where a card about an object was shown, so a decision can update every copy."""

    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=20, index=True)
    object_id: int = Field(index=True)
    chat: str = Field(max_length=64)
    message_id: int = Field(sa_type=BigInteger)


class AuditLog(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    at: datetime = Field(index=True)
    actor_id: int | None = Field(default=None, foreign_key="person.id")
    actor_ref: str = Field(max_length=64)
    action: str = Field(max_length=64, index=True)
    object_ref: str = Field(default="", max_length=64)
    details: str = ""
    # The hash chain (storage/audit.py): number, salted digest of the personal part, hashes.
    seq: int | None = Field(default=None, unique=True)
    salt: str | None = Field(default=None, max_length=32)
    digest: str = Field(default="", max_length=64)
    prev_hash: str = Field(default="", max_length=64)
    hash: str = Field(default="", max_length=64)
    redacted_at: datetime | None = None


class FsmRecord(SQLModel, table=True):
    """Dialog state (aiogram's, and the VK dialog's under "vk:…" keys), kept in the database
    so a restart loses no half-filled report."""

    key: str = Field(primary_key=True, max_length=200)
    state: str | None = Field(default=None, max_length=200)
    data: bytes = Field(default=b"{}", sa_column=Column(LargeBinary, nullable=False))


class Comment(SQLModel, table=True):
    """A comment under one of the administration's posts, stored once per (network, id)."""

    __table_args__ = (UniqueConstraint("network", "external_id"),)
    id: int | None = Field(default=None, primary_key=True)
    network: str = Field(max_length=20)
    external_id: str = Field(max_length=100)
    post_ref: str = Field(default="", max_length=100)
    post_url: str = Field(default="", max_length=500)
    url: str = Field(default="", max_length=500)
    author_id: int = Field(default=0, sa_type=BigInteger)
    author_name: str = Field(default="", max_length=200)
    author_url: str = Field(default="", max_length=500)
    text: str = ""
    written_at: datetime
    seen_at: datetime
    state: str = Field(max_length=20, index=True)
    categories: str = Field(default="", max_length=200)
    score: float = 0.0
    reasons: str = ""
    marked: str = ""
    source: str = Field(default="classifier", max_length=20)
    decision: str | None = Field(default=None, max_length=20)
    decided_by: int | None = Field(default=None, foreign_key="person.id")
    decided_at: datetime | None = None
    deletable_until: datetime | None = None
    raised_again_at: datetime | None = None


class ModerationExample(SQLModel, table=True):
    """A decision turned into a training example for `pressdesk moderation train`."""

    id: int | None = Field(default=None, primary_key=True)
    comment_id: int | None = Field(default=None, foreign_key="comment.id", index=True)
    text: str
    head: str = Field(max_length=10)  # "toxic" or "spam"
    label: bool
    created_at: datetime


class VKInboxCursor(SQLModel, table=True):
    """The newest message of one VK dialogue the bot has handled (its conversation_message_id,
    which grows within a dialogue): a message that comes both by the long poll and by the
    catch-up is handled once."""

    __tablename__ = "vk_inbox_cursor"
    group_id: int = Field(primary_key=True, sa_type=BigInteger)
    peer_id: int = Field(primary_key=True, sa_type=BigInteger)
    last_cmid: int = Field(default=0, sa_type=BigInteger)
    updated_at: datetime


# The publication plan and the reporting duty (issue 13) keep their tables in their own module.
# ---- account security (issue 15): the audit chain's head -----------------------------------
from storage.audit import AuditHead  # noqa: E402, F401
from storage.cursors import NetworkCursor  # noqa: E402, F401  (MAX's marker)
from storage.delivery import UndeliveredNotice  # noqa: E402, F401  (a table of its own module)
from storage.formats import Broadcast, Contest, PostPoll  # noqa: E402, F401  (issue 11)
from storage.instances import DeskInstance  # noqa: E402, F401  (the running instances)
from storage.leases import Lease  # noqa: E402, F401  (one instance at a time)
from storage.plan import Announcement, FeedToken, PlanItem  # noqa: E402, F401
from storage.registry import RegistryAccount, StoredToken  # noqa: E402, F401
from storage.tickets import Ticket  # noqa: E402, F401  (citizens' tickets, issue 14)
from storage.versions import CommentVersion  # noqa: E402, F401  (a table of its own module)
from storage.vk_photos import VKMessagePhoto  # noqa: E402, F401  (VK uploads kept)
