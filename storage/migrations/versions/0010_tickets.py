"""citizens' tickets (order 1.2.3)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 12:40:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

S = sqlmodel.sql.sqltypes.AutoString
T = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.create_table(
        "ticket",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("network", S(length=20), nullable=False),
        sa.Column("channel", S(length=20), nullable=False),
        sa.Column("external_id", S(length=100), nullable=False),
        sa.Column("thread_ref", S(length=200), nullable=False),
        sa.Column("url", S(length=500), nullable=False),
        sa.Column("citizen_id", sa.BigInteger(), nullable=False),
        sa.Column("citizen_name", S(length=200), nullable=False),
        sa.Column("text", S(), nullable=False),
        sa.Column("kind", S(length=20), nullable=False),
        sa.Column("department", S(length=200), nullable=False),
        sa.Column("state", S(length=20), nullable=False),
        sa.Column("created_at", T(), nullable=False),
        sa.Column("first_due", T(), nullable=False),
        sa.Column("answer_due", T(), nullable=False),
        sa.Column("first_response_at", T(), nullable=True),
        sa.Column("answered_at", T(), nullable=True),
        sa.Column("holder_id", sa.Integer(), nullable=True),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("draft", S(), nullable=False),
        sa.Column("draft_by", sa.Integer(), nullable=True),
        sa.Column("reply_url", S(length=500), nullable=False),
        sa.Column("closed_by", sa.Integer(), nullable=True),
        sa.Column("reminded_at", T(), nullable=True),
        sa.Column("escalated_at", T(), nullable=True),
        sa.Column("overdue", sa.Boolean(), nullable=False),
        sa.Column("anonymised_at", T(), nullable=True),
        sa.ForeignKeyConstraint(["holder_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["assignee_id"], ["person.id"]),
        sa.ForeignKeyConstraint(["draft_by"], ["person.id"]),
        sa.ForeignKeyConstraint(["closed_by"], ["person.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("network", "channel", "external_id"),
    )
    op.create_index("ix_ticket_state", "ticket", ["state"])
    op.create_index("ix_ticket_created_at", "ticket", ["created_at"])


def downgrade() -> None:
    op.drop_index("ix_ticket_created_at", "ticket")
    op.drop_index("ix_ticket_state", "ticket")
    op.drop_table("ticket")
