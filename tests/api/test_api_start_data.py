"""The start data of a process in the API: its schema in the OpenAPI document (linked from `startInstance`),
the same schema the server checks `data` with, and a round started for a second Landkreis prefilled for it."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from jsonschema import Draft202012Validator

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem, ready_tasks
from tests.conftest import ROOT, deploy_dir
from tests.process.test_round_for_another_landkreis import import_rastatt
from workflows.storage.db import Database

API = "/api/v1"
SB = "sachbearbeitung"


def _validator(doc: dict[str, Any]) -> Draft202012Validator:
    """`StartInstance` of the served document, its `#/components/...` resolved inside the document."""
    return Draft202012Validator({"$ref": "#/components/schemas/StartInstance", "components": doc["components"]})


def test_the_start_data_schema_is_served_and_is_what_the_server_checks(client: FlaskClient, api_db: Database,
                                                                       auth: TokenFactory) -> None:
    deploy_dir(api_db, ROOT)
    import_rastatt(api_db)
    doc = client.get(f"{API}/openapi.json").get_json()
    start = doc["components"]["schemas"]["Startdaten.grant_round"]
    assert start["additionalProperties"] is False
    assert start["properties"]["landkreis"]["enum"] == ["rastatt", "ortenaukreis"]  # by name: Landkreis Rastatt first
    assert start["properties"]["landkreis"]["x-enumLabels"] == ["Landkreis Rastatt", "Ortenaukreis"]
    assert start["properties"]["landkreis"]["default"] == "ortenaukreis"
    assert "Startdaten.mini_round" not in doc["components"]["schemas"]  # its start event names no form
    op = doc["paths"]["/instances"]["post"]
    assert op["x-start-data"] == [{"process": "grant_round", "version": 1,
                                   "schema": "#/components/schemas/Startdaten.grant_round"}]
    assert {"if": {"properties": {"process": {"const": "grant_round"}}, "required": ["process"]},
            "then": {"properties": {"data": {"$ref": "#/components/schemas/Startdaten.grant_round"}}}} in \
        doc["components"]["schemas"]["StartInstance"]["allOf"]
    validator = _validator(doc)

    bodies = [({"landkreis": "atlantis"}, "/landkreis", "Diesen Landkreis gibt es nicht"),
              ({"landkreis": "rastatt", "frist": "2030-01-31"}, "", "Unbekannte Felder: frist"),
              ({"landkreis": 17}, "/landkreis", "Diesen Landkreis gibt es nicht")]
    for data, pointer, text in bodies:
        body = {"process": "grant_round", "business_key": "Runde", "data": data}
        assert not validator.is_valid(body), data  # the document refuses it ...
        refused = client.post(f"{API}/instances", json=body, headers=auth(SB))  # ... and so does the server
        problem = assert_problem(refused, 422)
        assert problem["detail"] == "Die Startdaten passen nicht zum Prozess; nichts gestartet."
        assert [(e["pointer"], e["detail"][:len(text)]) for e in problem["errors"]] == [(pointer, text)]
    assert client.get(f"{API}/instances", headers=auth(SB)).get_json()["total"] == 0

    body = {"process": "grant_round", "business_key": "Rastatt 2017-2018", "data": {"landkreis": "rastatt"}}
    assert validator.is_valid(body)
    response = client.post(f"{API}/instances", json=body, headers=auth(SB))
    assert response.status_code == 201, response.get_json()
    assert_conforms(response, "POST", f"{API}/instances")
    iid = response.get_json()["instance_id"]
    (task,) = ready_tasks(client, auth(SB), instance=iid, element_id="runde_eroeffnen")
    opened = client.get(f"{API}/tasks/{task['id']}", headers=auth(SB))
    assert_conforms(opened, "GET", f"{API}/tasks/{task['id']}")
    initial = opened.get_json()["initial"]
    assert (initial["landkreis"], initial["landkreis_name"]) == ("rastatt", "Landkreis Rastatt")
    done = client.post(f"{API}/tasks/{task['id']}/complete", json=initial, headers=auth(SB))
    assert done.status_code == 200, done.get_json()
    data = client.get(f"{API}/instances/{iid}", headers=auth(SB)).get_json()["data"]
    assert sorted(g["name"] for g in data["gemeinden"]) == ["Gaggenau", "Rastatt"]

    unlisted = {"process": "mini_round", "business_key": "Mini", "data": {"landkreis": "ortenaukreis", "frist": "x"}}
    assert validator.is_valid(unlisted)  # a process without start form takes any object, as before
