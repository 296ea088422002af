"""The round list's sort index leads with parent_id: the list shows roots only (parent_id IS NULL)

Since call activities became child instances, most instance rows are parts (each Gemeinde's Abfrage,
each posting, each vote); a sort index on (created_at, id) alone made the database either walk it past
all of them or sort every root (SQLite read each row's state to do so: 0.6 s at 10,000 rounds).

Revision ID: 0014
Revises: 0013
"""

from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_roots_created", ["parent_id", "created_at", "id"], unique=False)
        batch_op.drop_index("ix_process_instance_created")


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_created", ["created_at", "id"], unique=False)
        batch_op.drop_index("ix_process_instance_roots_created")
