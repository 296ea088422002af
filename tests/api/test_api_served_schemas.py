"""What a task's served schema allows, the server accepts: no 422 for a payload that validates.

The real round (bpmn/, forms/) is opened; then schemathesis' generator draws each Gemeinde's answer from
the schema that Gemeinde's task serves (`GET /tasks/{id}/schema`: the form with its `if`/`then`
rules, the 51.000 € minimum computed from the round's figures, `additionalProperties: false`), the
draw is checked against that schema, and the server must take it. Fifty answers, fifty draws.
Each accepted draw completes a task, so every example costs one Gemeinde; a payload the schema
refuses must be refused by the server with a German message at the same field.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, given, settings
from jsonschema import Draft202012Validator, FormatChecker
from lxml import etree

from tests.api.conftest import TokenFactory
from tests.api.schema_values import transportable, values_for
from tests.web import grant_round as gr
from workflows.engine import forms
from workflows.foerderung.demo import username_for
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.storage.db import Database

API = "/api/v1"


def _served(client: FlaskClient, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
    (task,) = client.get(f"{API}/tasks", headers=headers).get_json()["items"]
    schema = client.get(f"{API}/tasks/{task['id']}/schema", headers=headers).get_json()
    return task["id"], schema


@pytest.mark.timeout(300)
def test_every_answer_the_served_schema_allows_is_accepted(client: FlaskClient, api_db: Database,
                                                           auth: TokenFactory) -> None:
    gr.deploy(api_db)
    gr.open_round(api_db)
    gemeinden = [username_for(d["name"]) for d in demo_rueckmeldungen("ortenaukreis").values()]
    accepted: list[dict[str, Any]] = []
    first = _served(client, auth(gemeinden[0]))[1]

    @given(body=values_for(first).filter(transportable))
    @settings(max_examples=50, phases=[Phase.generate], derandomize=True, deadline=None, database=None,
              suppress_health_check=list(HealthCheck))
    def answer_all(body: dict[str, Any]) -> None:
        user = gemeinden[len(accepted)]  # every example is the next Gemeinde's answer
        headers = auth(user)
        task_id, schema = _served(client, headers)
        assert schema["additionalProperties"] is False and schema["allOf"]
        assert Draft202012Validator(schema, format_checker=FormatChecker()).is_valid(body)
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=headers, json=body)
        assert response.status_code == 200, (body, response.get_json())
        accepted.append(body)

    answer_all()
    assert len(accepted) == 50
    decisions = {b["entscheidung"] for b in accepted}
    assert len(decisions) >= 3, decisions  # the draws cover several branches of the if/then rules


def test_what_the_served_schema_refuses_the_server_refuses_at_the_same_field(
        client: FlaskClient, api_db: Database, auth: TokenFactory) -> None:
    gr.deploy(api_db)
    gr.open_round(api_db)
    headers = auth(gr.SMALL_GEMEINDE)
    task_id, schema = _served(client, headers)
    minimum = schema["allOf"][-1]["then"]["properties"]["anzahl_gefluechtete"]["minimum"]
    assert minimum == 65  # 65 × 796,08 € ≥ 51.000 €, from the round's figures
    for body in ({"entscheidung": "eigene_durchfuehrung", "anzahl_gefluechtete": minimum - 1, "ansprechperson": "A"},
                 {"entscheidung": "freier_traeger", "anzahl_gefluechtete": 3, "ansprechperson": "A", "traeger": " "},
                 {"entscheidung": "uebertragung", "ansprechperson": "A"},
                 {"entscheidung": "pruefung", "ansprechperson": "A", "farbe": "rot"}):
        expected = {"/" + "/".join(map(str, e.absolute_path)) if e.validator != "required" else
                    "/" + e.message.split("'")[1] for e in Draft202012Validator(schema).iter_errors(body)}
        expected = {"" if p == "/" else p for p in expected}
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=headers, json=body)
        problem = response.get_json()
        assert response.status_code == 422, problem
        assert {e["pointer"] for e in problem["errors"]} == expected, (body, problem)
        assert all(e["detail"] and "Error" not in e["detail"] for e in problem["errors"])
    unknown = client.post(f"{API}/tasks/{task_id}/complete", headers=headers,
                          json={"entscheidung": "pruefung", "ansprechperson": "A", "farbe": "rot"}).get_json()
    assert unknown["errors"] == [{"pointer": "", "detail": "Unbekannte Felder: farbe"}]


ROOT = Path(__file__).resolve().parents[2]
_NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL", "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core"}


def _form(key: str) -> dict[str, Any]:
    return dict(json.loads((ROOT / "forms" / f"{key}.schema.json").read_text(encoding="utf-8")))


def _user_tasks() -> Iterator[tuple[str, dict[str, str], dict[str, Any]]]:
    """(element id, properties, form) of every user task in bpmn/, read from the files."""
    for path in sorted((ROOT / "bpmn").glob("*.bpmn")):
        for task in etree.parse(str(path)).xpath("//bpmn:userTask", namespaces=_NS):
            props = {p.get("name"): p.get("value") for p in task.xpath(".//spiffworkflow:property", namespaces=_NS)}
            yield task.get("id"), props, _form(props["formKey"])


def test_every_rule_beyond_the_schema_is_published_with_its_message() -> None:
    """A task with a `validation` property (what JSON Schema cannot say) has a form that lists those rules in
    `x-server-rules`; the served schema's description repeats them with their German messages."""
    checked = 0
    for element_id, props, form in _user_tasks():
        if "validation" not in props:
            continue
        rules = forms.server_rules(form)
        assert rules, element_id
        assert all(r["field"].startswith("/") and r["rule"] and r["message"] for r in rules)
        described = forms.published(form)["description"]
        assert all(r["message"] in described for r in rules)
        checked += 1
    assert checked >= 3  # Rückmeldefrist, Stellenbemessung, Bewerbungen


def test_the_document_lists_every_task_type_with_the_rules_only_the_server_checks(
        client: FlaskClient, api_db: Database) -> None:
    """Before any round runs, `completeTask` in the OpenAPI document names each task type of the deployed process
    (`x-forms`), its role, whether the round's data add rules to its served schema, and the rules JSON Schema
    cannot say, with their German messages (also in the description); its examples are accepted by their forms."""
    gr.deploy(api_db)
    doc = client.get(f"{API}/openapi.json").get_json()
    op = doc["paths"]["/tasks/{task_id}/complete"]["post"]
    listed = {f["element_id"]: f for f in op["x-forms"] if f["process"] == "grant_round"}  # (beside the mini one)
    user_tasks = 0
    for element_id, props, form in _user_tasks():
        entry = listed[element_id]
        assert entry["form"] == props["formKey"] and entry["title"] == form["title"]
        assert entry["rules_from_round_data"] == ("formSchema" in props), element_id
        assert entry["server_rules"] == forms.server_rules(form)
        assert all(r["message"] in op["description"] for r in entry["server_rules"])
        assert entry["role"], element_id
        user_tasks += 1
    assert user_tasks == len(listed) >= 15
    assert sum(bool(f["server_rules"]) for f in listed.values()) >= 5
    examples = op["requestBody"]["content"]["application/json"]["examples"]
    for element_id, example in examples.items():
        if element_id not in listed:
            continue
        form = _form(listed[element_id]["form"])
        assert Draft202012Validator(form, format_checker=FormatChecker()).is_valid(example["value"]), element_id
    assert set(examples) & set(listed)
    assert doc["paths"]["/tasks/bulk-complete"]["post"]["x-forms"] == op["x-forms"]


def test_the_shares_recipients_and_the_reason_for_a_change_are_in_the_served_schema(
        client: FlaskClient, api_db: Database, auth: TokenFactory) -> None:
    """Stellenbemessung prüfen: the proposal's recipients (each exactly once) and 'a reason once a share differs'
    are rules of the task's served schema, from the round's proposal; the server refuses what the schema refuses
    at the same fields, and takes an unchanged proposal without a reason. Only the exact sum is the server's."""
    gr.drive(api_db, "bemessung")
    headers = auth(gr.SB)
    (task,) = client.get(f"{API}/tasks", headers=headers, query_string={"element_id": "stellenbemessung_pruefen"}
                         ).get_json()["items"]
    detail = client.get(f"{API}/tasks/{task['id']}", headers=headers).get_json()
    schema, proposal = detail["schema"], detail["initial"]["anteile"]
    keys = [row["empfaenger"] for row in proposal]
    anteile = schema["properties"]["anteile"]
    assert len(keys) >= 2 and anteile["minItems"] == anteile["maxItems"] == len(keys)
    assert anteile["items"]["properties"]["empfaenger"]["enum"] == keys
    assert [rule["rule"] for rule in schema["x-server-rules"]] == [
        "Die Summe der Anteile ist genau die geförderte VZÄ (`vza_gesamt`)."]
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    moved = [dict(row) for row in proposal]
    moved[0]["vza"], moved[1]["vza"] = moved[0]["vza"] + 0.25, moved[1]["vza"] - 0.25
    twice = [dict(row) for row in proposal]
    twice[1]["empfaenger"] = keys[0]
    assert not validator.is_valid({"anteile": twice})  # (the server puts the rows' read-only recipients back)
    for body in ({"anteile": moved}, {"anteile": moved, "aenderungsgrund": "  "},
                 {"anteile": proposal[:-1], "aenderungsgrund": "Weniger Teams"},
                 {"anteile": [*proposal, {"empfaenger": keys[0], "vza": 0.25}], "aenderungsgrund": "Mehr"}):
        refused = {"/" + "/".join(map(str, e.absolute_path)) if e.validator != "required" else
                   "/" + e.message.split("'")[1] for e in validator.iter_errors(body)}
        assert refused, body
        response = client.post(f"{API}/tasks/{task['id']}/complete", headers=headers, json=body)
        problem = response.get_json()
        assert response.status_code == 422, problem
        assert refused <= {e["pointer"] for e in problem["errors"]}, (body, refused, problem)
    assert validator.is_valid({"anteile": moved, "aenderungsgrund": "Fahrwege"})
    assert validator.is_valid({"anteile": proposal})
    done = client.post(f"{API}/tasks/{task['id']}/complete", headers=headers, json={"anteile": proposal})
    assert done.status_code == 200, done.get_json()
