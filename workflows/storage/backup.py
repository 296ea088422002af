"""Backup and restore of the whole database, consistent while the application runs.

SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent snapshot page by
page while others keep writing. PostgreSQL: `pg_dump` in its custom format (one snapshot
transaction), of grantflow's schema only; `pg_restore` puts it back. A restore goes only into an
empty database: it never mixes a backup with live data.
"""

from __future__ import annotations

import os
import re
import shutil
import sqlite3
import subprocess
import tempfile
from pathlib import Path

from sqlalchemy import URL, text

from workflows.errors import GrantflowError
from workflows.storage.db import Database

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"
SCHEMA_ENTRY = re.compile(r"^\d+; \d+ \d+ (SCHEMA - |COMMENT - SCHEMA )")
TABLE_ENTRY = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) ")


class BackupFailed(GrantflowError):
    """Backup or restore could not be done; nothing was changed."""


def backup(database: Database, target: Path) -> int:
    """Write a backup of `database` to `target` (which must not exist yet); returns its size in bytes."""
    if target.exists():
        raise BackupFailed(f"Die Datei {target} gibt es schon; eine Sicherung überschreibt nichts.")
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    try:
        if database.is_sqlite:
            _sqlite_copy(_sqlite_path(database), partial)
        else:
            _run([_tool("pg_dump"), "--format=custom", "--no-owner", f"--schema={_pg_schema(database)}",
                  f"--file={partial}", f"--dbname={_libpq_url(database.engine.url)}"], database.engine.url)
        partial.rename(target)
    finally:
        partial.unlink(missing_ok=True)
    return target.stat().st_size


def restore(database: Database, source: Path) -> None:
    """Load the backup `source` into `database`, which must hold no tables yet."""
    magic = source.read_bytes()[:16]
    if database.is_sqlite:
        if not magic.startswith(SQLITE_MAGIC):
            raise BackupFailed(f"{source} ist keine SQLite-Sicherung von grantflow.")
        target = _sqlite_path(database)
        if target.exists() and _sqlite_tables(target):
            raise BackupFailed(f"Die Datenbank {target} ist nicht leer; eingespielt wird nur in eine leere Datenbank.")
        database.dispose()
        _sqlite_copy(source, target)
        return
    if not magic.startswith(PG_DUMP_MAGIC):
        raise BackupFailed(f"{source} ist keine PostgreSQL-Sicherung (pg_dump im Format 'custom').")
    _pg_restore(database, source)


# --------------------------------------------------------------------------- SQLite

def _sqlite_path(database: Database) -> Path:
    name = database.engine.url.database
    if not name or name == ":memory:":
        raise BackupFailed("Eine SQLite-Datenbank im Speicher lässt sich nicht sichern.")
    return Path(name)


def _sqlite_tables(path: Path) -> int:
    with sqlite3.connect(path) as conn:
        return int(conn.execute("SELECT count(*) FROM sqlite_master WHERE type = 'table'").fetchone()[0])


def _sqlite_copy(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    except sqlite3.DatabaseError as exc:
        raise BackupFailed(f"SQLite-Sicherung fehlgeschlagen: {exc}") from exc
    finally:
        dst.close()
        src.close()


# --------------------------------------------------------------------------- PostgreSQL

def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupFailed(f"'{name}' ist nicht installiert (Debian: apt-get install postgresql-client).")
    return path


def _libpq_url(url: URL) -> str:
    """The URL for pg_dump/pg_restore: no SQLAlchemy driver name, no password (that goes by PGPASSWORD)."""
    return url.set(drivername="postgresql", password=None).render_as_string(hide_password=False)


def _run(command: list[str], url: URL) -> str:
    env = {**os.environ}  # passed on unread: the tools need PATH, the locale and any PG* variables
    if url.password:
        env["PGPASSWORD"] = str(url.password)
    result = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
    if result.returncode != 0:
        detail = (result.stderr.strip().splitlines() or ["ohne Meldung"])[-1]
        raise BackupFailed(f"{Path(command[0]).name} ist fehlgeschlagen: {detail}")
    return result.stdout


def _pg_schema(database: Database) -> str:
    """grantflow's schema: the first of the search path (`public` unless DATABASE_URL sets another)."""
    with database.engine.connect() as conn:
        current = conn.scalar(text("SELECT current_schema()"))
        if current:
            return str(current)
        first = str(conn.scalar(text("SHOW search_path"))).split(",")[0].strip().strip('"')
    return first


def _pg_restore(database: Database, source: Path) -> None:
    tool = _tool("pg_restore")
    url = database.engine.url
    schema = _pg_schema(database)
    with database.engine.connect() as conn:
        exists = conn.scalar(text("SELECT count(*) FROM pg_namespace WHERE nspname = :s"), {"s": schema})
        tables = conn.scalar(text("SELECT count(*) FROM information_schema.tables WHERE table_schema = :s"),
                             {"s": schema})
    if tables:
        raise BackupFailed(f"Die Datenbank (Schema '{schema}') ist nicht leer; eingespielt wird nur in eine leere "
                           "Datenbank.")
    entries = _run([tool, "--list", str(source)], url).splitlines()
    dumped = {m.group(1) for line in entries if (m := TABLE_ENTRY.match(line))}
    if dumped and dumped != {schema}:
        raise BackupFailed(f"Die Sicherung enthält das Schema {', '.join(sorted(dumped))}, die Datenbank verwendet "
                           f"'{schema}'; bitte DATABASE_URL passend setzen.")
    keep = [line for line in entries if not (exists and SCHEMA_ENTRY.match(line))]
    with tempfile.NamedTemporaryFile("w", suffix=".list", encoding="utf-8") as listing:
        listing.write("\n".join(keep) + "\n")
        listing.flush()
        _run([tool, "--no-owner", "--exit-on-error", "--single-transaction", f"--use-list={listing.name}",
              f"--dbname={_libpq_url(url)}", str(source)], url)
