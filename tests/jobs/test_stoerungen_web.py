"""The Störungen page (Administration), the "wird erstellt" notice, retry and skip over HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.conftest import FIXTURES, deploy_dir
from tests.web.conftest import make_app
from workflows import engine, jobs
from workflows.engine.services import StepContext, service
from workflows.storage.db import Database
from workflows.storage.models import Event, Job, TaskRow

FAIL = {"on": True}


@service("test_echo", asynchronous=True)
def _echo(ctx: StepContext, params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    if FAIL["on"]:
        raise RuntimeError("Druckdienst nicht erreichbar")
    return {"text": params["text"]}


@pytest.fixture
def setup(sqlite_db: Database, configure) -> tuple[Database, Any, int]:  # type: ignore[no-untyped-def]
    app = make_app(sqlite_db)  # (reads the settings from the environment)
    configure(job_max_attempts=1)
    FAIL["on"] = True
    deploy_dir(sqlite_db, FIXTURES / "stoerung")
    iid = engine.start_instance(sqlite_db, "echo_runde", "Echo 1", "sachbearbeitung").instance_id
    return sqlite_db, app, iid


def _client(app: Any, user: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = user
    return client


def _ready(db: Database, iid: int, element: str) -> list[TaskRow]:
    with db.read() as session:
        return list(session.scalars(select(TaskRow).where(TaskRow.instance_id == iid, TaskRow.element_id == element,
                                                          TaskRow.status == "ready")))


def test_submitting_shows_the_document_being_made_then_a_stoerung_that_is_retried(setup) -> None:  # type: ignore[no-untyped-def]
    db, app, iid = setup
    sb, admin = _client(app, "sachbearbeitung"), _client(app, "admin")
    (task,) = _ready(db, iid, "eingabe")
    response = sb.post(f"/tasks/{task.id}", data={"notiz": "Hallo"})
    assert response.status_code == 303 and response.location.endswith(f"/instances/{iid}")
    page = sb.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Dokument wird erstellt:" in page and "Notiz-Dokument erstellen" in page
    assert '<meta http-equiv="refresh" content="5">' in page

    jobs.run_worker(db, once=True)  # fails once: with max 1 attempt, a Störung
    assert sb.get("/admin/stoerungen/").status_code == 403
    listing = admin.get("/admin/stoerungen/").get_data(as_text=True)
    assert "Echo 1" in listing and "Notiz-Dokument erstellen" in listing
    assert "Druckdienst nicht erreichbar" in listing
    assert "<details><summary>Technische Einzelheiten</summary><pre>Traceback" in listing
    assert "Überspringen mit Begründung" in listing  # the BPMN allows it

    with db.read() as session:
        job_id = session.scalars(select(Job.id).where(Job.status == "stoerung")).one()
    FAIL["on"] = False  # the cause is fixed
    assert admin.post(f"/admin/stoerungen/{job_id}/retry").status_code == 303
    assert "Keine Störungen." in admin.get("/admin/stoerungen/").get_data(as_text=True)
    jobs.run_worker(db, once=True)
    assert len(_ready(db, iid, "pruefen")) == 1
    page = sb.get(f"/instances/{iid}").get_data(as_text=True)
    assert "Dokument wird erstellt:" not in page and 'http-equiv="refresh"' not in page
    with db.read() as session:
        assert session.scalars(select(Event.actor).where(Event.kind == "stoerung_retried")).all() == ["admin"]


def test_skip_needs_a_reason_and_continues_the_round(setup) -> None:  # type: ignore[no-untyped-def]
    db, app, iid = setup
    (task,) = _ready(db, iid, "eingabe")
    engine.complete_task(db, task.id, {"notiz": "x"}, "sachbearbeitung")
    jobs.run_worker(db, once=True)
    admin = _client(app, "admin")
    with db.read() as session:
        job_id = session.scalars(select(Job.id).where(Job.status == "stoerung")).one()
    refused = admin.post(f"/admin/stoerungen/{job_id}/skip", data={"begruendung": "  "}, follow_redirects=True)
    assert "Bitte begründen, warum übersprungen wird." in refused.get_data(as_text=True)
    assert _ready(db, iid, "pruefen") == []
    done = admin.post(f"/admin/stoerungen/{job_id}/skip", data={"begruendung": "Dokument wird von Hand erstellt"},
                      follow_redirects=True)
    assert "Der Schritt wurde übersprungen" in done.get_data(as_text=True)
    assert len(_ready(db, iid, "pruefen")) == 1
    with db.read() as session:
        job = session.get(Job, job_id)
        assert job is not None and (job.status, job.note) == ("skipped", "Dokument wird von Hand erstellt")
        (event,) = session.scalars(select(Event).where(Event.kind == "stoerung_skipped")).all()
        assert event.actor == "admin" and event.payload["begruendung"] == "Dokument wird von Hand erstellt"
    again = admin.post(f"/admin/stoerungen/{job_id}/retry")
    assert again.status_code == 409 and "bereits bearbeitet" in again.get_data(as_text=True)
