"""Every form of the real process (bpmn/ + forms/) renders; its first task pages work over HTTP."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from tests.conftest import deploy_dir
from tests.web.conftest import make_app
from webapp import formdata
from workflows import engine, inbox
from workflows.db import Database

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "forms").glob("*.schema.json"))
MESSAGES = sorted((ROOT / "forms" / "messages").glob("*.schema.json"))
pytestmark = pytest.mark.skipif(not (ROOT / "bpmn" / "grant_round.bpmn").exists(), reason="no real process yet")
TEMPLATE = '{% from "_macros.html" import field %}{% for f in fields %}{{ field(f) }}{% endfor %}'


@pytest.fixture
def real_app(sqlite_db: Database) -> Flask:
    deploy_dir(sqlite_db, ROOT)
    return make_app(sqlite_db)


@pytest.mark.parametrize("path", FORMS + MESSAGES, ids=lambda p: p.name)
def test_each_form_renders_with_labels_bound_to_inputs(path: Path, real_app: Flask) -> None:
    schema = json.loads(path.read_text())
    fields = formdata.build_fields(schema, {})
    with real_app.test_request_context():
        html = render_template_string(TEMPLATE, fields=fields)
    for f in fields:
        assert f.label in html or f.label.replace("&", "&amp;") in html
        if f.widget not in ("rows", "group", "radio", "multi"):
            assert f'for="{f.id}"' in html and f'id="{f.id}"' in html, f.name
    # an empty submission converts and validates without crashing
    data, _ = formdata.parse(schema, {})
    assert isinstance(data, dict)


def test_first_steps_of_the_grant_round_over_http(real_app: Flask, sqlite_db: Database) -> None:
    iid = engine.start_instance(sqlite_db, "grant_round", "Ortenaukreis 2026-2027", "sachbearbeitung",
                                {"landkreis": "ortenaukreis"}).instance_id
    client = real_app.test_client()
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    (task,) = inbox.list_tasks(sqlite_db, "sachbearbeitung").items
    page = client.get(f"/tasks/{task.id}")
    assert page.status_code == 200 and "Förderrunde" in page.get_data(as_text=True)
    initial = inbox.get_task(sqlite_db, task.id, "sachbearbeitung").initial
    posted = {k: v[0] for k, v in formdata.to_raw(task_schema(sqlite_db, task.id), initial).items() if v}
    response = client.post(f"/tasks/{task.id}", data=posted)
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    detail = client.get(f"/instances/{iid}").get_data(as_text=True)
    assert 'data-element-id="gemeinde_abfrage"' in detail or 'data-element-id="rueckmeldung_abgeben"' in detail
    gemeinde = real_app.test_client()
    with gemeinde.session_transaction() as session:
        session["user"] = "offenburg"
    (answer,) = inbox.list_tasks(sqlite_db, "offenburg").items
    form = gemeinde.get(f"/tasks/{answer.id}").get_data(as_text=True)
    assert "Übertragung an den Landkreis" in form and 'type="radio"' in form and "Offenburg" in form


def task_schema(db: Database, task_id: int) -> dict[str, object]:
    return inbox.get_task(db, task_id, "sachbearbeitung").schema
