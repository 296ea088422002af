"""One round's failing deadline step becomes a Störung; the other rounds' timers still fire; after
the data is corrected (or a new definition version moves the round past the cause), "Erneut
versuchen" continues the round."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from tests.conftest import FIXTURES, deploy_dir
from workflows import engine, jobs
from workflows.engine import definitions, migration, stoerungen
from workflows.errors import Conflict, Forbidden
from workflows.storage.db import Database
from workflows.storage.models import Event, Gemeinde, Job, Landkreis, ProcessInstance

AFTER_ALL_DEADLINES = datetime.fromisoformat("2030-03-01T00:00:00+01:00")


def _start(db: Database, key: str, landkreis: str, frist: str) -> int:
    return engine.start_instance(db, "frist_runde", key, "sachbearbeitung",
                                 {"landkreis": landkreis, "frist": frist}).instance_id


def _status(db: Database, instance_id: int) -> str:
    with db.read() as session:
        return session.get(ProcessInstance, instance_id).status  # type: ignore[union-attr]


def _timer_events(db: Database, instance_id: int) -> int:
    with db.read() as session:
        return len(session.scalars(select(Event.id).where(Event.instance_id == instance_id,
                                                          Event.kind == "timer_fired")).all())


def test_failing_deadline_is_a_stoerung_and_others_fire(db: Database, configure) -> None:
    configure(job_max_attempts=2)
    deploy_dir(db, FIXTURES / "stoerung")
    with db.write() as session:  # one Gemeinde: the deadline path's share divides by zero
        kreis = Landkreis(key="leerkreis", name="Leerkreis (erst eine Gemeinde)")
        session.add(kreis)
        session.flush()
        session.add(Gemeinde(ags="09999000", name="Altdorf", landkreis_id=kreis.id))
    broken = _start(db, "Leerkreis 2030", "leerkreis", "2030-01-10")  # earliest deadline: first in line
    others = [_start(db, f"Ortenaukreis 2030-{i}", "ortenaukreis", f"2030-01-{20 + i}") for i in range(3)]

    assert engine.fire_due_timers(db, now=AFTER_ALL_DEADLINES) == 3
    assert [_status(db, i) for i in others] == ["completed"] * 3
    assert _status(db, broken) == "running"
    assert _timer_events(db, broken) == 0  # rolled back: nothing half-done

    # the ticker leaves the round alone while its job is open; the worker retries it until the Störung
    assert engine.fire_due_timers(db, now=AFTER_ALL_DEADLINES) == 0
    jobs.run_worker(db, once=True)
    (info,) = stoerungen.list_stoerungen(db, "admin")
    assert (info.instance_id, info.business_key, info.attempts, info.skippable) == (broken, "Leerkreis 2030", 2, False)
    assert "Der Prozessschritt ist fehlgeschlagen" in info.error and "Ursache: Division durch null" in info.error
    assert "ZeroDivisionError" in info.detail
    assert engine.fire_due_timers(db, now=AFTER_ALL_DEADLINES) == 0
    assert _status(db, broken) == "running"

    try:
        stoerungen.list_stoerungen(db, "sachbearbeitung")
        raise AssertionError("only Administration sees Störungen")
    except Forbidden:
        pass
    try:
        stoerungen.skip(db, info.id, "admin", "geht nicht")
        raise AssertionError("a timer step may not be skipped")
    except Conflict as exc:
        assert "nicht übersprungen" in exc.message

    # the data is corrected: the Landkreis gets its second Gemeinde; then "Erneut versuchen"
    with db.write() as session:
        kreis = session.scalars(select(Landkreis).where(Landkreis.key == "leerkreis")).one()
        session.add(Gemeinde(ags="09999001", name="Neudorf", landkreis_id=kreis.id))
    stoerungen.retry(db, info.id, "admin")
    assert stoerungen.list_stoerungen(db, "admin") == []
    jobs.run_worker(db, once=True)
    assert _status(db, broken) == "completed"
    assert _timer_events(db, broken) == 1
    with db.read() as session:
        job = session.get(Job, info.id)
        assert job is not None and job.status == "done"
        kinds = session.scalars(select(Event.kind).where(Event.instance_id == broken)).all()
    assert "stoerung" in kinds and "stoerung_retried" in kinds
    try:
        stoerungen.retry(db, info.id, "admin")
        raise AssertionError("a finished job is no Störung any more")
    except Conflict:
        pass


def test_a_new_definition_version_mends_the_stoerung_then_retry_continues(db: Database, configure) -> None:
    configure(job_max_attempts=1)
    deploy_dir(db, FIXTURES / "stoerung")
    with db.write() as session:
        kreis = Landkreis(key="leerkreis", name="Leerkreis (erst eine Gemeinde)")
        session.add(kreis)
        session.flush()
        session.add(Gemeinde(ags="09999000", name="Altdorf", landkreis_id=kreis.id))
    broken = _start(db, "Leerkreis 2030", "leerkreis", "2030-01-10")
    engine.fire_due_timers(db, now=AFTER_ALL_DEADLINES)
    jobs.run_worker(db, once=True)
    (info,) = stoerungen.list_stoerungen(db, "admin")
    assert info.instance_id == broken and "Division durch null" in info.error

    # the cause is fixed in the process: a new version whose condition cannot divide by zero
    source = (FIXTURES / "stoerung" / "bpmn" / "frist_runde.bpmn").read_text()
    mended = source.replace("100 / (len(gemeinden) - 1) &gt; 10", "100 / max(len(gemeinden) - 1, 1) &gt; 10")
    assert mended != source
    bundle = definitions.Bundle.from_directory(FIXTURES / "stoerung").with_file("bpmn/frist_runde.bpmn",
                                                                                mended.encode())
    with db.write() as session:
        (outcome,) = [o for o in definitions.deploy(session, bundle, "admin") if o.key == "frist_runde"]
    (moved,) = migration.migrate_instances(db, "frist_runde", outcome.version, "admin").rounds
    assert moved.moved, moved.reasons
    stoerungen.retry(db, info.id, "admin")
    jobs.run_worker(db, once=True)
    assert _status(db, broken) == "completed" and stoerungen.list_stoerungen(db, "admin") == []
