"""round list and Gemeinde inbox indexes

The round list sorts by (created_at, id): without an index every row was read and sorted.
A Gemeinde's inbox filters ready tasks of its lane by its AGS: (status, lane, assignee_gemeinde)
answers that from the index, (status, lane) is its prefix and goes. The rounds a Gemeinde may
see are those with a task of its own: (assignee_gemeinde, instance_id).

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_created", ["created_at", "id"], unique=False)
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_status_lane_gemeinde", ["status", "lane", "assignee_gemeinde"], unique=False)
        batch_op.create_index("ix_task_gemeinde_instance", ["assignee_gemeinde", "instance_id"], unique=False)
        batch_op.drop_index("ix_task_status_lane")


def downgrade() -> None:
    with op.batch_alter_table("task", schema=None) as batch_op:
        batch_op.create_index("ix_task_status_lane", ["status", "lane"], unique=False)
        batch_op.drop_index("ix_task_gemeinde_instance")
        batch_op.drop_index("ix_task_status_lane_gemeinde")
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_created")
