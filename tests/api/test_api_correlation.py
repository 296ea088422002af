"""Correlated messages over the API alone: the instance names the keys it checks; a message carries
them as `correlation[NAME]` or in its content; a client that knows only the Aktenzeichen delivers
through `/messages/{name}`. Every answer as the OpenAPI document says."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.conftest import FIXTURES, deploy_dir
from tests.engine.test_messages_between_processes import _data, _file
from workflows.storage.db import Database

API = "/api/v1"


@pytest.fixture
def api_db(db: Database) -> Database:
    deploy_dir(db, FIXTURES / "collab")
    return db


def test_correlation_keys_through_the_api(api_db: Database, client: FlaskClient, auth: TokenFactory) -> None:
    first, second = _file(api_db, "AZ-1"), _file(api_db, "AZ-2")
    staff = auth("sachbearbeitung")
    detail = client.get(f"{API}/instances/{first}", headers=staff)
    assert_conforms(detail, "get", f"{API}/instances/{first}")
    (expected,) = detail.get_json()["expected_messages"]
    assert expected["name"] == "bescheid" and expected["correlation"] == ["aktenzeichen"]

    url = f"{API}/instances/{first}/messages/bescheid"
    wrong = client.post(url + "?correlation[aktenzeichen]=AZ-2", headers=staff, json={"bewilligt": True})
    assert wrong.status_code == 409 and "gehört nicht zu diesem Vorgang" in wrong.get_json()["detail"]
    assert_conforms(wrong, "post", url)
    contradicting = client.post(url + "?correlation[aktenzeichen]=AZ-2", headers=staff,
                                json={"aktenzeichen": "AZ-1", "bewilligt": True})
    assert contradicting.status_code == 422
    assert _data(api_db, first)[0] == "running"
    right = client.post(url + "?correlation[aktenzeichen]=AZ-1", headers=staff, json={"bewilligt": True})
    assert right.status_code == 200, right.get_json()
    assert_conforms(right, "post", url)
    assert _data(api_db, first)[0] == "completed"

    nobody = client.post(f"{API}/messages/bescheid?correlation[aktenzeichen]=AZ-9", headers=staff,
                         json={"bewilligt": False})
    assert nobody.status_code == 409 and "Kein laufender Vorgang" in nobody.get_json()["detail"]
    found = client.post(f"{API}/messages/bescheid?correlation[aktenzeichen]=AZ-2&process=antragsteller",
                        headers=staff, json={"bewilligt": False})
    assert found.status_code == 200 and found.get_json()["instance_id"] == second
    assert_conforms(found, "post", f"{API}/messages/bescheid")
    assert _data(api_db, second) == ("completed", _data(api_db, second)[1])
    assert _data(api_db, second)[1]["bescheid"] == {"aktenzeichen": "AZ-2", "bewilligt": False}
