"""a claimed publication waiting for its turn with nothing on the wire

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 16:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.add_column(
            sa.Column("waiting", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("publication") as batch:
        batch.drop_column("waiting")
