"""What the web app could do and the API could not: cancel a round, list processes, Landkreise, timers.

On SQLite and PostgreSQL (`api_db` is `mini_db`): timers compare stored times.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import update

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem, ready_tasks
from tests.conftest import ROOT, deploy_dir
from workflows.inbox import catalog
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance

API = "/api/v1"


@pytest.fixture
def api_db(mini_db: Database) -> Database:
    return mini_db


def _get(client: FlaskClient, path: str, headers: dict[str, str]) -> dict:
    response = client.get(f"{API}{path}", headers=headers)
    assert response.status_code == 200, response.get_json()
    assert_conforms(response, "GET", f"{API}{path}")
    body: dict = response.get_json()
    return body


def test_processes_list_keys_versions_and_who_may_start(client: FlaskClient, auth: TokenFactory) -> None:
    staff = _get(client, "/processes", auth("sachbearbeitung"))["items"]
    (mini,) = [p for p in staff if p["key"] == "mini_round"]
    assert mini["version"] == 1 and mini["latest"] is True
    assert mini["start_role"] == "Sachbearbeitung" and mini["may_start"] is True
    (for_gemeinde,) = [p for p in _get(client, "/processes", auth("offenburg"))["items"] if p["key"] == "mini_round"]
    assert for_gemeinde["may_start"] is False


def test_landkreise_give_the_key_for_the_start_data(client: FlaskClient, auth: TokenFactory) -> None:
    items = _get(client, "/landkreise", auth("sachbearbeitung"))["items"]
    assert {"key": "ortenaukreis", "name": "Ortenaukreis"} in items


def test_cancel_needs_a_reason_the_start_role_and_a_running_round(client: FlaskClient, auth: TokenFactory,
                                                                 round_id: int) -> None:
    url = f"{API}/instances/{round_id}/cancel"
    staff = auth("sachbearbeitung")
    body = assert_problem(client.post(url, headers=staff, json={}), 422, url)
    assert body["errors"][0]["pointer"] == "/reason"
    assert_problem(client.post(url, headers=staff, json={"reason": "x", "grund": "y"}), 422, url)
    assert_problem(client.post(url, headers=auth("offenburg"), json={"reason": "Nein"}), 403, url)
    assert_problem(client.post(url, headers=auth("dezernat"), json={"reason": "Nein"}), 403, url)
    assert _get(client, f"/instances/{round_id}", staff)["status"] == "running"  # refusals changed nothing

    response = client.post(url, headers=staff, json={"reason": "Doppelt angelegt."})
    assert response.status_code == 200, response.get_json()
    assert_conforms(response, "POST", url)
    assert response.get_json()["status"] == "cancelled"
    instance = _get(client, f"/instances/{round_id}", staff)
    assert instance["status"] == "cancelled" and instance["open_tasks"] == 0
    assert ready_tasks(client, auth("offenburg"), instance=round_id) == []
    events = _get(client, f"/instances/{round_id}/events", staff)["items"]
    assert events[-1]["kind"] == "instance_cancelled" and events[-1]["payload"] == {"reason": "Doppelt angelegt."}
    assert_problem(client.post(url, headers=staff, json={"reason": "Noch einmal"}), 409, url)


def test_cancel_of_an_unknown_round_is_404(client: FlaskClient, auth: TokenFactory) -> None:
    url = f"{API}/instances/999999/cancel"
    assert_problem(client.post(url, headers=auth("sachbearbeitung"), json={"reason": "x"}), 404, url)


def test_timers_show_what_is_due_and_administration_fires_them(client: FlaskClient, auth: TokenFactory,
                                                              api_db: Database, round_id: int) -> None:
    staff, admin = auth("sachbearbeitung"), auth("admin")
    (timer,) = _get(client, "/timers", staff)["items"]
    assert timer["instance_id"] == round_id and timer["due"] is False
    assert timer["href"] == f"{API}/instances/{round_id}"
    assert timer["due_at"] == _get(client, f"/instances/{round_id}", staff)["next_timer_at"]
    with api_db.write() as session:  # the ticker is late: the index says due before the timer has run
        session.execute(update(ProcessInstance).where(ProcessInstance.id == round_id)
                        .values(next_timer_at=datetime.now(UTC) - timedelta(minutes=1)))
    assert _get(client, "/timers", staff)["items"][0]["due"] is True

    url = f"{API}/timers/fire"
    body = assert_problem(client.post(url, headers=staff, json={}), 403, url)
    assert "Administration" in body["detail"]
    assert_problem(client.post(url, headers=admin, json={"limit": 0}), 422, url)
    assert_problem(client.post(url, headers=auth("offenburg"), json={}), 403, url)

    response = client.post(url, headers=admin, json={})
    assert response.status_code == 200, response.get_json()
    assert_conforms(response, "POST", url)
    assert response.get_json() == {"fired": 1}
    assert _get(client, "/timers", staff)["items"][0] == timer  # the real deadline is still ahead
    events = _get(client, f"/instances/{round_id}/events", staff)["items"]
    assert events[-1]["kind"] == "timer_fired"


def test_the_contracts_of_two_databases_in_one_process_are_their_own(api_db: Database, sqlite_template: Path,
                                                                     tmp_path: Path) -> None:
    """The message and form contracts are cached per deployed content, not per row id: a second database whose
    definition row 1 is another process (the real one) lists its own messages and task types."""
    from tests.conftest import _sqlite_db
    (tmp_path / "other").mkdir()
    other = _sqlite_db(sqlite_template, tmp_path / "other")
    try:
        deploy_dir(other, ROOT)
        assert {m.process for m in catalog.message_contracts(api_db)} == {"mini_round"}
        assert {f.process for f in catalog.form_contracts(api_db)} == {"mini_round"}
        assert {m.process for m in catalog.message_contracts(other)} == {"grant_round"}
        assert {f.process for f in catalog.form_contracts(other)} == {"grant_round"}
    finally:
        other.dispose()
