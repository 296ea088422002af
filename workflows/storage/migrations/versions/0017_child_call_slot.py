"""Child instances: the calls of a multi-instance call activity share its one waiting task

A parallel multi-instance call activity no longer keeps one task per call in its caller's state
(`workflows.engine.spiff_children.ChildMultiCall`): its children are told apart by `call_slot`
(the item's position or key) beside the calling task. Children started before keep a task each
and no slot.

Revision ID: 0017
Revises: 0016
"""

import sqlalchemy as sa
from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.add_column(sa.Column("call_slot", sa.String(length=200), nullable=True))
        batch_op.drop_constraint("uq_process_instance_parent_id", type_="unique")
        batch_op.create_unique_constraint("uq_process_instance_parent_call",
                                          ["parent_id", "parent_task_id", "call_slot"])


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_constraint("uq_process_instance_parent_call", type_="unique")
        batch_op.create_unique_constraint("uq_process_instance_parent_id", ["parent_id", "parent_task_id"])
        batch_op.drop_column("call_slot")
