"""outbox columns of publication

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 09:20:00
"""

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(sa.Column("due_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("claimed_by", sa.String(length=64), nullable=True))
        batch.add_column(
            sa.Column("lease_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(
            sa.Column("first_sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.add_column(sa.Column("parts", sa.String(), nullable=False, server_default="{}"))
        batch.add_column(
            sa.Column("published_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
        batch.create_index("ix_publication_due_at", ["due_at"])
        batch.create_index("ix_publication_state_network_due", ["state", "network", "due_at"])
    # Rows of posts already waiting become outbox rows due at the post's time.
    op.execute(
        "UPDATE publication SET state = 'scheduled', due_at = "
        "(SELECT scheduled_at FROM post WHERE post.id = publication.post_id) "
        "WHERE state = 'pending' AND post_id IN "
        "(SELECT id FROM post WHERE state IN ('scheduled', 'publishing'))"
    )


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_index("ix_publication_state_network_due")
        batch.drop_index("ix_publication_due_at")
        for name in ("published_at", "parts", "first_sent_at", "lease_until", "claimed_by"):
            batch.drop_column(name)
        batch.drop_column("due_at")
