"""The audit log's hash chain.

Each line's hash covers its number, time, actor id, action, object and a *digest* of its personal
part (who wrote, when it was a stranger, and the free-text details), plus the previous line's hash.
The digest is salted with a random value kept in the line: anonymising a line (retention, /forget)
blanks the personal part and drops the salt, and the chain still verifies, because the digest it
covers stays; what was there can no longer be recovered from it. A one-row head keeps the newest
number and hash, so cutting lines off the end is caught too, and its row lock serialises writers
(several instances on PostgreSQL): two transactions never chain to the same previous line.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlmodel import Field, SQLModel, col, select
from sqlmodel.ext.asyncio.session import AsyncSession

GENESIS = "0" * 64
ANONYMOUS = "anon"


class AuditHead(SQLModel, table=True):
    __tablename__ = "audit_head"
    id: int = Field(default=1, primary_key=True)
    seq: int = 0
    hash: str = Field(default=GENESIS, max_length=64)


def _moment(at: datetime) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")


def personal_digest(salt: str, actor_ref: str, details: str) -> str:
    return hashlib.sha256("\x1f".join((salt, actor_ref, details)).encode()).hexdigest()


def line_hash(line: object) -> str:
    """The chained hash of one line (an AuditLog), from its redaction-safe fields."""
    form = [
        line.seq,  # type: ignore[attr-defined]
        _moment(line.at),  # type: ignore[attr-defined]
        line.actor_id,  # type: ignore[attr-defined]
        line.action,  # type: ignore[attr-defined]
        line.object_ref,  # type: ignore[attr-defined]
        line.digest,  # type: ignore[attr-defined]
        line.prev_hash,  # type: ignore[attr-defined]
    ]
    payload = json.dumps(form, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(payload.encode()).hexdigest()


async def chain(session: AsyncSession, line: object) -> None:
    """Give a new line its number, digest and hash, and move the head (under its row lock)."""
    head = await session.get(AuditHead, 1, with_for_update=True)
    if head is None:  # created by the migration; a bare metadata.create_all() lacks it
        head = AuditHead()
        session.add(head)
    salt = secrets.token_hex(16)
    line.salt = salt  # type: ignore[attr-defined]
    line.digest = personal_digest(salt, line.actor_ref, line.details)  # type: ignore[attr-defined]
    line.seq = head.seq + 1  # type: ignore[attr-defined]
    line.prev_hash = head.hash  # type: ignore[attr-defined]
    line.hash = line_hash(line)  # type: ignore[attr-defined]
    head.seq, head.hash = line.seq, line.hash  # type: ignore[attr-defined]
    session.add(head)
    session.add(line)


def anonymise(line: object, now: datetime) -> bool:
    """Blank a line's personal part; the chain still verifies. False if it was blank already."""
    if line.redacted_at is not None:  # type: ignore[attr-defined]
        return False
    line.actor_ref = ANONYMOUS  # type: ignore[attr-defined]
    line.details = ""  # type: ignore[attr-defined]
    line.salt = None  # type: ignore[attr-defined]
    line.redacted_at = now  # type: ignore[attr-defined]
    return True


@dataclass(frozen=True)
class Verdict:
    lines: int
    problems: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.problems


async def verify(session: AsyncSession, model: type) -> Verdict:
    """Walk the chain in order; every break is named in Russian (for `pressdesk audit verify`)."""
    problems: list[str] = []
    expected_prev, expected_seq, count = GENESIS, 1, 0
    result = await session.stream_scalars(select(model).order_by(col(model.seq)))
    async for line in result:
        count += 1
        if line.seq != expected_seq:
            gap = (
                f"№{expected_seq}"
                if line.seq == expected_seq + 1
                else f"№{expected_seq}–{line.seq - 1}"
            )
            problems.append(f"Пропали записи {gap}: перед записью №{line.seq} их нет.")
        elif line.prev_hash != expected_prev:
            problems.append(f"Запись №{line.seq} не продолжает предыдущую: цепочка разорвана.")
        if line_hash(line) != line.hash:
            problems.append(f"Запись №{line.seq} изменена после записи.")
        elif line.salt is not None and (
            personal_digest(line.salt, line.actor_ref, line.details) != line.digest
        ):
            problems.append(f"Запись №{line.seq}: изменены автор или подробности.")
        expected_prev, expected_seq = line.hash, line.seq + 1
    head = await session.get(AuditHead, 1)
    if head is not None and (head.seq != expected_seq - 1 or head.hash != expected_prev):
        problems.append(
            f"Последние записи удалены: журнал должен кончаться записью №{head.seq}, "
            f"а кончается №{expected_seq - 1}."
        )
    return Verdict(count, tuple(problems))
