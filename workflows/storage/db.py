"""Database access: one `Database` per process, short sessions per unit of work.

SQLite and PostgreSQL behave differently under concurrent writers. On PostgreSQL an
`UPDATE ... WHERE version = :seen` blocks behind the other writer and then matches no row,
which is the optimistic-locking signal. On SQLite a deferred transaction that read first and
then writes fails with "database is locked" instead, so write units of work start with
`BEGIN IMMEDIATE`: the second writer waits (busy timeout), then reads the state the first one
committed and sees the conflict cleanly.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from workflows import settings


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves (see `_on_begin`)
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get("sqlite_immediate", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


class Database:
    """Owns the SQLAlchemy engine and hands out sessions for reads and for writes."""

    def __init__(self, url: str | None = None, *, audit_anchor: Path | None = None, **engine_options: Any) -> None:
        self.url = url or settings.get().database_url
        #: where the audit chain's head is anchored outside the database (see `workflows.audit.chain`)
        self.audit_anchor = audit_anchor or settings.get().audit_anchor_for(self.url)
        self.engine = create_engine(self.url, **engine_options)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        if self.is_sqlite:
            _configure_sqlite(self.engine)
            write_bind: Engine = self.engine.execution_options(sqlite_immediate=True)
        else:
            write_bind = self.engine
        info = {"audit_anchor": self.audit_anchor}
        self._read = sessionmaker(bind=self.engine, expire_on_commit=False, info=info)
        self._write = sessionmaker(bind=write_bind, expire_on_commit=False, info=info)

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries; closed (its transaction rolled back) at the end, it never writes.

        Objects loaded in it stay readable afterwards (closing detaches without expiring).
        """
        with self._read() as session:
            yield session

    @contextmanager
    def write(self) -> Iterator[Session]:
        """One transaction: committed if the block succeeds, rolled back entirely otherwise."""
        with self._write() as session, session.begin():
            yield session

    def optimize(self) -> None:
        """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does this by itself).

        Without them SQLite scans the whole lane for a Gemeinde's inbox instead of its own rows;
        the ticker calls this on every round.
        """
        if self.is_sqlite:
            with self.engine.begin() as conn:
                conn.exec_driver_sql("PRAGMA analysis_limit=1000")
                conn.exec_driver_sql("ANALYZE")

    def dispose(self) -> None:
        self.engine.dispose()
