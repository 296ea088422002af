"""Search: a person's name carries the data class of the field it was entered in

Before, a name in a classified field of an otherwise open form (the Gemeinde's Ansprechperson,
`gemeinde_kontakt`) was indexed without a class, so every staff member found it. The unclassified person
entries are dropped here, so nobody finds them any more; `grantflow db upgrade` then builds the index again
(`workflows.collab.search.reindex`), which gives each name its field's class.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None

_UNCLASSIFIED_NAMES = "SELECT id FROM search_entry WHERE kind = 'person' AND data_class IS NULL"


def upgrade() -> None:
    op.execute(f"DELETE FROM search_word WHERE entry_id IN ({_UNCLASSIFIED_NAMES})")
    op.execute(f"DELETE FROM search_entry WHERE id IN ({_UNCLASSIFIED_NAMES})")


def downgrade() -> None:
    """Nothing to restore: `grantflow search reindex` writes the entries again."""
