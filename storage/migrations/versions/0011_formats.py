"""polls, live broadcasts and contests of posts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 12:30:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

TEXT = sqlmodel.sql.sqltypes.AutoString
WHEN = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "post_poll",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("question", TEXT(length=500), nullable=False),
        sa.Column("options", TEXT(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("ends_at", WHEN(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("results_at", WHEN(), nullable=True),
        sa.Column("results", TEXT(), nullable=False),
    )
    op.create_index("ix_post_poll_ends_at", "post_poll", ["ends_at"])
    op.create_table(
        "broadcast",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("title", TEXT(length=500), nullable=False),
        sa.Column("stream_url", TEXT(length=500), nullable=False),
        sa.Column("starts_at", WHEN(), nullable=False),
        sa.Column("block", TEXT(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("reminder_post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=True),
        sa.Column("offered_at", WHEN(), nullable=True),
        sa.Column("recording_post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=True),
    )
    op.create_index("ix_broadcast_starts_at", "broadcast", ["starts_at"])
    op.create_table(
        "contest",
        sa.Column("post_id", sa.Integer(), sa.ForeignKey("post.id"), primary_key=True),
        sa.Column("title", TEXT(length=500), nullable=False),
        sa.Column("rules", TEXT(), nullable=False),
        sa.Column("ends_at", WHEN(), nullable=False),
        sa.Column("winners", sa.Integer(), nullable=False),
        sa.Column("block", TEXT(), nullable=False),
        sa.Column("created_by", sa.Integer(), sa.ForeignKey("person.id"), nullable=False),
        sa.Column("drawn_at", WHEN(), nullable=True),
        sa.Column("seed", TEXT(length=64), nullable=False),
        sa.Column("participants", TEXT(), nullable=False),
        sa.Column("names", TEXT(), nullable=False),
        sa.Column("list_hash", TEXT(length=64), nullable=False),
        sa.Column("chosen", TEXT(), nullable=False),
        sa.Column("results_post_id", sa.Integer(), sa.ForeignKey("post.id"), nullable=True),
    )
    op.create_index("ix_contest_ends_at", "contest", ["ends_at"])


def downgrade() -> None:
    op.drop_index("ix_contest_ends_at", "contest")
    op.drop_table("contest")
    op.drop_index("ix_broadcast_starts_at", "broadcast")
    op.drop_table("broadcast")
    op.drop_index("ix_post_poll_ends_at", "post_poll")
    op.drop_table("post_poll")
