"""Data classes: a form's data of a class (here applicants' data) reaches only the roles written down for it."""

from __future__ import annotations

import json

from tests.conftest import FIXTURES, deploy_dir
from tests.web.conftest import make_app
from workflows import engine, inbox
from workflows.identity import data_classes, tokens
from workflows.storage.db import Database

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
