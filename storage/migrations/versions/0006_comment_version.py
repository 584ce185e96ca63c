"""comment versions

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 10:25:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "comment_version",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("comment_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("text", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("categories", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["comment_id"], ["comment.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_comment_version_comment_id", "comment_version", ["comment_id"])
    # the comments stored so far: their current text is their first known version
    op.execute(
        "INSERT INTO comment_version (comment_id, number, text, categories, seen_at) "
        "SELECT id, 1, text, categories, seen_at FROM comment"
    )


def downgrade() -> None:
    op.drop_index("ix_comment_version_comment_id", table_name="comment_version")
    op.drop_table("comment_version")
