"""Documents are made after the step: the person's step returns at once, the process waits at the
document task, the worker renders and continues the round; a worker killed while it renders
leaves nothing behind, and the job runs again to exactly one document version."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from tests.web import grant_round as gr
from workflows import engine, inbox, jobs
from workflows.storage.db import Database
from workflows.storage.models import Document, Job

GRANTFLOW = Path(sys.executable).parent / "grantflow"
STEP = "Beschlussvorlage erzeugen (PDF)"


def _submit_draft(db: Database) -> int:
    iid = gr.drive(db, "vorlage")
    task = gr.one(db, gr.SB, "beschlussvorlage_entwerfen")
    engine.complete_task(db, task.id, dict(gr.prefill(db, task.id, gr.SB), vorlagen_nr="VA/12/2017"), gr.SB)
    return iid


def _documents(db: Database, iid: int) -> list[tuple[str, int]]:
    with db.read() as session:
        return [(d.kind, d.version) for d in session.scalars(select(Document).where(Document.instance_id == iid))]


def _mails_to(db: Database) -> list[str]:
    with db.read() as session:
        return [j.payload["to"] for j in session.scalars(select(Job).where(Job.kind == "mail", Job.status == "done"))
                if "Beschlussvorlage freigeben" in j.payload["subject"]]


def _job(db: Database) -> Job:
    with db.read() as session:
        return session.scalars(select(Job).where(Job.kind == "service_task")).one()


@pytest.mark.timeout(240)
def test_the_process_waits_at_the_document_task_until_the_worker_made_it(db: Database) -> None:
    iid = _submit_draft(db)
    assert gr.ready(db, gr.DZ, "beschlussvorlage_freigeben") == []  # no Freigabe without the PDF
    assert _documents(db, iid) == []
    summary = inbox.get_instance(db, iid, gr.SB).instance.summary
    assert summary["in_progress"] == [STEP]
    job = _job(db)
    assert (job.status, job.task_ref, job.title, job.instance_id) == ("pending", "beschlussvorlage_erzeugen", STEP, iid)

    assert jobs.run_worker(db, once=True) == 2  # the PDF, then the mail about the Freigabe it made ready
    assert _documents(db, iid) == [("beschlussvorlage", 1)]
    assert _mails_to(db) == ["dezernat@example.org"]
    assert len(gr.ready(db, gr.DZ, "beschlussvorlage_freigeben")) == 1
    detail = inbox.get_instance(db, iid, gr.SB)
    assert detail.instance.summary["in_progress"] == []
    assert detail.data["dok_beschlussvorlage"]["kind"] == "beschlussvorlage"
    assert _job(db).status == "done"
    assert jobs.run_worker(db, once=True) == 0


def _wait_for(predicate, seconds: float = 60.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


@pytest.mark.timeout(240)
def test_a_worker_killed_while_rendering_leaves_nothing_and_the_job_runs_again(db: Database) -> None:
    iid = _submit_draft(db)
    env = {**os.environ, "DATABASE_URL": db.url, "GRANTFLOW_WORKER_POLL_SECONDS": "0.05"}
    worker = subprocess.Popen([str(GRANTFLOW), "worker"], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        _wait_for(lambda: _job(db).status == "running")
        os.kill(worker.pid, signal.SIGKILL)  # while it renders (seconds: WeasyPrint in a fresh process)
        worker.wait(timeout=30)
    finally:
        if worker.poll() is None:
            worker.kill()
    assert worker.returncode == -signal.SIGKILL
    killed = _job(db)
    assert (killed.status, killed.attempts) == ("running", 1)  # claimed by the dead worker, never finished
    assert str(worker.pid) in (killed.locked_by or "")
    assert _documents(db, iid) == []
    assert gr.ready(db, gr.DZ, "beschlussvorlage_freigeben") == []

    time.sleep(1.2)  # the dead worker's lease (1 s for the next worker) runs out
    again = subprocess.run([str(GRANTFLOW), "worker", "--once"], env={**env, "GRANTFLOW_JOB_LEASE_SECONDS": "1"},
                           capture_output=True, text=True, timeout=180)
    assert again.returncode == 0, again.stderr
    assert "2 Aufträge ausgeführt." in again.stdout  # the PDF and the mail about the Freigabe
    done = _job(db)
    assert (done.status, done.attempts) == ("done", 2)
    assert _documents(db, iid) == [("beschlussvorlage", 1)]  # exactly one version
    (freigabe,) = gr.ready(db, gr.DZ, "beschlussvorlage_freigeben")  # the round continues
    engine.complete_task(db, freigabe.id, {"entscheidung": "freigeben"}, gr.DZ)
    assert len(gr.ready(db, "ausschuss2", "stimme_abgeben")) == 1
