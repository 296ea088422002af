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
        assert audit.verify(session)[1] == []  # the chain alone looks fine ...
        assert not audit.contains(session, recorded[1])  # ... the recorded head tells
