"""Backup while steps run, restore into an empty database, and carry on there."""

from __future__ import annotations

import shutil
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, make_url, select, text

from tests.conftest import PG_URL
from tests.engine.helpers import gemeinde_user, ready_rows, run_to_end, start_mini
from tests.operations.processes import cli, environment
from workflows import audit, engine
from workflows.audit import keys
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

AUDIT_KEY = keys.audit_key().decode()  # the commands sign and check the chain with the tests' own key


@pytest.fixture
def empty_target(mini_db: Database, tmp_path: Path) -> Iterator[str]:
    """An empty database of the same kind as `mini_db` (PostgreSQL: a fresh database, dropped afterwards)."""
    if mini_db.is_sqlite:
        yield f"sqlite:///{tmp_path / 'wiederhergestellt.db'}"
        return
    assert shutil.which("pg_dump") and shutil.which("pg_restore"), "pg_dump/pg_restore missing: make test installs them"
    name = f"gf_restore_{uuid.uuid4().hex[:10]}"
    admin = create_engine(str(PG_URL), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(mini_db.url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def test_backup_while_steps_run_then_restore_and_finish_the_round(mini_db: Database, empty_target: str,
                                                                  tmp_path: Path) -> None:
    round_id = start_mini(mini_db)
    rows = ready_rows(mini_db, round_id, "answer")
    users = {row.id: gemeinde_user(mini_db, str(row.assignee_gemeinde)) for row in rows}
    answered: list[int] = []

    def answer_in_background() -> None:
        for row in rows[:30]:
            engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 1}, users[row.id])
            answered.append(row.id)

    worker = threading.Thread(target=answer_in_background)
    worker.start()
    while len(answered) < 3:  # the backup starts in the middle of the answers
        worker.join(timeout=0.05)
    file = tmp_path / "sicherung.bin"
    source_env = environment(GRANTFLOW_AUDIT_KEY=AUDIT_KEY, DATABASE_URL=mini_db.url,
                             GRANTFLOW_INSTANCE_DIR=str(tmp_path))
    out = cli(source_env, "backup", str(file)).stdout
    worker.join(timeout=120)
    assert "Sicherung geschrieben" in out and not worker.is_alive() and len(answered) == 30

    target_env = environment(GRANTFLOW_AUDIT_KEY=AUDIT_KEY, DATABASE_URL=empty_target,
                             GRANTFLOW_INSTANCE_DIR=str(tmp_path))
    assert "Sicherung eingespielt" in cli(target_env, "restore", str(file)).stdout
    assert "nicht leer" in cli(target_env, "restore", str(file), ok=False).stderr  # never over live data
    assert "gibt es schon" in cli(target_env, "backup", str(file), ok=False).stderr
    assert "Protokoll intakt" in cli(target_env, "audit", "verify").stdout

    restored = Database(empty_target)
    try:
        with restored.read() as session:
            done = set(session.scalars(select(TaskRow.id).where(TaskRow.instance_id == round_id,
                                                                TaskRow.status == "completed")))
            count, problems = audit.verify(session)
        assert problems == [] and count > 0
        assert set(answered[:3]) <= done <= set(answered)  # a consistent moment: whole steps only
        run_to_end(restored, round_id)
        with restored.read() as session:
            assert session.get(ProcessInstance, round_id).status == "completed"  # type: ignore[union-attr]
            assert audit.verify(session)[1] == []
    finally:
        restored.dispose()


def test_restore_refuses_a_file_of_the_wrong_kind(sqlite_db: Database, tmp_path: Path) -> None:
    junk = tmp_path / "kein-backup.bin"
    junk.write_bytes(b"PGDMP\x01\x0e")
    env = environment(GRANTFLOW_AUDIT_KEY=AUDIT_KEY, DATABASE_URL=f"sqlite:///{tmp_path / 'neu.db'}",
                      GRANTFLOW_INSTANCE_DIR=str(tmp_path))
    assert "keine SQLite-Sicherung" in cli(env, "restore", str(junk), ok=False).stderr
    assert not (tmp_path / "neu.db").exists() or (tmp_path / "neu.db").stat().st_size == 0
