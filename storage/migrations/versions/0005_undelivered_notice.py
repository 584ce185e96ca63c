"""undelivered notices

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "undelivered_notice",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=True),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=10), nullable=False),
        sa.Column("chat", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("message_id", sa.BigInteger(), nullable=False),
        sa.Column("card", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("next_try_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("delivered_via", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False),
        sa.Column("given_up_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["person_id"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_undelivered_notice_person_id", "undelivered_notice", ["person_id"])
    op.create_index("ix_undelivered_notice_next_try_at", "undelivered_notice", ["next_try_at"])


def downgrade() -> None:
    op.drop_index("ix_undelivered_notice_next_try_at", table_name="undelivered_notice")
    op.drop_index("ix_undelivered_notice_person_id", table_name="undelivered_notice")
    op.drop_table("undelivered_notice")
