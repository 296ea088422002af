"""Data classes: a form's data of a class (here applicants' data) reaches only the roles written down for it."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.conftest import FIXTURES, deploy_dir
from tests.web.conftest import make_app
from workflows import audit, engine, inbox, retention
from workflows.collab import claims
from workflows.identity import data_classes, tokens
from workflows.storage.db import Database
from workflows.storage.models import Event

SECRET = "Erika Geheimnis"


def test_applicants_data_only_for_personalamt_and_personalrat(db: Database) -> None:
    deploy_dir(db, FIXTURES / "classified")
    iid = engine.start_instance(db, "classified_round", "Stelle 1", "personalamt").instance_id
    (entry,) = inbox.list_tasks(db, "personalamt").items
    engine.complete_task(db, entry.id, {"name": SECRET, "schwerbehindert": True}, "personalamt")
    (report,) = inbox.list_tasks(db, "sachbearbeitung").items
    app = make_app(db)

    def seen_by(user: str) -> dict[str, str]:
        _, token = tokens.create_token(db, user, "pytest")
        headers, client = {"Authorization": f"Bearer {token}"}, app.test_client()
        paths = [f"/api/v1/instances/{iid}", f"/api/v1/instances/{iid}/events"]
        if user == "sachbearbeitung":
            paths.append(f"/api/v1/tasks/{report.id}")
        answers = {p: json.dumps(client.get(p, headers=headers).get_json(), ensure_ascii=False) for p in paths}
        with client.session_transaction() as session:
            session["user"] = user
        pages = [f"/instances/{iid}"] + ([f"/tasks/{report.id}"] if user == "sachbearbeitung" else [])
        answers |= {p: client.get(p).get_data(as_text=True) for p in pages}
        return answers

    for user in ("sachbearbeitung", "admin"):
        answers = seen_by(user)
        leaked = [p for p, text in answers.items() if SECRET in text or "schwerbehindert" in text]
        assert not leaked, (user, leaked)
        assert "Bewerbung erfassen" in answers[f"/instances/{iid}"]  # that it was done, not what
    for user in ("personalamt", "personalrat"):
        answers = seen_by(user)
        assert SECRET in answers[f"/api/v1/instances/{iid}"] and SECRET in answers[f"/api/v1/instances/{iid}/events"]
    assert data_classes.data_class("gibt_es_nicht").roles == frozenset()  # an unknown class: seen by nobody


def test_a_note_on_taking_over_a_task_of_a_class_is_of_that_class(db: Database) -> None:
    """The note of Übernehmen / Zurückgeben goes into the task's audit events: on an application task it is
    applicants' data (free text, like a comment there), kept from the history of whoever may not see the class,
    and erased by the Löschkonzept with the application."""
    deploy_dir(db, FIXTURES / "classified")
    iid = engine.start_instance(db, "classified_round", "Stelle 1", "personalamt").instance_id
    (entry,) = inbox.list_tasks(db, "personalamt").items
    claims.claim(db, entry.id, "personalamt", note=f"{SECRET}: GdB 50, Schwerbehindertenvertretung beteiligen")
    claims.release(db, entry.id, "personalamt", note=f"Rückfrage bei {SECRET}")
    app = make_app(db)

    def history(user: str) -> str:
        _, token = tokens.create_token(db, user, "pytest")
        client = app.test_client()
        answer = client.get(f"/api/v1/instances/{iid}/events", headers={"Authorization": f"Bearer {token}"})
        with client.session_transaction() as session:
            session["user"] = user
        page = client.get(f"/instances/{iid}").get_data(as_text=True)
        return json.dumps(answer.get_json(), ensure_ascii=False) + page

    for user in ("sachbearbeitung", "admin"):
        text = history(user)
        assert SECRET not in text and "GdB 50" not in text, user
        assert "task_claimed" in text and "task_released" in text, user  # that it was taken over, not why
    for user in ("personalamt", "personalrat"):
        assert "GdB 50" in history(user) and f"Rückfrage bei {SECRET}" in history(user), user

    # the Löschkonzept erases the notes with the application, once the Vorgang has ended
    (entry,) = inbox.list_tasks(db, "personalamt").items
    engine.complete_task(db, entry.id, {"name": SECRET, "schwerbehindert": True}, "personalamt")
    (report,) = inbox.list_tasks(db, "sachbearbeitung").items
    engine.complete_task(db, report.id, {"beginn": "2018-03-01"}, "sachbearbeitung")
    assert [e.instance_id for e in retention.apply_retention(db, days=0)] == [iid]
    with db.read() as session:
        events = json.dumps([e.payload for e in session.scalars(select(Event))], ensure_ascii=False)
        assert SECRET not in events and "GdB 50" not in events and retention.MARKER in events
        assert audit.verify(session)[1] == []
