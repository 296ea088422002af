"""A committee member who has not voted yet sees no other member's vote, anywhere; the chair sees the tally.

On the real grant round (SQLite and PostgreSQL): the task page, the round page, the documents list,
and the API's task, round and events answers, read by the member with their own token.
"""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.web import grant_round as gr
from tests.web.conftest import make_app
from workflows import engine
from workflows.identity import tokens
from workflows.storage.db import Database

VOTER, VOTER_NAME = "ausschuss2", "Maria Schneider"
MEMBER, CHAIR, SB, MINUTES = "ausschuss4", gr.CHAIR, gr.SB, "schriftfuehrung"
VOTE_VALUES = {"ja", "nein", "enthaltung"}


def votes_in(value: Any, path: str = "") -> list[str]:
    """Where a JSON answer holds a cast vote: any object with a string `stimme` of a vote value."""
    found: list[str] = []
    if isinstance(value, dict):
        if isinstance(value.get("stimme"), str) and value["stimme"] in VOTE_VALUES:
            found.append(path or "/")
        for key, item in value.items():
            found += votes_in(item, f"{path}/{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += votes_in(item, f"{path}/{i}")
    return found


def web(app: Flask, user: str) -> FlaskClient:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = user
    return client


def api(app: Flask, db: Database, user: str) -> tuple[FlaskClient, dict[str, str]]:
    _, plaintext = tokens.create_token(db, user, "pytest")
    return app.test_client(), {"Authorization": f"Bearer {plaintext}"}


def html(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.get_data(as_text=True)


def api_json(client: FlaskClient, headers: dict[str, str], path: str) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, (path, response.get_data(as_text=True)[:300])
    return response.get_json()


def assert_no_votes_on_pages(client: FlaskClient, paths: list[str]) -> None:
    for path in paths:
        text = html(client, path)
        leaked = [s for s in ("Zwischenstand", "Abgegebene Stimmen", VOTER_NAME, "Ablehnung</strong>",
                              "Ablehnung</td>") if s in text]
        assert not leaked, (path, leaked)


@pytest.mark.timeout(240)
def test_no_member_sees_another_members_vote_before_the_result(db: Database) -> None:
    iid = gr.drive(db, "abstimmung")
    app = make_app(db)
    (cast,) = gr.ready(db, VOTER, "stimme_abgeben")
    engine.complete_task(db, cast.id, {"stimme": "nein"}, VOTER)
    (own,) = gr.ready(db, MEMBER, "stimme_abgeben")

    member = web(app, MEMBER)
    assert_no_votes_on_pages(member, [f"/tasks/{own.id}", f"/instances/{iid}", "/documents", "/tasks"])
    assert "Stimme abgeben" in html(member, f"/instances/{iid}")  # the page itself is there
    client, headers = api(app, db, MEMBER)
    answers = {path: api_json(client, headers, path) for path in (
        f"/api/v1/tasks/{own.id}", f"/api/v1/instances/{iid}", f"/api/v1/instances/{iid}/events?per_page=500",
        f"/api/v1/instances/{iid}/documents")}
    for path, body in answers.items():
        assert not votes_in(body), (path, votes_in(body))
    events = answers[f"/api/v1/instances/{iid}/events?per_page=500"]["items"]
    assert any(e["task_id"] == cast.id and e["kind"] == "task_completed" for e in events)  # that, not how
    assert client.get(f"/api/v1/tasks/{cast.id}", headers=headers).status_code == 404
    # neither does the Sachbearbeitung or an administrator see how anyone voted
    for user in (SB, "admin"):
        assert_no_votes_on_pages(web(app, user), [f"/instances/{iid}"])
        c, h = api(app, db, user)
        assert not votes_in(api_json(c, h, f"/api/v1/instances/{iid}/events?per_page=500"))
        assert not votes_in(api_json(c, h, f"/api/v1/instances/{iid}"))

    # the chair sees the running tally, with names, on the round page and on their own vote
    chair = web(app, CHAIR)
    page = html(chair, f"/instances/{iid}")
    assert "Zwischenstand der Abstimmung" in page and "1 von 5 Stimmen abgegeben." in page
    assert f"{VOTER_NAME}: <strong>Ablehnung</strong>" in page
    (chair_vote,) = gr.ready(db, CHAIR, "stimme_abgeben")
    assert "Zwischenstand der Abstimmung" in html(chair, f"/tasks/{chair_vote.id}")
    c, h = api(app, db, CHAIR)
    assert votes_in(api_json(c, h, f"/api/v1/instances/{iid}/events?per_page=500"))
    # so does the Schriftführung (who keeps the minutes and casts no vote: no task of its own)
    page = html(web(app, MINUTES), f"/instances/{iid}")
    assert "Zwischenstand der Abstimmung" in page and f"{VOTER_NAME}: <strong>Ablehnung</strong>" in page
    c, h = api(app, db, MINUTES)
    assert votes_in(api_json(c, h, f"/api/v1/instances/{iid}/events?per_page=500"))
    assert api_json(c, h, "/api/v1/tasks")["items"] == []

    # once the session has ended, the result (counts, no names) goes to all who see the round
    gr.vote(db, {"ausschuss1": "ja", "ausschuss3": "ja"})
    page = html(web(app, MEMBER), f"/instances/{iid}")
    assert "Ergebnis der Abstimmung" in page and "3 von 3 Stimmen abgegeben." in page
    assert "Zwischenstand" not in page and "Abgegebene Stimmen" not in page and VOTER_NAME not in page
    assert not votes_in(api_json(client, headers, f"/api/v1/instances/{iid}"))
    assert not votes_in(api_json(client, headers, f"/api/v1/instances/{iid}/events?per_page=500"))
    assert f"{VOTER_NAME}: <strong>Ablehnung</strong>" in html(chair, f"/instances/{iid}")
    assert f"{VOTER_NAME}: <strong>Ablehnung</strong>" in html(web(app, MINUTES), f"/instances/{iid}")
    assert "Ergebnis der Abstimmung" not in html(web(app, "offenburg"), f"/instances/{iid}")  # its own part only
