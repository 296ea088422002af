"""Alembic environment: the URL comes from the caller (`workflows.storage.migrate`) or DATABASE_URL."""

from alembic import context
from sqlalchemy import create_engine

from workflows import settings
from workflows.storage.models import Base

url = context.config.attributes.get("url") or settings.get().database_url


def run() -> None:
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _migrate(connection)
        return
    engine = create_engine(url)
    with engine.connect() as conn:
        _migrate(conn)
    engine.dispose()


def _migrate(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


run()
