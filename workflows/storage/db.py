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


#: SQLite's statistics of a table are made again when it has grown by this factor (`Database.optimize`)
REANALYZE_GROWTH = 1.25


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
        """Refresh SQLite's planner statistics (PostgreSQL's autovacuum does this by itself): in full, for
        every table of more than 100 rows that has grown by more than `REANALYZE_GROWTH` since (or has
        an index without statistics).

        Without good statistics SQLite scans the whole lane for a Gemeinde's inbox instead of its own
        rows. A sampled ANALYZE (`analysis_limit`) is no good for that: it reads only the first entries
        of each index, which in a sorted index share their leading values, so every index prefix looked
        equally selective (about 1,000 rows) and SQLite chose the shortest one. A full ANALYZE reads
        every index (about 2 s at 10,000 rounds); done only on growth, its cost stays in proportion.
        The ticker calls this on every round.
        """
        if not self.is_sqlite:
            return
        with self.engine.begin() as conn:
            conn.exec_driver_sql("PRAGMA analysis_limit=0")
            has_stats = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_stat1'").first()
            analysed: dict[str, int] = dict(conn.exec_driver_sql(  # a table's row count when it was last analysed
                "SELECT tbl, max(CAST(stat AS INTEGER)) FROM sqlite_stat1 GROUP BY tbl").all()) if has_stats else {}
            new_index = set(conn.exec_driver_sql(  # an index made since (a migration) has no statistics yet
                "SELECT tbl_name FROM sqlite_master WHERE type = 'index'"
                + (" AND name NOT IN (SELECT idx FROM sqlite_stat1 WHERE idx IS NOT NULL)" if has_stats else "")
            ).scalars())
            tables = conn.exec_driver_sql("SELECT name FROM sqlite_master WHERE type = 'table' "
                                          "AND name NOT LIKE 'sqlite%'").scalars().all()
            for table in tables:
                rows = conn.exec_driver_sql(f'SELECT max(rowid) FROM "{table}"').scalar() or 0  # no scan
                if rows > 100 and (table in new_index or rows > REANALYZE_GROWTH * analysed.get(table, 0)):
                    conn.exec_driver_sql(f'ANALYZE "{table}"')

    def dispose(self) -> None:
        self.engine.dispose()
