"""Collaboration: task claims (Übernehmen), Vertretungen, comments, and the search index

Revision ID: 0012
Revises: 0011
"""

import sqlalchemy as sa
from alembic import op

import workflows.storage.models

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

UTC = workflows.storage.models.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "task_claim",
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("task.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("username", sa.String(length=100), nullable=False),
        sa.Column("claimed_at", UTC, nullable=False),
        sa.Column("assigned_by", sa.String(length=100), nullable=True),
    )
    op.create_index("ix_task_claim_username", "task_claim", ["username"])
    op.create_table(
        "deputy",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("principal", sa.String(length=100), nullable=False),
        sa.Column("deputy", sa.String(length=100), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.String(length=200), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_deputy_principal", "deputy", ["principal"])
    op.create_index("ix_deputy_deputy_period", "deputy", ["deputy", "starts_on", "ends_on"])
    op.create_table(
        "comment",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.Integer(), sa.ForeignKey("task.id", ondelete="CASCADE"), nullable=True),
        sa.Column("gemeinde_ags", sa.String(length=8), nullable=True),
        sa.Column("data_class", sa.String(length=50), nullable=True),
        sa.Column("author", sa.String(length=100), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("mentions", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
    )
    op.create_index("ix_comment_round_created", "comment", ["round_id", "created_at"])
    op.create_index("ix_comment_task_id", "comment", ["task_id"])
    op.create_table(
        "search_entry",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("round_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"), nullable=False),
        sa.Column("instance_id", sa.Integer(), sa.ForeignKey("process_instance.id", ondelete="CASCADE"),
                  nullable=False),
        sa.Column("task_id", sa.Integer(), nullable=True),
        sa.Column("comment_id", sa.Integer(), sa.ForeignKey("comment.id", ondelete="CASCADE"), nullable=True),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("gemeinde_ags", sa.String(length=8), nullable=True),
        sa.Column("data_class", sa.String(length=50), nullable=True),
    )
    for column in ("round_id", "instance_id", "task_id", "comment_id"):
        op.create_index(f"ix_search_entry_{column}", "search_entry", [column])
    op.create_table(
        "search_word",
        sa.Column("scope", sa.String(length=120), primary_key=True),
        sa.Column("word", workflows.storage.models.SEARCH_WORD, primary_key=True),
        sa.Column("entry_id", sa.Integer(), sa.ForeignKey("search_entry.id", ondelete="CASCADE"), primary_key=True),
    )
    op.create_index("ix_search_word_entry_id", "search_word", ["entry_id"])


def downgrade() -> None:
    op.drop_table("search_word")
    op.drop_table("search_entry")
    op.drop_table("comment")
    op.drop_table("deputy")
    op.drop_table("task_claim")
