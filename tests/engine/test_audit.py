"""The audit log's hash chain detects edited and deleted rows and names them."""

from __future__ import annotations

from sqlalchemy import delete, select, text, update

from tests.engine.helpers import answer_all, start_mini
from workflows import audit
from workflows.storage.db import Database
from workflows.storage.models import Event


def test_chain_is_intact_after_a_run_and_detects_tampering(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    answer_all(mini_db, instance_id)
    with mini_db.read() as session:
        count, problems = audit.verify(session)
        ids = session.scalars(select(Event.id).where(Event.kind == "task_completed").order_by(Event.id)).all()
    assert count > 100 and problems == []
    edited, deleted = ids[3], ids[10]
    with mini_db.write() as session:
        session.execute(update(Event).where(Event.id == edited).values(payload={"data": {"anzahl": 9999}}))
        session.execute(delete(Event).where(Event.id == deleted))
    with mini_db.read() as session:
        _, problems = audit.verify(session)
    named = {p.event_id: p.message for p in problems}
    assert "verändert" in named[edited]
    assert "gelöscht" in named[deleted + 1]
    assert len(named) == 2


def test_events_of_a_rolled_back_transaction_are_not_written(mini_db: Database) -> None:
    with mini_db.read() as session:
        before = session.scalar(text("SELECT count(*) FROM event"))
    try:
        with mini_db.write() as session:
            audit.record(session, "nothing", None, None, {})
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    with mini_db.write() as session:
        audit.record(session, "something", None, None, {"a": 1})
    with mini_db.read() as session:
        assert session.scalar(text("SELECT count(*) FROM event")) == before + 1
        assert audit.verify(session)[1] == []


def test_cutting_rows_off_the_end_is_detected_against_a_recorded_head(mini_db: Database) -> None:
    start_mini(mini_db)
    with mini_db.read() as session:
        recorded = audit.head(session)
    assert recorded is not None
    with mini_db.write() as session:
        session.execute(delete(Event).where(Event.id >= recorded[0] - 2))
    with mini_db.read() as session:
        session.info["audit_anchor"] = None
        assert audit.verify(session)[1] == []  # the chain alone looks fine ...
        assert not audit.contains(session, recorded[1])  # ... the recorded head tells
    with mini_db.read() as session:  # ... and so does the anchor outside the database, without a recorded head
        (problem,) = audit.verify(session)[1]
    assert problem.event_id == recorded[0] and "Ende wurden gelöscht" in problem.message


def test_a_rewritten_and_recomputed_chain_is_detected_without_the_key(mini_db: Database) -> None:
    """Whoever can write the table recomputes every hash after an edit, but has no key: the MACs tell."""
    start_mini(mini_db)
    with mini_db.write() as session:
        rows = session.scalars(select(Event).order_by(Event.id)).all()
        head = audit.GENESIS
        for row in rows:
            if row.kind == "instance_started":
                row.payload = {**row.payload, "business_key": "Umgeschrieben"}
            guessed_key = b"not the key"
            row.prev_hash = head
            row.hash = audit.compute_hash(head, row.kind, row.actor, row.instance_id, row.task_id, row.created_at,
                                          row.payload, guessed_key)
            head = row.hash
    with mini_db.read() as session:
        count, problems = audit.verify(session)
    assert len(problems) >= count and all("verändert" in p.message or "Anker" in p.message for p in problems)


def test_a_rewritten_end_is_detected_by_the_anchor_even_with_the_key(mini_db: Database) -> None:
    start_mini(mini_db)
    with mini_db.write() as session:
        newest = session.scalars(select(Event).order_by(Event.id.desc()).limit(1)).one()
        newest.payload = {"umgeschrieben": True}
        newest.payload_hash = audit.payload_digest(newest.payload)
        newest.hash = audit.compute_hash(newest.prev_hash, newest.kind, newest.actor, newest.instance_id,
                                         newest.task_id, newest.created_at, None, payload_hash=newest.payload_hash)
    with mini_db.read() as session:
        (problem,) = audit.verify(session)[1]
    assert problem.event_id == newest.id and "umgeschrieben" in problem.message


def test_the_key_is_not_in_the_database(mini_db: Database) -> None:
    from workflows.audit.keys import audit_key

    start_mini(mini_db)
    key = audit_key().decode()
    with mini_db.read() as session:
        for row in session.scalars(select(Event)):
            assert key not in str(row.payload)
    assert mini_db.audit_anchor.exists()


def test_plain_audit_verify_detects_a_cut_off_end(mini_db: Database) -> None:
    import os
    import subprocess
    import sys
    from pathlib import Path

    grantflow = str(Path(sys.executable).parent / "grantflow")
    env = {**os.environ, "DATABASE_URL": mini_db.url, "GRANTFLOW_AUDIT_ANCHOR": str(mini_db.audit_anchor)}
    start_mini(mini_db)

    def verify(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([grantflow, "audit", "verify", *args], capture_output=True, text=True, env=env,
                              timeout=120)

    intact = verify()
    assert intact.returncode == 0 and "Protokoll intakt" in intact.stdout
    with mini_db.read() as session:
        recorded = audit.head(session)
    assert recorded is not None
    assert verify("--expect-head", recorded[1]).returncode == 0
    with mini_db.write() as session:
        session.execute(delete(Event).where(Event.id >= recorded[0] - 2))
    cut = verify()
    assert cut.returncode == 1 and "Ende wurden gelöscht" in cut.stderr and "Traceback" not in cut.stderr
    assert "fehlt" in verify("--expect-head", recorded[1]).stderr
