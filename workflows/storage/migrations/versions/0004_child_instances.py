"""child instances: call activities run as process instances of their own

Revision ID: 0004
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import workflows.storage.models

revision = '0004'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('parent_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('root_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('parent_task_id', sa.String(length=36), nullable=True))
        batch_op.add_column(sa.Column('call_element', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('process_key', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('outputs', sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column('returned_at', workflows.storage.models.UTCDateTime(timezone=True),
                                      nullable=True))
        batch_op.create_index(batch_op.f('ix_process_instance_parent_id'), ['parent_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_instance_root_id'), ['root_id'], unique=False)
        batch_op.create_foreign_key('fk_process_instance_parent_id', 'process_instance', ['parent_id'], ['id'])
        batch_op.create_foreign_key('fk_process_instance_root_id', 'process_instance', ['root_id'], ['id'])
        batch_op.create_unique_constraint('uq_process_instance_parent_id', ['parent_id', 'parent_task_id'])


def downgrade() -> None:
    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.drop_constraint('uq_process_instance_parent_id', type_='unique')
        batch_op.drop_constraint('fk_process_instance_root_id', type_='foreignkey')
        batch_op.drop_constraint('fk_process_instance_parent_id', type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_process_instance_root_id'))
        batch_op.drop_index(batch_op.f('ix_process_instance_parent_id'))
        for column in ('returned_at', 'outputs', 'process_key', 'call_element', 'parent_task_id', 'root_id',
                       'parent_id'):
            batch_op.drop_column(column)
