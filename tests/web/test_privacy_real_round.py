"""A Gemeinde never sees another Gemeinde's data: every page it can open, on the real round, at two stages."""

from __future__ import annotations

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web import grant_round as gr
from tests.web.conftest import make_app
from workflows import inbox
from workflows.storage.db import Database
from workflows.storage.models import Document

OWN = "offenburg"
#: other Gemeinden (names, an AGS, a username), the other regional teams, and what only the Landkreis may see
#: (its own team, Regionalteam Kinzigtal, is Offenburg's own master data)
FOREIGN = ("Achern", "Nordrach", "Appenweier", "Kappel-Grafenhausen", "08317001", "(achern)", "nordrach",
           "Rückmeldungen der Gemeinden", "4.112.549,28", "Acher-Renchtal", "Lahr Umland", "Zwischenstand")


@pytest.fixture
def app(sqlite_db: Database) -> Flask:
    gr.deploy(sqlite_db)
    return make_app(sqlite_db)


def client(app: Flask, user: str = OWN) -> FlaskClient:
    c = app.test_client()
    with c.session_transaction() as session:
        session["user"] = user
    return c


def assert_private(c: FlaskClient, paths: list[str]) -> None:
    for path in paths:
        response = c.get(path)
        assert response.status_code == 200, path
        text = response.get_data(as_text=True)
        leaked = [s for s in FOREIGN if s in text]
        assert not leaked, (path, leaked)


@pytest.mark.timeout(180)
def test_gemeinde_sees_only_its_own_data(app: Flask, sqlite_db: Database) -> None:
    db = sqlite_db
    iid = gr.open_round(db)
    (own,) = gr.ready(db, OWN, "rueckmeldung_abgeben")
    (other,) = gr.ready(db, "achern", "rueckmeldung_abgeben")
    c = client(app)
    pages = ["/tasks", f"/tasks/{own.id}", "/instances", f"/instances/{iid}", "/documents", "/notifications",
             f"/instances/{iid}/diagram.svg", "/konto/tokens"]
    assert_private(c, pages)  # while the others' tasks are open (their titles name them)
    assert c.get(f"/tasks/{other.id}").status_code == 404
    assert c.post(f"/tasks/{other.id}", data={"entscheidung": "uebertragung"}).status_code == 404
    assert "Ihre offenen Aufgaben" in c.get(f"/instances/{iid}").get_data(as_text=True)

    gr.answer(db)  # everyone answers, then the round goes on to the vote and the Antrag
    gr.close_survey(db, iid)
    for step in (gr.review, gr.draft, gr.release, gr.vote, gr.apply):
        step(db)
    assert_private(c, pages)
    page = c.get(f"/tasks/{own.id}").get_data(as_text=True)
    assert "Erledigt" in page and "366" in page  # its own answer (the calibrated demo count)
    with db.read() as session:
        documents = [d.id for d in session.query(Document).all()]
    assert documents and all(c.get(f"/documents/{d}").status_code == 404 for d in documents)
    assert c.post(f"/instances/{iid}/cancel", data={"reason": "x"}).status_code in (403, 404)
    # the Sachbearbeitung sees what the Gemeinde may not
    staff = client(app, gr.SB).get(f"/instances/{iid}").get_data(as_text=True)
    assert "Rückmeldungen der Gemeinden" in staff and "Achern" in staff
    assert inbox.list_notifications(db, OWN) == [] or all(
        "Achern" not in n.text for n in inbox.list_notifications(db, OWN))
