"""API idempotency keys: the first answer of a POST, replayed for a retry with the same key

Revision ID: 0009
Revises: 0008
"""

import sqlalchemy as sa
from alembic import op

import workflows.storage.models

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "api_idempotency_key",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("request_hash", sa.String(length=64), nullable=False),
        sa.Column("status", sa.Integer(), nullable=True),
        sa.Column("response", sa.Text(), nullable=True),
        sa.Column("location", sa.String(length=300), nullable=True),
        sa.Column("created_at", workflows.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username", "key"),
    )
    with op.batch_alter_table("api_idempotency_key", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_api_idempotency_key_created_at"), ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("api_idempotency_key", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_api_idempotency_key_created_at"))
    op.drop_table("api_idempotency_key")
