"""The job queue on a real database: once each, retries with backoff, a Störung after N failures,
a lease that runs out makes a job claimable again, three workers never run a job twice."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from workflows import jobs
from workflows.storage.db import Database
from workflows.storage.models import Event, Job, utcnow

RUNS: Counter[int] = Counter()
_LOCK = threading.Lock()
FAILURES: dict[int, int] = {}


@pytest.fixture(autouse=True)
def _fresh_counters() -> None:
    """Job ids start at 1 again in every test database."""
    RUNS.clear()
    FAILURES.clear()


@jobs.handler("test.count")
def _count(db: Database, job: jobs.ClaimedJob) -> None:
    with _LOCK:
        RUNS[job.id] += 1


@jobs.handler("test.flaky")
def _flaky(db: Database, job: jobs.ClaimedJob) -> None:
    """Fails the first `fail` times it runs."""
    with _LOCK:
        FAILURES[job.id] = FAILURES.get(job.id, 0) + 1
        if FAILURES[job.id] <= job.payload["fail"]:
            raise jobs.JobError("Der Testauftrag ist absichtlich fehlgeschlagen.", "detail: attempt")


def _enqueue(db: Database, kind: str, n: int, **payload: object) -> list[int]:
    with db.write() as session:
        return [jobs.enqueue(session, kind, dict(payload)).id for _ in range(n)]  # type: ignore[union-attr]


def _statuses(db: Database) -> Counter[str]:
    with db.read() as session:
        return Counter(session.scalars(select(Job.status)))


def test_each_job_runs_once(db: Database, configure) -> None:
    ids = _enqueue(db, "test.count", 5)
    assert jobs.run_worker(db, once=True) == 5
    assert [RUNS[i] for i in ids] == [1] * 5
    assert jobs.run_worker(db, once=True) == 0
    assert _statuses(db) == Counter({"done": 5})


def test_unique_key_enqueues_once(db: Database, configure) -> None:
    with db.write() as session:
        first = jobs.enqueue(session, "test.count", {}, unique_key="mail:1:offenburg")
        second = jobs.enqueue(session, "test.count", {}, unique_key="mail:1:offenburg")
    assert first is not None and second is None
    assert _statuses(db) == Counter({"pending": 1})


def test_failure_retries_with_backoff_then_succeeds(db: Database, configure) -> None:
    configure(job_retry_base_seconds=3600.0)
    (job_id,) = _enqueue(db, "test.flaky", 1, fail=1)
    assert jobs.run_worker(db, once=True) == 1  # failed; next try in an hour
    with db.read() as session:
        row = session.get(Job, job_id)
        assert row.status == "pending" and row.attempts == 1
        assert row.last_error == "Der Testauftrag ist absichtlich fehlgeschlagen."
        assert row.run_after > utcnow() + timedelta(minutes=59)
    assert jobs.run_worker(db, once=True) == 0  # not due yet
    assert jobs.claim(db, "w", now=utcnow() + timedelta(hours=1, seconds=1)) is not None


def test_n_failures_make_a_stoerung(db: Database, configure) -> None:
    configure(job_max_attempts=3)
    (job_id,) = _enqueue(db, "test.flaky", 1, fail=99)
    assert jobs.run_worker(db, once=True) == 3
    with db.read() as session:
        row = session.get(Job, job_id)
        assert (row.status, row.attempts) == ("stoerung", 3)
        assert "attempt" in (row.last_error_detail or "")
        kinds = list(session.scalars(select(Event.kind).where(Event.kind == "stoerung")))
    assert kinds == ["stoerung"]
    assert jobs.run_worker(db, once=True) == 0


def test_unknown_kind_fails_with_german_message(db: Database, configure) -> None:
    configure(job_max_attempts=1)
    _enqueue(db, "test.unknown", 1)
    jobs.run_worker(db, once=True)
    with db.read() as session:
        row = session.scalars(select(Job)).one()
    assert row.status == "stoerung" and row.last_error == "Unbekannte Auftragsart 'test.unknown'."


def test_expired_lease_is_claimed_again(db: Database, configure) -> None:
    configure(job_lease_seconds=60.0)
    (job_id,) = _enqueue(db, "test.count", 1)
    first = jobs.claim(db, "dead-worker")
    assert first is not None and first.id == job_id
    assert jobs.claim(db, "other") is None  # still leased
    again = jobs.claim(db, "other", now=utcnow() + timedelta(seconds=61))
    assert again is not None and again.id == job_id and again.attempts == 2
    with db.write() as session:
        assert not jobs.mark_done(session, first)  # the dead worker no longer holds it
        assert jobs.mark_done(session, again)


@pytest.mark.postgres
@pytest.mark.timeout(240)
def test_three_workers_run_1000_jobs_each_exactly_once(pg_schema_url: str, configure, tmp_path: Path) -> None:
    from tests.conftest import _pg_db

    db = _pg_db(pg_schema_url, tmp_path)
    try:
        ids = set(_enqueue(db, "test.count", 1000))
        workers = [Database(pg_schema_url) for _ in range(3)]
        done: list[int] = []
        threads = [threading.Thread(target=lambda w=w, i=i: done.append(jobs.run_worker(w, once=True, worker=f"w{i}")))
                   for i, w in enumerate(workers)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=200)
        assert sum(done) == 1000
        assert {i: RUNS[i] for i in ids} == dict.fromkeys(ids, 1)
        with db.read() as session:
            assert session.scalar(select(func.count()).select_from(Job).where(Job.status == "done")) == 1000
            assert session.scalar(select(func.max(Job.attempts))) == 1
        assert all(d > 0 for d in done), done  # all three took part
        for w in workers:
            w.dispose()
    finally:
        db.dispose()


@pytest.mark.timeout(60)
def test_the_development_server_runs_a_worker_thread(sqlite_db: Database, configure) -> None:
    from tests.web.conftest import make_app
    from webapp.worker_thread import start_background_worker

    app = make_app(sqlite_db)
    configure(worker_poll_seconds=0.05)
    thread = start_background_worker(app)
    try:
        (job_id,) = _enqueue(sqlite_db, "test.count", 1)
        deadline = threading.Event()
        for _ in range(400):
            if RUNS[job_id]:
                break
            deadline.wait(0.05)
        assert RUNS[job_id] == 1
    finally:
        app.extensions["grantflow_worker_stop"].set()
        thread.join(timeout=10)
    assert not thread.is_alive()
