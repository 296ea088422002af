"""Fresh benchmark databases: migrated, demo data loaded, bpmn/ + forms/ deployed.

SQLite is a file under the work directory; PostgreSQL gets a schema of its own in the database
of `GRANTFLOW_TEST_DATABASE_URL` (dropped afterwards), so it can share that database with tests.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import create_engine, text

from workflows.engine import definitions
from workflows.foerderung import demo, masterdata
from workflows.identity import users
from workflows.settings import PROJECT_ROOT
from workflows.storage import migrate
from workflows.storage.db import Database

PG_URL = os.environ.get("GRANTFLOW_TEST_DATABASE_URL")


@dataclass
class BenchDatabase:
    kind: str  # "sqlite" or "postgresql"
    url: str
    db: Database


def kinds() -> list[str]:
    return ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


@contextmanager
def bench_database(kind: str, workdir: Path, name: str) -> Iterator[BenchDatabase]:
    """A seeded database of `kind`; `name` keeps several of one run apart."""
    if kind == "sqlite":
        path = workdir / f"{name}.db"
        path.unlink(missing_ok=True)
        url = f"sqlite:///{path}"
        try:
            with _seeded(url) as db:
                yield BenchDatabase(kind, url, db)
        finally:  # 10,000 real rounds take gigabytes
            for leftover in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
                leftover.unlink(missing_ok=True)
        return
    assert PG_URL, "GRANTFLOW_TEST_DATABASE_URL is not set"
    schema = f"gf_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    try:
        with _seeded(url) as db:
            yield BenchDatabase(kind, url, db)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@contextmanager
def _seeded(url: str) -> Iterator[Database]:
    migrate.upgrade(url)
    db = Database(url, pool_size=20, max_overflow=10) if url.startswith("postgresql") else Database(url)
    try:
        with db.write() as session:
            demo.load(session)
            definitions.deploy(session, definitions.Bundle.from_directory(PROJECT_ROOT), "bench")
        yield db
    finally:
        db.dispose()


def generated_landkreis(db: Database, key: str, count: int) -> None:
    """A Landkreis of `count` Gemeinden (no regional teams) with one Gemeinde user each: `<key>-<n>`."""
    records = [masterdata.GemeindeRecord(name=f"Gemeinde {n:03d}", ags=f"99{n:06d}", typ="Gemeinde",
                                         einwohner=3000 + 37 * n, einwohner_jahr=2016) for n in range(count)]
    with db.write() as session:
        masterdata.import_landkreis(session, masterdata.LandkreisData(key=key, name=f"Landkreis {key}",
                                                                      gemeinden=records))
        password_hash = users.hash_password("bench")
        for n, rec in enumerate(records):
            users.upsert_user(session, f"{key}-{n}", rec.name, ["Gemeinde"], password_hash, gemeinde_ags=rec.ags)
