"""Audit events carry the SHA-256 of their payload, which the chain covers (so a payload redacted by
the Löschkonzept still verifies); existing rows keep their MAC over the payload itself. Instances
record when the Löschkonzept erased their applicants' data

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

import workflows.storage.models

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload_hash", sa.String(length=64), nullable=True))
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("erased_at", workflows.storage.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_column("erased_at")
    with op.batch_alter_table("event", schema=None) as batch_op:
        batch_op.drop_column("payload_hash")
