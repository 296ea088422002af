"""Where the database kind matters (SQLite and PostgreSQL): a race to complete, and a whole round via the API.

`api_db` is overridden with `mini_db`, so every test here runs on both databases.
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import OFFENBURG_AGS, START_DATA, TokenFactory, make_app
from tests.api.helpers import assert_problem, gemeinde_users, ready_tasks
from workflows import audit
from workflows.identity import users
from workflows.storage.db import Database
from workflows.storage.models import TaskRow

API = "/api/v1"


@pytest.fixture
def api_db(mini_db: Database) -> Database:
    return mini_db


def test_concurrent_completion_one_wins_the_other_gets_409(api_db: Database, auth: TokenFactory,
                                                           client: FlaskClient, round_id: int) -> None:
    """Two Offenburg users submit the same task at the same moment: one 200, one 409 naming the winner."""
    with api_db.write() as session:
        users.upsert_user(session, "offenburg2", "Zweite Person Offenburg", ["Gemeinde"], "x",
                          gemeinde_ags=OFFENBURG_AGS)
    app = make_app(api_db)
    (task,) = ready_tasks(client, auth("offenburg"))
    task_id = task["id"]
    barrier = threading.Barrier(2)
    results: dict[str, Any] = {}
    headers = {username: auth(username) for username in ("offenburg", "offenburg2")}  # tokens before the race

    def submit(username: str, anzahl: int) -> None:
        client = app.test_client()
        barrier.wait()
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=headers[username],
                               json={"entscheidung": "uebertragen", "anzahl": anzahl})
        results[username] = (response.status_code, response.get_json(), response.mimetype)

    threads = [threading.Thread(target=submit, args=(u, n)) for u, n in (("offenburg", 1), ("offenburg2", 2))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(status for status, _, _ in results.values()) == [200, 409], results
    winner = next(u for u, (s, _, _) in results.items() if s == 200)
    _, loser_body, loser_type = next(r for r in results.values() if r[0] == 409)
    assert loser_type == "application/problem+json"
    names = {"offenburg": "Offenburg (Gemeindeverwaltung)", "offenburg2": "Zweite Person Offenburg"}
    assert names[winner] in loser_body["detail"]
    assert loser_body["completed_by"] == winner and datetime.fromisoformat(loser_body["completed_at"])
    with api_db.read() as session:
        row = session.get(TaskRow, task_id)
        assert row is not None and row.completed_by == winner
        assert row.data == {"entscheidung": "uebertragen", "anzahl": 1 if winner == "offenburg" else 2}


def test_whole_mini_round_through_the_api_alone(api_db: Database, client: FlaskClient, auth: TokenFactory) -> None:
    """Start, 51 Gemeinde answers with each Gemeinde's own token, draft, four-eyes release, message, done."""
    staff = auth("sachbearbeitung")
    started = client.post(f"{API}/instances", headers=staff,
                          json={"process": "mini_round", "business_key": "Ortenaukreis 2017-2018", "data": START_DATA})
    assert started.status_code == 201, started.get_json()
    instance_id = started.get_json()["instance_id"]
    instance_url = started.headers["Location"]

    answered = 0
    for ags, username in gemeinde_users().items():
        headers = auth(username)
        (task,) = ready_tasks(client, headers, instance=instance_id)
        assert task["gemeinde"] == ags
        detail = client.get(task["href"], headers=headers).get_json()
        assert detail["may_complete"] and detail["schema"]["required"] == ["entscheidung", "anzahl"]
        body = {"entscheidung": "uebertragen" if answered % 2 == 0 else "selbst", "anzahl": 10}
        done = client.post(detail["links"]["complete"], headers=headers, json=body)
        assert done.status_code == 200, done.get_json()
        answered += 1
        assert ready_tasks(client, headers, instance=instance_id) == []
    assert answered == 51

    (draft,) = ready_tasks(client, staff, instance=instance_id, element_id="draft")
    draft_detail = client.get(draft["href"], headers=staff).get_json()
    assert draft_detail["initial"] == {"text": "Gesamt: 260", "summe": 260}  # 26 of 51 transferred, 10 each
    assert client.post(draft_detail["links"]["complete"], headers=staff,
                       json=draft_detail["initial"]).status_code == 200
    assert ready_tasks(client, staff, instance=instance_id, element_id="release") == []  # not her lane

    release_user = auth("dezernat")
    (release,) = ready_tasks(client, release_user, instance=instance_id, element_id="release")
    assert client.post(f"{API}/tasks/{release['id']}/complete", headers=release_user,
                       json={"freigabe": "ja", "kommentar": "Passt."}).status_code == 200
    waiting = client.get(instance_url, headers=staff).get_json()
    assert waiting["status"] == "running" and waiting["waiting_for"] == ["decision"]

    message_url = f"{instance_url}/messages/decision"
    assert_problem(client.post(message_url, headers=staff, json={"aktenzeichen": ""}), 422)
    delivered = client.post(message_url, headers=staff, json={"aktenzeichen": "RPS-15.2-1", "betrag": 64000.0})
    assert delivered.status_code == 200 and delivered.get_json()["status"] == "completed"

    final = client.get(instance_url, headers=staff).get_json()
    assert final["status"] == "completed" and final["open_tasks"] == 0 and final["waiting_for"] == []
    assert final["data"]["bescheid"] == {"aktenzeichen": "RPS-15.2-1", "betrag": 64000.0}
    assert client.get(f"{API}/instances", headers=staff,
                      query_string={"status": "completed"}).get_json()["items"][0]["id"] == instance_id

    events = client.get(f"{instance_url}/events", headers=staff, query_string={"per_page": 500}).get_json()
    kinds = [e["kind"] for e in events["items"]]
    assert kinds[0] == "instance_started" and kinds[-1] == "instance_completed"
    assert kinds.count("task_completed") == 53 and kinds.count("message_received") == 1
    completed_by = [e["actor"] for e in events["items"] if e["kind"] == "task_completed"]
    assert set(completed_by[:51]) == set(gemeinde_users().values())
    assert completed_by[51:] == ["sachbearbeitung", "dezernat"]
    with api_db.read() as session:
        count, problems = audit.verify(session)
    assert problems == [] and count >= events["total"]
