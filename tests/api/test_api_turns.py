"""Whose turn it is, from the resources alone: a task's assignee, the messages a round waits for."""

from __future__ import annotations

import json

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.api.conftest import OFFENBURG_AGS, TokenFactory
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem, ready_tasks
from tests.api.test_api import _answer_everything, _answer_task
from tests.conftest import FIXTURES
from workflows.storage.db import Database

API = "/api/v1"


def test_a_gemeinde_task_names_its_gemeinde_and_role(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                                     round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    response = client.get(f"{API}/tasks/{task_id}", headers=auth("offenburg"))
    assert_conforms(response, "GET", f"{API}/tasks/{task_id}")
    assert response.get_json()["assignee"] == {"user": None, "gemeinde": OFFENBURG_AGS, "role": "Gemeinde"}
    (listed,) = ready_tasks(client, auth("offenburg"), instance=round_id)
    assert listed["assignee"]["gemeinde"] == OFFENBURG_AGS


def test_the_round_says_which_message_it_waits_for_who_delivers_it_and_its_schema(
        client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    staff, url = auth("sachbearbeitung"), f"{API}/instances/{round_id}"
    assert client.get(url, headers=staff).get_json()["expected_messages"] == []
    _answer_everything(client, auth, api_db, round_id)
    (draft,) = ready_tasks(client, staff, element_id="draft")
    client.post(f"{API}/tasks/{draft['id']}/complete", headers=staff, json={"text": "Entwurf"})
    (release,) = ready_tasks(client, auth("dezernat"), element_id="release")
    client.post(f"{API}/tasks/{release['id']}/complete", headers=auth("dezernat"), json={"freigabe": "ja"})

    response = client.get(url, headers=staff)
    assert_conforms(response, "GET", url)
    (expected,) = response.get_json()["expected_messages"]
    assert expected == {"name": "decision", "element_name": "Bescheid eingegangen", "role": "Sachbearbeitung",
                        "schema": f"{url}/messages/decision", "correlation": []}
    served = client.get(expected["schema"], headers=staff)
    assert_conforms(served, "GET", expected["schema"])
    schema = served.get_json()
    on_disk = json.loads((FIXTURES / "mini" / "forms" / "messages" / "decision.schema.json").read_text())
    assert schema == on_disk
    payload = {"aktenzeichen": "RPS-15.2-1", "betrag": 1000.0}
    Draft202012Validator(schema).validate(payload)
    assert_problem(client.post(expected["schema"], headers=auth("offenburg"), json=payload), 403)  # not the role
    assert client.post(expected["schema"], headers=staff, json=payload).status_code == 200
    assert client.get(url, headers=staff).get_json()["expected_messages"] == []


def test_schema_of_an_unknown_message_or_a_hidden_round_is_404(client: FlaskClient, auth: TokenFactory,
                                                              round_id: int) -> None:
    assert_problem(client.get(f"{API}/instances/{round_id}/messages/anderes", headers=auth("sachbearbeitung")), 404)
    assert_problem(client.get(f"{API}/instances/999999/messages/decision", headers=auth("sachbearbeitung")), 404)
