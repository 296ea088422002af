"""instance migration: rounds moved to another definition version, and the way back

Revision ID: 0008
Revises: 0006
"""

import sqlalchemy as sa
from alembic import op

import workflows.storage.models

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "instance_migration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("batch", sa.String(length=36), nullable=False),
        sa.Column("definition_before", sa.Integer(), sa.ForeignKey("process_definition.id"), nullable=False),
        sa.Column("definition_after", sa.Integer(), sa.ForeignKey("process_definition.id"), nullable=False),
        sa.Column("state_before", sa.Text(), nullable=False),
        sa.Column("version_after", sa.Integer(), nullable=False),
        sa.Column("moved_back", sa.Boolean(), nullable=False),
        sa.Column("created_at", workflows.storage.models.UTCDateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=True),
    )
    op.create_index("ix_instance_migration_instance_id", "instance_migration", ["instance_id"])
    op.create_index("ix_instance_migration_batch", "instance_migration", ["batch"])


def downgrade() -> None:
    op.drop_index("ix_instance_migration_batch", table_name="instance_migration")
    op.drop_index("ix_instance_migration_instance_id", table_name="instance_migration")
    op.drop_table("instance_migration")
