"""a draft's photo as uploaded to a VK editor's dialogue, kept across restarts

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 20:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vk_message_photo",
        sa.Column("peer_id", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("attachment", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("uploaded_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("peer_id", "sha256"),
    )


def downgrade() -> None:
    op.drop_table("vk_message_photo")
