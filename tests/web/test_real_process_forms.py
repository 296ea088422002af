"""Every form of the real process (bpmn/ + forms/) renders; on the real round each task page shows its form,
and a bad submission of each answers 422 with the German messages beside the fields."""

from __future__ import annotations

import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template_string
from flask.testing import FlaskClient

from tests.web import grant_round as gr
from tests.web.conftest import make_app
from webapp.web import formdata
from workflows import clock, engine, inbox
from workflows.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
FORMS = sorted((ROOT / "forms").glob("*.schema.json"))
MESSAGES = sorted((ROOT / "forms" / "messages").glob("*.schema.json"))
pytestmark = pytest.mark.skipif(not (ROOT / "bpmn" / "grant_round.bpmn").exists(), reason="no real process yet")
TEMPLATE = '{% from "_macros.html" import field %}{% for f in fields %}{{ field(f) }}{% endfor %}'
REQUIRED = "Bitte ausfüllen."


@pytest.fixture
def real_app(sqlite_db: Database) -> Flask:
    gr.deploy(sqlite_db)
    return make_app(sqlite_db)


def _example(prop: dict[str, Any]) -> Any:
    """Some value of the property's type (to render read-only fields, which are hidden when empty)."""
    if "enum" in prop:
        return prop["enum"][0]
    return {"number": 1.5, "integer": 2, "boolean": True}.get(prop.get("type", "string"), "2018-03-01"
                                                               if prop.get("format") == "date" else "Text")


@pytest.mark.parametrize("path", FORMS + MESSAGES, ids=lambda p: p.name)
def test_each_form_renders_with_labels_bound_to_inputs(path: Path, real_app: Flask) -> None:
    schema = json.loads(path.read_text())
    filled = {k: _example(p) for k, p in schema["properties"].items() if p.get("readOnly") and p.get("type") != "array"}
    fields = formdata.build_fields(schema, formdata.to_raw(schema, filled))
    with real_app.test_request_context():
        html = render_template_string(TEMPLATE, fields=fields)
    for f in fields:
        assert f.label in html or f.label.replace("&", "&amp;") in html
        if f.widget not in ("rows", "group", "radio", "multi"):
            assert f'for="{f.id}"' in html and f'id="{f.id}"' in html, f.name
        if f.attrs.get("readonly") and f.widget not in ("rows", "group"):
            assert f'<output id="{f.id}"' in html and f'name="{f.name}"' not in html, f.name
    # an empty submission converts and validates without crashing
    data, _ = formdata.parse(schema, {})
    assert isinstance(data, dict)


def client_for(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = user
    return client


def refused(app: Flask, user: str, task_id: int, data: dict[str, Any], *messages: str) -> str:
    """GET the task page (200, form shown), POST `data`: 422, the messages beside the fields, task still open."""
    client = client_for(app, user)
    page = client.get(f"/tasks/{task_id}")
    assert page.status_code == 200 and "Absenden und Aufgabe erledigen" in page.get_data(as_text=True)
    response = client.post(f"/tasks/{task_id}", data=data)
    text = response.get_data(as_text=True).replace("\xa0", " ")
    assert response.status_code == 422, (task_id, text[:3000])
    assert "Bitte prüfen Sie Ihre Eingaben" in text and 'class="field-error"' in text, text[text.find("<main"):][:4000]
    for message in messages:
        assert message in text, (task_id, message)
    return text


def one(db: Database, user: str, element: str) -> int:
    return int(gr.one(db, user, element).id)


@pytest.mark.timeout(900)  # the whole round: 34 postings since the demo tells the 32-posts story
def test_every_task_form_of_the_round_refuses_bad_input_in_german(real_app: Flask, sqlite_db: Database) -> None:
    db, app = sqlite_db, real_app
    iid = engine.start_instance(db, "grant_round", gr.BUSINESS_KEY, gr.SB).instance_id
    task = one(db, gr.SB, "runde_eroeffnen")
    text = refused(app, gr.SB, task, {"foerdersatz_vza_jahr": "viel", "rueckmeldefrist": "morgen"},
                   REQUIRED, "Bitte einen Betrag", "Datum")
    assert "Förderrunde" in text
    engine.complete_task(db, task, gr.prefill(db, task, gr.SB), gr.SB)

    # the Gemeinde: the 51.000 € rule, beside the field; and the required answer
    (answer,) = gr.ready(db, gr.SMALL_GEMEINDE, "rueckmeldung_abgeben")
    refused(app, gr.SMALL_GEMEINDE, answer.id, {"ansprechperson": "Frau Roth"}, REQUIRED)
    text = refused(app, gr.SMALL_GEMEINDE, answer.id, {"entscheidung": "eigene_durchfuehrung",
                                                       "anzahl_gefluechtete": "20", "ansprechperson": "Frau Roth"},
                   "51.000,00 €")
    assert 'value="Frau Roth"' in text  # the input is kept
    gr.answer(db)
    gr.close_survey(db, iid)

    task = one(db, gr.SB, "stellenbemessung_pruefen")
    review = gr.prefill(db, task, gr.SB)
    raw = {k: v[0] for k, v in formdata.to_raw(inbox.get_task(db, task, gr.SB).schema, review).items() if v}
    raw["anteile.0.vza"] = "0,3"
    refused(app, gr.SB, task, raw, "0,25")
    raw["anteile.0.vza"] = formdata.display_value({"type": "number"}, review["anteile"][0]["vza"] + 0.25)
    raw["anteile.1.vza"] = formdata.display_value({"type": "number"}, review["anteile"][1]["vza"] - 0.25)
    refused(app, gr.SB, task, raw, "Begründung")
    gr.review(db)

    task = one(db, gr.SB, "beschlussvorlage_entwerfen")
    refused(app, gr.SB, task, {"betreff": "", "sitzungsdatum": "31.02.2018"}, REQUIRED, "Datum")
    gr.draft(db)
    refused(app, gr.DZ, one(db, gr.DZ, "beschlussvorlage_freigeben"), {}, REQUIRED)
    refused(app, gr.DZ, one(db, gr.DZ, "beschlussvorlage_freigeben"), {"entscheidung": "zurueck"}, "Kommentar")
    gr.release(db)

    (vote,) = gr.ready(db, "ausschuss2", "stimme_abgeben")
    refused(app, "ausschuss2", vote.id, {}, REQUIRED)
    refused(app, "ausschuss2", vote.id, {"stimme": "vielleicht"}, "Bitte einen der vorgegebenen Werte wählen.")
    gr.vote(db)

    refused(app, gr.SB, one(db, gr.SB, "antrag_vervollstaendigen"), {"iban": "DE00"}, REQUIRED, "IBAN")
    gr.apply(db)

    posting = gr.ready(db, gr.PA, "ausschreibung_entwerfen")[0].id
    refused(app, gr.PA, posting, {"vza": "1,1", "titel": "Integrationsmanager"}, REQUIRED)
    for p in gr.ready(db, gr.PA, "ausschreibung_entwerfen"):
        gr.complete(db, p.id, gr.prefill(db, p.id, gr.PA), gr.PA)  # and the worker makes the PDF
    publish = gr.ready(db, gr.PA, "ausschreibung_veroeffentlichen")[0].id
    refused(app, gr.PA, publish, {"veroeffentlicht_am": "gestern"}, "Datum")
    frist = date.fromisoformat(inbox.get_task(db, publish, gr.PA).context["ausschreibung"]["bewerbungsfrist"])
    for day, message in ((frist + timedelta(days=1), f"bis zum Ende der Bewerbungsfrist ({frist:%d.%m.%Y})"),
                         (clock.today() + timedelta(days=1), f"nicht nach heute ({clock.today():%d.%m.%Y})")):
        refused(app, gr.PA, publish, {"veroeffentlicht_am": day.isoformat(), "kanaele": ["internet",
                                                                                    "agentur_fuer_arbeit"]}, message)
    gr.post_published(db)

    task = gr.ready(db, gr.PA, "bewerbungen_erfassen")[0].id
    refused(app, gr.PA, task, {"bewerbungen.__rows": "1", "bewerbungen.0.qualifikation": "a"}, REQUIRED)
    rows = {"bewerbungen.__rows": "2", "bewerbungen.0.name": "A", "bewerbungen.0.qualifikation": "a",
            "bewerbungen.0.einladen": "1", "bewerbungen.1.name": "S", "bewerbungen.1.qualifikation": "c",
            "bewerbungen.1.schwerbehindert": "1"}
    refused(app, gr.PA, task, rows, "§ 165 SGB IX")
    gr.applications(db)

    task = sorted(gr.ready(db, gr.PA, "auswahl_treffen"), key=lambda t: t.id)[0].id
    refused(app, gr.PA, task, {"name": "A", "stufe": "sieben", "beginn_geplant": "bald"}, REQUIRED)
    gr.choose_first(db)
    (pr,) = gr.ready(db, gr.PR, "personalrat_zustimmung")
    text = refused(app, gr.PR, pr.id, {"entscheidung": "verweigert"}, "Begründung")
    assert "S 11b" in text  # what the Personalrat decides on is shown
    gr.complete(db, pr.id, {"entscheidung": "erteilt"}, gr.PR)
    (hire,) = gr.ready(db, gr.PA, "einstellung_vornehmen")
    refused(app, gr.PA, hire.id, {"arbeitsvertrag_am": "1.2."}, REQUIRED)
