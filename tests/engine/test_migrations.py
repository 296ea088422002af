"""Alembic migrations produce exactly the models' schema, on SQLite and PostgreSQL, idempotently."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from workflows.storage import migrate
from workflows.storage.db import Database
from workflows.storage.models import Base


def test_migrations_match_the_models_and_upgrade_twice_is_harmless(db: Database) -> None:
    migrate.upgrade(db.url)  # already at head: nothing to do
    with db.engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
