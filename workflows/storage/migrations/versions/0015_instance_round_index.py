"""Each instance's round from an index: the rounds a Gemeinde sees without reading its instances' rows

The rounds a Gemeinde sees are those of the instances that gave it a task (`authz.visible_rounds_clause`).
SQLite keeps a row's columns after its `state` on the state's overflow pages, so reading `root_id` from
the row read each child's whole state: 0.6 s for a Gemeinde's round list at 10,000 rounds. The index
(id, root_id) answers it alone.

On SQLite the planner statistics made by sampling (`analysis_limit`, before `Database.optimize` analysed
in full) are dropped: the ticker makes them again, in full, on its next round.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.create_index("ix_process_instance_round", ["id", "root_id"], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "sqlite" and sa.inspect(bind).has_table("sqlite_stat1"):
        op.execute("DELETE FROM sqlite_stat1")


def downgrade() -> None:
    with op.batch_alter_table("process_instance", schema=None) as batch_op:
        batch_op.drop_index("ix_process_instance_round")
