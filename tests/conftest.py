"""Shared fixtures: real databases (SQLite always, PostgreSQL when GRANTFLOW_TEST_DATABASE_URL is set).

SQLite: the schema and demo data are built once per session into a template file and copied
for each test. PostgreSQL: one schema per test session (migrated once), emptied and re-seeded
for each test.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from workflows import wiring
from workflows.engine import definitions
from workflows.foerderung import demo
from workflows.storage import migrate
from workflows.storage.db import Database
from workflows.storage.models import Base

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
PG_URL = os.environ.get("GRANTFLOW_TEST_DATABASE_URL")
PG_SKIP_REASON = "GRANTFLOW_TEST_DATABASE_URL is not set: PostgreSQL tests skipped (.ci/run sets it)"
OUTPUT_DIR = Path(__file__).resolve().parent / "output"

wiring.install()  # the engine's policy, services, rule functions and document kinds, as every entry point


LONG_FIRST = ("slow", "bench", "browser")  # the longest tests start first, so no worker is left with one at the end


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    items.sort(key=lambda item: not any(item.get_closest_marker(mark) for mark in LONG_FIRST))


def _seed(db: Database) -> None:
    with db.write() as session:
        demo.load(session)


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    url = f"sqlite:///{path}"
    migrate.upgrade(url)
    database = Database(url, audit_anchor=path.with_suffix(".anchor"))
    _seed(database)
    database.dispose()
    return path


@pytest.fixture(scope="session")
def pg_schema_url() -> Iterator[str]:
    if not PG_URL:
        pytest.skip(PG_SKIP_REASON)
    schema = f"gf_test_{uuid.uuid4().hex[:10]}"
    admin = create_engine(PG_URL)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in PG_URL else "?"
    url = f"{PG_URL}{sep}options=-csearch_path%3D{schema}"
    migrate.upgrade(url)
    yield url
    with admin.begin() as conn:
        conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
    admin.dispose()


def _sqlite_db(template: Path, tmp_path: Path) -> Database:
    path = tmp_path / "grantflow.db"
    shutil.copy(template, path)
    return Database(f"sqlite:///{path}", audit_anchor=tmp_path / "audit-anchor.log")


def _pg_db(url: str, tmp_path: Path) -> Database:
    database = Database(url, audit_anchor=tmp_path / "audit-anchor.log")  # the schema is emptied per test
    tables = ", ".join(f'"{t.name}"' for t in reversed(Base.metadata.sorted_tables))
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    _seed(database)
    return database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db(request: pytest.FixtureRequest, sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A seeded database (demo Landkreis, Gemeinden, users), once on SQLite and once on PostgreSQL."""
    if request.param == "sqlite":
        database = _sqlite_db(sqlite_template, tmp_path)
    else:
        database = _pg_db(request.getfixturevalue("pg_schema_url"), tmp_path)
    yield database
    database.dispose()


@pytest.fixture
def sqlite_db(sqlite_template: Path, tmp_path: Path) -> Iterator[Database]:
    """A seeded SQLite database, for tests where the database kind does not matter."""
    database = _sqlite_db(sqlite_template, tmp_path)
    yield database
    database.dispose()


@contextmanager
def serve(app: Flask) -> Iterator[str]:
    """Serve a WSGI app with werkzeug in a thread on a free local port; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)


def deploy_dir(database: Database, directory: Path) -> list[definitions.DeployOutcome]:
    with database.write() as session:
        return definitions.deploy(session, definitions.Bundle.from_directory(directory), "test")


@pytest.fixture
def mini_db(db: Database) -> Database:
    """`db` with the small test process `tests/fixtures/mini` deployed."""
    deploy_dir(db, FIXTURES / "mini")
    return db


@pytest.fixture(scope="session")
def output_dir() -> Path:
    """Artifacts (screenshots, PDFs) for a human to look at; git-ignored."""
    OUTPUT_DIR.mkdir(exist_ok=True)
    return OUTPUT_DIR
