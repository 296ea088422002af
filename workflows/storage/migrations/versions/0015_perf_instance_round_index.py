"""Each instance's round from an index: the rounds a Gemeinde sees without reading its instances' rows

The rounds a Gemeinde sees are those of the instances that gave it a task (`authz.visible_rounds_clause`).
SQLite keeps a row's columns after its `state` on the state's overflow pages, so reading `root_id` from
the row read each child's whole state: 0.6 s for a Gemeinde's round list at 10,000 rounds. The index
(id, root_id) answers it alone.

Revision ID: 0015
Revises: 0014
"""

from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_round", ["id", "root_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_round")
