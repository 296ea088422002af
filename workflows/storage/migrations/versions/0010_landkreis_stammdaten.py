"""Landkreis master data for the letters: contact persons, the employer's offer, where to apply

Revision ID: 0010
Revises: 0009
"""

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("landkreis", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stammdaten", sa.JSON(), nullable=False, server_default="{}"))


def downgrade() -> None:
    with op.batch_alter_table("landkreis", schema=None) as batch_op:
        batch_op.drop_column("stammdaten")
