"""The collaboration endpoints of `/api/v1`, every answer checked against the OpenAPI document."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem, gemeinde_users, ready_tasks
from workflows.identity import authz, users
from workflows.storage.db import Database


def call(client: FlaskClient, method: str, path: str, headers: dict[str, str], body: Any = None,
         status: int = 200) -> Any:
    response = client.open(path, method=method, headers=headers, json=body)
    assert response.status_code == status, response.get_data(as_text=True)[:600]
    assert_conforms(response, method, path.split("?")[0])
    return response.get_json()


def answer_all(client: FlaskClient, auth: TokenFactory) -> None:
    names = gemeinde_users()
    for ags, user in names.items():
        for task in ready_tasks(client, auth(user)):
            call(client, "POST", f"/api/v1/tasks/{task['id']}/complete", auth(user),
                 {"entscheidung": "uebertragen", "anzahl": 5})
        del ags


def test_claim_release_assign(client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    answer_all(client, auth)
    with api_db.write() as session:
        users.upsert_user(session, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"], "x")
    me, other, lead = auth("sachbearbeitung"), auth("hofmann"), auth("dezernat")
    (draft,) = ready_tasks(client, me)
    path = f"/api/v1/tasks/{draft['id']}"
    assert call(client, "GET", f"{path}/claim", me)["may_claim"] is True
    claimed = call(client, "POST", f"{path}/claim", me)
    assert claimed["mine"] and claimed["claimed_by_name"] == "Sabine Keller"
    seen = call(client, "GET", f"{path}/claim", other)
    assert seen["claimed_by"] == "sachbearbeitung" and not seen["may_claim"] and not seen["mine"]
    body = assert_problem(client.post(f"{path}/claim", headers=other, json={}), 409)
    assert body["detail"] == "Sabine Keller hat diese Aufgabe bereits übernommen."
    refused = assert_problem(client.post(f"{path}/complete", headers=other, json={"text": "x"}), 403)
    assert "übernommen" in refused["detail"]
    assert_problem(client.post(f"{path}/release", headers=other), 403)
    assert_problem(client.post(f"{path}/claim", headers=me, json={"x": 1}), 422)
    assert_problem(client.post(f"{path}/claim", headers=me, json={"note": "x" * 201}), 422)
    assert_problem(client.post(f"{path}/assign", headers=me, json={"username": "hofmann"}), 403)
    assert_problem(client.post(f"{path}/assign", headers=lead, json={}), 422)
    assert_problem(client.post(f"{path}/assign", headers=lead, json={"username": "niemand"}), 404)
    assigned = call(client, "POST", f"{path}/assign", lead, {"username": "hofmann"})
    assert assigned["claimed_by"] == "hofmann" and assigned["assigned_by"] == "dezernat"
    released = call(client, "POST", f"{path}/release", other, {"note": "Urlaub"})
    assert released["claimed_by"] is None and released["may_claim"]
    assert_problem(client.post(f"{path}/release", headers=other), 409)
    assert_problem(client.get("/api/v1/tasks/999999/claim", headers=me), 404)


def test_comments_and_search(client: FlaskClient, auth: TokenFactory, round_id: int) -> None:
    staff = auth("sachbearbeitung")
    offenburg = auth("offenburg")
    (own,) = ready_tasks(client, offenburg)
    created = call(client, "POST", f"/api/v1/instances/{round_id}/comments", staff,
                   {"text": "Zahlen von Frau Özdemir prüfen, @dezernat"}, status=201)
    assert created["mentions"] == ["dezernat"] and created["author_name"] == "Sabine Keller"
    call(client, "POST", f"/api/v1/tasks/{own['id']}/comments", staff, {"text": "Bitte begründen"}, status=201)
    bad = assert_problem(client.post(f"/api/v1/instances/{round_id}/comments", headers=staff,
                                     json={"text": "@offenburg bitte"}), 422)
    assert "darf diesen Kommentar nicht lesen" in bad["errors"][0]["detail"]
    assert_problem(client.post(f"/api/v1/instances/{round_id}/comments", headers=staff, json={"text": ""}), 422)
    assert_problem(client.post(f"/api/v1/instances/{round_id}/comments", headers=offenburg, json={"text": "x"}), 403)
    texts = [c["text"] for c in call(client, "GET", f"/api/v1/instances/{round_id}/comments", staff)["items"]]
    assert texts == ["Zahlen von Frau Özdemir prüfen, @dezernat", "Bitte begründen"]
    mine = call(client, "GET", f"/api/v1/instances/{round_id}/comments", offenburg)["items"]
    assert [c["text"] for c in mine] == ["Bitte begründen"]
    assert call(client, "GET", f"/api/v1/tasks/{own['id']}/comments", offenburg)["items"][0]["task_id"] == own["id"]
    assert_problem(client.get(f"/api/v1/tasks/{own['id']}/comments", headers=auth("lahr")), 404)
    found = call(client, "GET", "/api/v1/search?q=oezdemir", staff)
    assert [(h["kind"], h["href"]) for h in found["items"]] == [("comment", f"/api/v1/instances/{round_id}")]
    assert call(client, "GET", "/api/v1/search?q=oezdemir", offenburg)["items"] == []
    task_hit = call(client, "GET", "/api/v1/search?q=R%C3%BCckmeldung%20Offenburg", offenburg)["items"]
    assert [h["href"] for h in task_hit] == [f"/api/v1/tasks/{own['id']}"]
    assert call(client, "GET", "/api/v1/search?q=a", staff)["message"].startswith("Bitte mindestens zwei")
    assert_problem(client.get("/api/v1/search?limit=0", headers=staff), 400)


def test_deputies(client: FlaskClient, auth: TokenFactory, round_id: int) -> None:
    lead = auth("dezernat")
    today = authz.today()
    body = {"deputy": "sachbearbeitung", "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=5)).isoformat(), "reason": "Urlaub"}
    bad = assert_problem(client.post("/api/v1/deputies", headers=lead,
                                     json={**body, "ends_on": (today - timedelta(days=1)).isoformat()}), 422)
    assert bad["errors"][0]["detail"] == "Bis: Das Ende darf nicht vor dem Beginn liegen."
    assert_problem(client.post("/api/v1/deputies", headers=lead, json={**body, "deputy": "offenburg"}), 422)
    assert_problem(client.post("/api/v1/deputies", headers=lead, json={**body, "extra": 1}), 422)
    created = call(client, "POST", "/api/v1/deputies", lead, body, status=201)
    assert created["active"] and created["deputy_name"] == "Sabine Keller"
    assert call(client, "GET", "/api/v1/deputies", auth("sachbearbeitung"))["standing_in"][0]["id"] == created["id"]
    assert_problem(client.post(f"/api/v1/deputies/{created['id']}/end", headers=auth("offenburg")), 404)
    ended = call(client, "POST", f"/api/v1/deputies/{created['id']}/end", lead)
    assert not ended["active"]
    assert call(client, "GET", "/api/v1/deputies", lead)["named"] == []


def test_a_task_done_meanwhile_answers_who_and_when_for_machines(client: FlaskClient, auth: TokenFactory,
                                                                  round_id: int) -> None:
    """Claiming or releasing a completed task is the same 409 `already-completed` as completing it again:
    `completed_by` the username and `completed_at` in ISO 8601, as in the task resource. (Assigning one: the team
    lead no longer sees a done task of another lane, 404.)"""
    gemeinde = gemeinde_users()["08317096"]
    (answer,) = ready_tasks(client, auth(gemeinde))
    answer_all(client, auth)
    me = auth("sachbearbeitung")
    (draft,) = ready_tasks(client, me)
    call(client, "POST", f"/api/v1/tasks/{draft['id']}/complete", me, {"text": "Vorlage"})
    for task, user, action, body in (
            (answer, gemeinde, "complete", {"entscheidung": "uebertragen", "anzahl": 5}),
            (answer, gemeinde, "claim", None), (answer, gemeinde, "release", None),
            (draft, "sachbearbeitung", "claim", None), (draft, "sachbearbeitung", "release", None)):
        path = f"/api/v1/tasks/{task['id']}"
        done = call(client, "GET", path, auth(user))
        problem = call(client, "POST", f"{path}/{action}", auth(user), body, status=409)
        assert problem["type"].endswith("#problem-already-completed"), problem
        assert problem["completed_by"] == done["completed_by"] and problem["completed_at"] == done["completed_at"]
        assert done["completed_by"] in (gemeinde, "sachbearbeitung") and "T" in problem["completed_at"]
