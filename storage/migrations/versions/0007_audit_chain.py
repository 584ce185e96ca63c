"""audit log hash chain

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 09:10:00
"""

import hashlib
import json
import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("auditlog", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("salt", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=True)
        )
        batch_op.add_column(
            sa.Column(
                "digest", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "prev_hash",
                sqlmodel.sql.sqltypes.AutoString(length=64),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column("redacted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch_op.create_unique_constraint("uq_auditlog_seq", ["seq"])
    audit_head = op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    # Lines written before the chain existed are chained now, in the order they were written.
    conn = op.get_bind()
    rows = conn.execute(
        sa.text("SELECT id, at, actor_id, actor_ref, action, object_ref, details FROM auditlog ORDER BY id")
    ).all()
    prev, seq = "0" * 64, 0
    for row in rows:
        seq += 1
        salt = secrets.token_hex(16)
        digest = hashlib.sha256("\x1f".join((salt, row.actor_ref, row.details)).encode()).hexdigest()
        at = datetime.fromisoformat(row.at) if isinstance(row.at, str) else row.at
        if at.tzinfo is None:
            at = at.replace(tzinfo=UTC)
        moment = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
        form = [seq, moment, row.actor_id, row.action, row.object_ref, digest, prev]
        digest_line = hashlib.sha256(
            json.dumps(form, ensure_ascii=False, separators=(",", ":")).encode()
        ).hexdigest()
        conn.execute(
            sa.text(
                "UPDATE auditlog SET seq=:seq, salt=:salt, digest=:digest, prev_hash=:prev, "
                "hash=:hash WHERE id=:id"
            ),
            {"seq": seq, "salt": salt, "digest": digest, "prev": prev, "hash": digest_line, "id": row.id},
        )
        prev = digest_line
    op.bulk_insert(audit_head, [{"id": 1, "seq": seq, "hash": prev}])


def downgrade() -> None:
    op.drop_table("audit_head")
    with op.batch_alter_table("auditlog", schema=None) as batch_op:
        batch_op.drop_constraint("uq_auditlog_seq", type_="unique")
        for column in ("redacted_at", "hash", "prev_hash", "digest", "salt", "seq"):
            batch_op.drop_column(column)
