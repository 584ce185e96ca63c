"""a token replaced from chat remembers a keyed fingerprint of the environment's value then

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 19:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("stored_token") as batch:
        batch.add_column(sa.Column("env_fingerprint", sa.String(64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("stored_token") as batch:
        batch.drop_column("env_fingerprint")
