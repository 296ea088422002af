"""`Idempotency-Key`: a retried POST gets the first answer and the step runs once (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from tests.api.conftest import START_DATA, TokenFactory, make_app
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem
from tests.api.test_api import ANSWER, _answer_task
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance

API = "/api/v1"


@pytest.fixture
def api_db(mini_db: Database) -> Database:
    return mini_db


def _count(db: Database, what: object) -> int:
    with db.read() as session:
        return int(session.scalar(select(func.count()).select_from(what)) or 0)  # type: ignore[arg-type]


def test_a_retried_completion_returns_the_first_answer_and_completes_once(
        client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url, headers = f"{API}/tasks/{task_id}/complete", {**auth("offenburg"), "Idempotency-Key": "antwort-1"}
    first = client.post(url, headers=headers, json=ANSWER)
    assert first.status_code == 200 and "Idempotent-Replayed" not in first.headers
    events = _count(api_db, Event)
    again = client.post(url, headers=headers, json=ANSWER)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert_conforms(again, "POST", url)
    assert again.get_json() == first.get_json()
    assert _count(api_db, Event) == events  # nothing ran again
    other = assert_problem(client.post(url, headers=headers, json={**ANSWER, "anzahl": 13}), 422, url)
    assert "Idempotency-Key" in other["detail"]
    without = assert_problem(client.post(url, headers=auth("offenburg"), json=ANSWER), 409, url)
    assert without["type"].endswith("already-completed")  # without the key it is a new request


def test_a_retried_start_returns_the_same_round(client: FlaskClient, auth: TokenFactory, api_db: Database) -> None:
    headers = {**auth("sachbearbeitung"), "Idempotency-Key": "start-2030"}
    body = {"process": "mini_round", "business_key": "Runde", "data": START_DATA}
    first = client.post(f"{API}/instances", headers=headers, json=body)
    assert first.status_code == 201, first.get_json()
    again = client.post(f"{API}/instances", headers=headers, json=body)
    assert again.status_code == 201 and again.headers["Location"] == first.headers["Location"]
    assert again.get_json() == first.get_json()
    assert _count(api_db, ProcessInstance) == 1
    # keys belong to their user: the same key of another user is another request
    other = client.post(f"{API}/instances", headers={**auth("admin"), "Idempotency-Key": "start-2030"},
                        json={**body, "business_key": "Andere Runde"})
    assert other.status_code == 201 and "Idempotent-Replayed" not in other.headers
    assert _count(api_db, ProcessInstance) == 2


def test_after_an_error_the_key_is_free_again(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                              round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url, headers = f"{API}/tasks/{task_id}/complete", {**auth("offenburg"), "Idempotency-Key": "k"}
    assert_problem(client.post(url, headers=headers, json={"anzahl": "zwölf"}), 422, url)
    done = client.post(url, headers=headers, json=ANSWER)
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers


def test_a_malformed_key_is_400(client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    url = f"{API}/tasks/{_answer_task(api_db, round_id)}/complete"
    for key in ("x" * 201, "mit leerzeichen", "ümlaut"):
        body = assert_problem(client.post(url, headers={**auth("offenburg"), "Idempotency-Key": key}, json=ANSWER),
                              400, url)
        assert body["errors"][0]["parameter"] == "Idempotency-Key"
    assert client.get(f"{API}/tasks/{url.split('/')[-2]}", headers=auth("offenburg")).get_json()["status"] == "ready"


def test_the_same_key_twice_at_once_runs_the_step_once(api_db: Database, auth: TokenFactory,
                                                       round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url, headers = f"{API}/tasks/{task_id}/complete", {**auth("offenburg"), "Idempotency-Key": "gleichzeitig"}
    app, barrier, statuses = make_app(api_db), threading.Barrier(2), []

    def submit() -> None:
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post(url, headers=headers, json=ANSWER).status_code)

    threads = [threading.Thread(target=submit) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(statuses) in ([200, 200], [200, 409]), statuses  # a replay, or "still running"
    with api_db.read() as session:
        completions = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "task_completed", Event.task_id == task_id))
    assert completions == 1
