"""Property tests: arbitrary JSON to every form (engine validate path, web POST) and every API body.

Never a 5xx; invalid data gets 422 with messages, and the engine's verdict agrees with plain
jsonschema on every value (what it accepts is exactly what the schema allows). Examples are bounded
so the module runs well under a minute.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from tests.api.conftest import TokenFactory
from tests.api.schema_values import values_for
from tests.engine.helpers import gemeinde_user, ready_rows
from webapp import create_app
from workflows.engine import forms
from workflows.storage.db import Database

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = {path.relative_to(ROOT).as_posix(): json.loads(path.read_text())
           for path in sorted((ROOT / "forms").rglob("*.schema.json"))}
API = "/api/v1"
FIXTURE_SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                                    HealthCheck.too_slow])

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30)
json_values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=4)
                           | st.dictionaries(st.text(max_size=12), inner, max_size=4), max_leaves=12)


def _objects_for(schema: dict[str, Any]) -> st.SearchStrategy[dict[str, Any]]:
    """Objects with the form's own field names (and others) holding arbitrary values."""
    names = sorted(schema.get("properties", {})) or ["x"]
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=8), json_values, max_size=len(names) + 2)


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_the_validate_path_answers_every_value_with_messages(name: str, data: st.DataObject) -> None:
    schema = SCHEMAS[name]
    value = data.draw(json_values | _objects_for(schema))
    errors = forms.validation_errors(schema, value)
    assert all(e.message for e in errors)
    assert (errors == []) == Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER
                                                  ).is_valid(value)


@pytest.fixture
def answer(api_db: Database, round_id: int) -> tuple[int, str]:
    row = ready_rows(api_db, round_id, "answer")[0]
    return row.id, gemeinde_user(api_db, row.assignee_gemeinde or "")


@FIXTURE_SETTINGS
@given(body=json_values | _objects_for({"properties": {"entscheidung": {}, "anzahl": {}, "kontakt": {}}}))
def test_any_api_task_body_is_answered_without_a_server_error(client: FlaskClient, auth: TokenFactory,
                                                              answer: tuple[int, str], body: Any) -> None:
    task_id, user = answer
    response = client.post(f"{API}/tasks/{task_id}/complete", headers=auth(user), json=body)
    assert response.status_code < 500, response.get_data(as_text=True)
    if response.status_code == 422:
        assert response.get_json()["detail"]


@FIXTURE_SETTINGS
@given(body=json_values)
def test_any_api_start_and_message_body_is_answered_without_a_server_error(
        client: FlaskClient, auth: TokenFactory, round_id: int, body: Any) -> None:
    for url in (f"{API}/instances", f"{API}/instances/{round_id}/messages/decision"):
        response = client.post(url, headers=auth("sachbearbeitung"), json=body)
        assert response.status_code < 500, (url, response.get_data(as_text=True))
        assert response.status_code != 201 or isinstance(body, dict)


@FIXTURE_SETTINGS
@given(fields=st.dictionaries(st.sampled_from(["entscheidung", "anzahl", "kontakt"]) | st.text(max_size=8),
                              st.text(max_size=40), max_size=5))
def test_any_web_form_post_is_answered_without_a_server_error(api_db: Database, answer: tuple[int, str],
                                                              fields: dict[str, str]) -> None:
    task_id, user = answer
    client = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False},
                        database=api_db).test_client()
    with client.session_transaction() as session:
        session["user"] = user
    response = client.post(f"/tasks/{task_id}", data=fields)
    assert response.status_code in (303, 409, 422), response.status_code


@pytest.mark.parametrize("name", sorted(SCHEMAS))
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(data=st.data())
def test_every_value_a_form_allows_is_accepted(name: str, data: st.DataObject) -> None:
    schema = SCHEMAS[name]
    value = data.draw(values_for(schema))
    assert forms.validation_errors(schema, value) == [], value
