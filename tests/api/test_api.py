"""Every endpoint of /api/v1 and every error status, through the Flask test client on a real database."""

from __future__ import annotations

import base64
import hashlib
import logging
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from tests.api.conftest import OFFENBURG_AGS, START_DATA, TokenFactory, make_app
from tests.api.helpers import assert_problem, ready_tasks
from webapp.api import openapi, records, schemas
from workflows import inbox
from workflows.identity import tokens, users
from workflows.inbox import catalog
from workflows.storage.db import Database
from workflows.storage.models import Document, TaskRow

API = "/api/v1"
ANSWER = {"entscheidung": "uebertragen", "anzahl": 12}
LAHR_AGS = "08317065"


def _answer_task(api_db: Database, round_id: int, ags: str = OFFENBURG_AGS) -> int:
    with api_db.read() as session:
        return session.scalars(select(TaskRow.id).where(
            TaskRow.instance_id == round_id, TaskRow.assignee_gemeinde == ags, TaskRow.status == "ready")).one()


def _answer_everything(client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    from tests.api.helpers import gemeinde_users

    for ags, username in gemeinde_users().items():
        task_id = _answer_task(api_db, round_id, ags)
        response = client.post(f"{API}/tasks/{task_id}/complete", headers=auth(username), json=ANSWER)
        assert response.status_code == 200, response.get_json()


# --------------------------------------------------------------------------- the description

def test_openapi_document_is_complete(client: FlaskClient, app: Flask) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.1")
    assert doc["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer", "description": doc["components"]["securitySchemes"]["bearerAuth"][
            "description"]}
    documented = {(method.upper(), "/api/v1" + path) for path, item in doc["paths"].items()
                  for method in item if method != "parameters"}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api.") and rule.endpoint != "api.unknown":
            path = rule.rule.replace("<int:", "{").replace("<string(maxlength=100):", "{")
            routed |= {(m, path.replace(">", "}")) for m in rule.methods or ()}
    assert documented == routed  # HEAD beside every GET and OPTIONS on every path are documented too
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method == "parameters":
                continue
            assert op["summary"] and op["operationId"], path
            assert "500" in op["responses"], (method, path)
            if op.get("security") != []:
                assert "401" in op["responses"], (method, path)
            if method == "post":
                assert {"400", "413", "415", "422"} <= set(op["responses"]), path
                content = op["requestBody"]["content"]
                if "application/json" in content:
                    media = content["application/json"]
                    assert media.get("example") or media["examples"]
                else:  # a file upload: the file itself is the body (uploadAttachment)
                    assert all(media.split("/")[0] in ("application", "image") for media in content), path
            for status, response_obj in op["responses"].items():
                if method == "head":  # HEAD answers have no body, errors neither
                    assert "content" not in response_obj and response_obj["description"], (path, status)
                elif int(status) >= 400:
                    name = response_obj["$ref"].rsplit("/", 1)[-1]
                    content = doc["components"]["responses"][name]["content"]
                    assert list(content) == ["application/problem+json"]
    assert set(doc["components"]["responses"]) >= {"MethodNotAllowed", "Conflict", "UnprocessableContent"}


def test_served_schemas_are_the_models_the_views_serialize_with(client: FlaskClient, api_db: Database) -> None:
    served = client.get(f"{API}/openapi.json").get_json()
    starts = catalog.start_contracts(api_db)
    assert served == openapi.document(catalog.message_contracts(api_db), catalog.process_keys(api_db), starts,
                                      catalog.form_contracts(api_db))
    models = {**schemas.components(), **records.components()}  # what tests/api/contract.py checks answers against
    assert {k: v for k, v in served["components"]["schemas"].items()
            if not k.startswith(("Nachricht.", "Startdaten."))} == {
        **models, "StartInstance": openapi.document(processes=catalog.process_keys(api_db), starts=starts)[
            "components"]["schemas"]["StartInstance"]}
    assert served["components"]["schemas"]["StartInstance"]["properties"]["process"]["enum"] == \
        catalog.process_keys(api_db)
    assert served["components"]["schemas"]["Task"]["required"][:2] == ["id", "instance_id"]


def test_openapi_document_is_valid_openapi_31(client: FlaskClient) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    validator.validate(client.get(f"{API}/openapi.json").get_json())


def test_docs_page_renders_the_document_without_external_assets(client: FlaskClient) -> None:
    response = client.get(f"{API}/docs")
    assert response.status_code == 200 and response.mimetype == "text/html"
    html = response.get_data(as_text=True)
    doc = client.get(f"{API}/openapi.json").get_json()
    for path, item in doc["paths"].items():
        assert f"/api/v1{path}" in html
        for method, op in item.items():
            if method != "parameters":
                assert f'id="{op["operationId"]}"' in html
    for name in doc["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    for slug in ("validation-failed", "already-completed", "unauthorized", "method-not-allowed", "too-large"):
        assert f'id="problem-{slug}"' in html
    assert "per_page" in html and "&#34;entscheidung&#34;" in html  # parameters and escaped examples
    assert "<script" not in html and "http://" not in html and "https://" not in html.replace(
        "https://json-schema.org", "")
    style = html.split("<style>", 1)[1].split("</style>", 1)[0]
    digest = base64.b64encode(hashlib.sha256(style.encode()).digest()).decode()
    csp = response.headers["Content-Security-Policy"]
    assert f"style-src 'sha256-{digest}'" in csp and "default-src 'none'" in csp  # inline style allowed by hash


# --------------------------------------------------------------------------- 401

@pytest.mark.parametrize("header", [None, "Basic dXNlcjpwdw==", "Bearer", "Bearer gf_nonsense", "Bearer x" * 100])
def test_missing_or_bad_token_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {"Authorization": header} if header else {}
    response = client.get(f"{API}/tasks", headers=headers)
    body = assert_problem(response, 401, f"{API}/tasks")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Token" in body["detail"]


def test_revoked_token_is_401_immediately(client: FlaskClient, api_db: Database) -> None:
    token_id, plaintext = tokens.create_token(api_db, "sachbearbeitung")
    headers = {"Authorization": f"Bearer {plaintext}"}
    assert client.get(f"{API}/tasks", headers=headers).status_code == 200
    tokens.revoke_token(api_db, token_id)
    response = client.get(f"{API}/tasks", headers=headers)
    assert_problem(response, 401)
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_token_carries_the_current_roles_of_its_user(client: FlaskClient, api_db: Database, round_id: int,
                                                     auth: TokenFactory) -> None:
    headers = auth("admin")
    assert ready_tasks(client, headers) == []  # Administration holds no lane role
    with api_db.write() as session:
        users.upsert_user(session, "admin", "Administration", ["Administration", "Gemeinde"], "x",
                          gemeinde_ags=OFFENBURG_AGS)
    assert [t["gemeinde"] for t in ready_tasks(client, headers)] == [OFFENBURG_AGS]  # same token, new role


# --------------------------------------------------------------------------- tasks

def test_inbox_lists_my_tasks_with_filters_and_pagination(client: FlaskClient, auth: TokenFactory, round_id: int,
                                                          api_db: Database) -> None:
    response = client.get(f"{API}/tasks", headers=auth("offenburg"))
    assert response.status_code == 200
    page = response.get_json()
    assert page["total"] == 1 and page["pages"] == 1
    (task,) = page["items"]
    assert task["gemeinde"] == OFFENBURG_AGS and task["element_id"] == "answer" and task["status"] == "ready"
    assert task["href"] == f"{API}/tasks/{task['id']}"

    second = client.get(f"{API}/instances", headers=auth("sachbearbeitung"))
    assert second.status_code == 200
    staff = auth("sachbearbeitung")
    assert ready_tasks(client, staff) == []  # the Gemeinde answers are not the Sachbearbeitung's

    # 51 Gemeinde tasks in one round; a user holding the Gemeinde role without a Gemeinde sees none
    with api_db.write() as session:
        users.upsert_user(session, "kreis", "Kreis", ["Gemeinde", "Sachbearbeitung"], "x")
    assert ready_tasks(client, auth("kreis")) == []

    # paginate Offenburg's completed tasks after answering
    task_id = task["id"]
    assert client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), json=ANSWER).status_code == 200
    assert ready_tasks(client, auth("offenburg")) == []
    done = ready_tasks(client, auth("offenburg"), status="completed")
    assert [t["id"] for t in done] == [task_id] and done[0]["completed_by"] == "offenburg"


def test_inbox_filters_sort_and_links(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                      round_id: int) -> None:
    with api_db.write() as session:  # a district-level user who sees every Gemeinde's tasks
        users.upsert_user(session, "offenburg2", "Offenburg 2", ["Gemeinde"], "x", gemeinde_ags=OFFENBURG_AGS)
    from workflows import engine

    other = engine.start_instance(api_db, "mini_round", "Zweite Runde", "sachbearbeitung", START_DATA).instance_id
    headers = auth("offenburg2")
    everything = client.get(f"{API}/tasks", headers=headers, query_string={"per_page": 1, "sort": "newest"})
    body = everything.get_json()
    assert body["total"] == 2 and body["pages"] == 2 and body["items"][0]["instance_id"] == other
    assert body["links"]["next"].endswith("page=2") and "sort=newest" in body["links"]["next"]
    assert body["links"]["prev"] is None
    page2 = client.get(body["links"]["next"], headers=headers).get_json()
    assert page2["items"][0]["instance_id"] == round_id and page2["links"]["next"] is None
    only = ready_tasks(client, headers, instance=round_id, element_id="answer", sort="oldest")
    assert [t["instance_id"] for t in only] == [round_id]
    assert ready_tasks(client, headers, element_id="draft") == []


@pytest.mark.parametrize("query", [{"page": "abc"}, {"page": "0"}, {"per_page": "201"}, {"per_page": "-1"},
                                   {"sort": "random"}, {"status": "all"}, {"instance": "x"}, {"page": "--5"},
                                   {"element_id": "a\x00b"}, {"instance": "99999999999"}])
def test_bad_query_parameters_are_400(client: FlaskClient, auth: TokenFactory, query: dict[str, str]) -> None:
    body = assert_problem(client.get(f"{API}/tasks", headers=auth("sachbearbeitung"), query_string=query), 400)
    assert body["errors"][0]["parameter"] == next(iter(query))


def test_task_detail_has_schema_context_and_prefill(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                                    round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    body = client.get(f"{API}/tasks/{task_id}", headers=auth("offenburg")).get_json()
    assert body["schema"]["properties"]["anzahl"]["type"] == "integer"
    assert body["context"]["gemeinde"]["ags"] == OFFENBURG_AGS
    assert body["may_complete"] is True and body["refusal"] is None
    assert body["links"]["complete"] == f"{API}/tasks/{task_id}/complete"
    assert body["documents"] == []


def test_task_of_another_gemeinde_is_404_to_see_and_to_complete(client: FlaskClient, auth: TokenFactory,
                                                                api_db: Database, round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    assert_problem(client.get(f"{API}/tasks/{task_id}", headers=auth("lahr")), 404)
    assert_problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth("lahr"), json=ANSWER), 404)
    assert_problem(client.get(f"{API}/tasks/{task_id}", headers=auth("sachbearbeitung")), 404)
    # and after it is done, nobody else learns who did it
    assert client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), json=ANSWER).status_code == 200
    body = assert_problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth("lahr"), json=ANSWER), 404)
    assert "offenburg" not in str(body).lower()


def test_unknown_task_is_404(client: FlaskClient, auth: TokenFactory) -> None:
    for path in (f"{API}/tasks/999999", f"{API}/tasks/0", f"{API}/tasks/abc", f"{API}/tasks/99999999999999999999"):
        assert_problem(client.get(path, headers=auth("sachbearbeitung")), 404, path)
    assert_problem(client.post(f"{API}/tasks/999999/complete", headers=auth("sachbearbeitung"), json={}), 404)


def test_complete_validates_against_the_form_with_one_entry_per_field(client: FlaskClient, auth: TokenFactory,
                                                                      api_db: Database, round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url = f"{API}/tasks/{task_id}/complete"
    body = assert_problem(client.post(url, headers=auth("offenburg"),
                                      json={"anzahl": "zwölf", "unbekannt": 1}), 422, url)
    pointers = {e["pointer"]: e["detail"] for e in body["errors"]}
    assert set(pointers) == {"/entscheidung", "/anzahl", ""}
    assert "ganze Zahl" in pointers["/anzahl"] and "Bitte ausfüllen" in pointers["/entscheidung"]
    assert "unbekannt" in pointers[""]
    # the process's own rule (validation property) also maps to a field
    rule = assert_problem(client.post(url, headers=auth("offenburg"),
                                      json={"entscheidung": "uebertragen", "anzahl": 5000}), 422)
    assert rule["errors"] == [{"pointer": "/anzahl", "detail": "Höchstens 1000 Personen."}]
    assert ready_tasks(client, auth("offenburg"))[0]["id"] == task_id  # nothing applied


@pytest.mark.parametrize("raw, content_type, status", [
    (b"{not json", "application/json", 400),
    (b"[1, 2]", "application/json", 400),
    (b"\"text\"", "application/json", 400),
    (b"", "application/json", 400),
    (b"{\"anzahl\": NaN}", "application/json", 400),
    (b"{\"anzahl\": 1e999}", "application/json", 400),
    (b"{\"kontakt\": \"a\\u0000b\"}", "application/json", 400),
    (b"{\"kontakt\": \"\\ud800\"}", "application/json", 400),
    (b"\xff\xfe{", "application/json", 400),
    (b"[" * 100_000 + b"]" * 100_000, "application/json", 400),
    (b"{\"a\": 1}", "text/plain", 415),
    (b"a=1", "application/x-www-form-urlencoded", 415),
])
def test_malformed_bodies_are_refused_clearly(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                              round_id: int, raw: bytes, content_type: str, status: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url = f"{API}/tasks/{task_id}/complete"
    response = client.post(url, headers={**auth("offenburg"), "Content-Type": content_type}, data=raw)
    assert_problem(response, status, url)


def test_missing_content_type_is_415(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                     round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    assert_problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), data=b"{}"), 415)


def test_too_large_body_is_413(api_db: Database, auth: TokenFactory, round_id: int) -> None:
    client = make_app(api_db, MAX_CONTENT_LENGTH=1024).test_client()
    task_id = _answer_task(api_db, round_id)
    big = {"entscheidung": "uebertragen", "anzahl": 1, "kontakt": "x" * 5000}
    body = assert_problem(client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), json=big), 413)
    assert "1024" in body["detail"]


def test_four_eyes_refusal_is_403(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                  round_id: int) -> None:
    with api_db.write() as session:
        users.upsert_user(session, "doppelrolle", "Doppelrolle", ["Sachbearbeitung", "Dezernatsleitung"], "x")
    _answer_everything(client, auth, api_db, round_id)
    (draft,) = ready_tasks(client, auth("doppelrolle"), element_id="draft")
    assert client.post(f"{API}/tasks/{draft['id']}/complete", headers=auth("doppelrolle"),
                       json={"text": "Entwurf"}).status_code == 200
    (release,) = ready_tasks(client, auth("doppelrolle"), element_id="release")
    detail = client.get(f"{API}/tasks/{release['id']}", headers=auth("doppelrolle")).get_json()
    assert detail["may_complete"] is False and "Vier-Augen" in detail["refusal"]
    body = assert_problem(client.post(f"{API}/tasks/{release['id']}/complete", headers=auth("doppelrolle"),
                                      json={"freigabe": "ja"}), 403)
    assert "Vier-Augen" in body["detail"]


def test_completing_twice_is_409_with_who_and_when(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                                   round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    url = f"{API}/tasks/{task_id}/complete"
    assert client.post(url, headers=auth("offenburg"), json=ANSWER).status_code == 200
    body = assert_problem(client.post(url, headers=auth("offenburg"), json=ANSWER), 409, url)
    assert body["type"].endswith("already-completed")
    assert "Offenburg (Gemeindeverwaltung)" in body["detail"] and " am " in body["detail"]  # for the person
    task = client.get(f"{API}/tasks/{task_id}", headers=auth("offenburg")).get_json()
    assert body["completed_by"] == task["completed_by"] == "offenburg"  # for the program: as in the task
    assert body["completed_at"] == task["completed_at"] and datetime.fromisoformat(body["completed_at"]).tzinfo


# --------------------------------------------------------------------------- instances

def test_start_instance_and_read_it(client: FlaskClient, auth: TokenFactory) -> None:
    staff = auth("sachbearbeitung")
    response = client.post(f"{API}/instances", headers=staff,
                           json={"process": "mini_round", "business_key": "API-Runde", "data": START_DATA})
    assert response.status_code == 201, response.get_json()
    started = response.get_json()
    assert started["status"] == "running" and len(started["new_task_ids"]) == 51
    assert response.headers["Location"] == f"{API}/instances/{started['instance_id']}"

    detail = client.get(response.headers["Location"], headers=staff).get_json()
    assert detail["business_key"] == "API-Runde" and detail["process"] == "mini_round"
    assert detail["open_tasks"] == 51 and "answer" in detail["active_elements"]
    assert detail["data"]["landkreis"] == "ortenaukreis" and len(detail["tasks"]) == 51
    gemeinde_view = client.get(response.headers["Location"], headers=auth("offenburg")).get_json()
    assert gemeinde_view["data"] == {} and [t["gemeinde"] for t in gemeinde_view["tasks"]] == [OFFENBURG_AGS]

    listing = client.get(f"{API}/instances", headers=staff, query_string={"status": "running"}).get_json()
    assert listing["total"] == 1 and listing["items"][0]["id"] == started["instance_id"]
    assert client.get(f"{API}/instances", headers=staff,
                      query_string={"status": "completed"}).get_json()["total"] == 0
    assert_problem(client.get(f"{API}/instances", headers=staff, query_string={"status": "kaputt"}), 400)


def test_start_instance_errors(client: FlaskClient, auth: TokenFactory, round_id: int) -> None:
    staff, url = auth("sachbearbeitung"), f"{API}/instances"
    missing = assert_problem(client.post(url, headers=staff, json={"data": []}), 422, url)
    assert {e["pointer"] for e in missing["errors"]} == {"/process", "/business_key", "/data"}
    extra = assert_problem(client.post(url, headers=staff, json={"process": "mini_round", "business_key": "X",
                                                                 "foo": 1}), 422)
    assert extra["errors"][0]["pointer"] == ""
    blank = assert_problem(client.post(url, headers=staff, json={"process": "mini_round", "business_key": "  "}), 422)
    assert blank["errors"] == [{"pointer": "/business_key", "detail": "Bitte eine Bezeichnung angeben."}]
    assert_problem(client.post(url, headers=staff, json={"process": "gibtsnicht", "business_key": "X"}), 404)
    duplicate = assert_problem(client.post(url, headers=staff, json={"process": "mini_round",
                                                                     "business_key": "Testrunde"}), 409)
    assert "Testrunde" in duplicate["detail"]
    assert_problem(client.post(url, headers=auth("offenburg"), json={"process": "mini_round",
                                                                     "business_key": "Y", "data": START_DATA}), 403)
    failed = assert_problem(client.post(url, headers=staff, json={"process": "mini_round", "business_key": "Z",
                                                                  "data": {"landkreis": "atlantis"}}), 422)
    assert failed["type"].endswith("process-step-failed") and "nichts gespeichert" in failed["detail"]
    assert_problem(client.post(url, headers=staff, json={"process": "mini_round",
                                                         "business_key": "x" * 201}), 422)


def test_unknown_instance_is_404(client: FlaskClient, auth: TokenFactory) -> None:
    staff = auth("sachbearbeitung")
    for path in ("/instances/4711", "/instances/4711/events", "/instances/4711/documents"):
        assert_problem(client.get(API + path, headers=staff), 404)
    assert_problem(client.post(f"{API}/instances/4711/messages/decision", headers=staff, json={}), 404)


def test_events_are_the_audit_history_oldest_first(client: FlaskClient, auth: TokenFactory, api_db: Database,
                                                   round_id: int) -> None:
    task_id = _answer_task(api_db, round_id)
    client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), json=ANSWER)
    staff = auth("sachbearbeitung")
    body = client.get(f"{API}/instances/{round_id}/events", headers=staff, query_string={"per_page": 500}).get_json()
    kinds = [e["kind"] for e in body["items"]]
    assert kinds[0] == "instance_started" and kinds.count("task_ready") == 51 and kinds[-1] == "task_completed"
    assert body["items"][-1]["payload"]["data"] == ANSWER and body["items"][-1]["actor"] == "offenburg"
    assert [e["id"] for e in body["items"]] == sorted(e["id"] for e in body["items"])
    paged = client.get(f"{API}/instances/{round_id}/events", headers=staff,
                       query_string={"per_page": 10, "page": 2}).get_json()
    assert paged["total"] == body["total"] and paged["items"][0]["id"] == body["items"][10]["id"]
    # a Gemeinde sees only what concerns its own tasks: not the other Gemeinden's answers
    own = client.get(f"{API}/instances/{round_id}/events", headers=auth("offenburg")).get_json()
    assert own["total"] == 2 and {e["task_id"] for e in own["items"]} == {task_id}
    assert client.get(f"{API}/instances/{round_id}/events", headers=auth("lahr")).get_json()["total"] == 1


# --------------------------------------------------------------------------- documents

def _add_document(api_db: Database, instance_id: int, gemeinde_ags: str | None, content: bytes) -> int:
    """What the `generate_document` service stores (rendering PDFs is tested elsewhere)."""
    with api_db.write() as session:
        doc = Document(instance_id=instance_id, kind="mitteilung_gemeinden", title="Mitteilung",
                       filename="Mitteilung Übersicht.pdf", sha256=hashlib.sha256(content).hexdigest(),
                       size=len(content), content=content, gemeinde_ags=gemeinde_ags, created_by="sachbearbeitung")
        session.add(doc)
        session.flush()
        return doc.id


def test_documents_list_and_download_with_access_checks(client: FlaskClient, auth: TokenFactory,
                                                        api_db: Database, round_id: int) -> None:
    pdf = b"%PDF-1.7\n% grantflow test\n%%EOF\n"
    for_offenburg = _add_document(api_db, round_id, OFFENBURG_AGS, pdf)
    internal = _add_document(api_db, round_id, None, pdf + b"intern")
    staff = auth("sachbearbeitung")
    listed = client.get(f"{API}/instances/{round_id}/documents", headers=staff).get_json()["items"]
    assert {d["id"] for d in listed} == {for_offenburg, internal}
    assert listed[0]["href"] == f"{API}/documents/{listed[0]['id']}"
    own = client.get(f"{API}/instances/{round_id}/documents", headers=auth("offenburg")).get_json()["items"]
    assert [d["id"] for d in own] == [for_offenburg]
    assert client.get(f"{API}/instances/{round_id}/documents", headers=auth("lahr")).get_json()["items"] == []

    download = client.get(f"{API}/documents/{for_offenburg}", headers=auth("offenburg"))
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == pdf
    assert "attachment" in download.headers["Content-Disposition"]
    assert "no-store" in download.headers["Cache-Control"]
    assert client.get(f"{API}/documents/{internal}", headers=staff).data == pdf + b"intern"
    assert_problem(client.get(f"{API}/documents/{for_offenburg}", headers=auth("lahr")), 404)
    assert_problem(client.get(f"{API}/documents/{internal}", headers=auth("offenburg")), 404)
    assert_problem(client.get(f"{API}/documents/999999", headers=staff), 404)
    # the task view lists the documents its user may see
    task_id = _answer_task(api_db, round_id)
    detail = client.get(f"{API}/tasks/{task_id}", headers=auth("offenburg")).get_json()
    assert [d["id"] for d in detail["documents"]] == [for_offenburg]
    assert inbox.get_document(api_db, internal, "sachbearbeitung").content == pdf + b"intern"


# --------------------------------------------------------------------------- messages

def test_message_is_validated_and_only_accepted_when_waiting(client: FlaskClient, auth: TokenFactory,
                                                             api_db: Database, round_id: int) -> None:
    staff = auth("sachbearbeitung")
    url = f"{API}/instances/{round_id}/messages/decision"
    not_waiting = assert_problem(client.post(url, headers=staff, json={"aktenzeichen": "A", "betrag": 1}), 409, url)
    assert "decision" in not_waiting["detail"]
    _answer_everything(client, auth, api_db, round_id)
    (draft,) = ready_tasks(client, staff, element_id="draft")
    client.post(f"{API}/tasks/{draft['id']}/complete", headers=staff, json={"text": "Entwurf"})
    (release,) = ready_tasks(client, auth("dezernat"), element_id="release")
    client.post(f"{API}/tasks/{release['id']}/complete", headers=auth("dezernat"), json={"freigabe": "ja"})
    assert client.get(f"{API}/instances/{round_id}", headers=staff).get_json()["waiting_for"] == ["decision"]

    invalid = assert_problem(client.post(url, headers=staff, json={"betrag": -5}), 422)
    assert {e["pointer"] for e in invalid["errors"]} == {"/aktenzeichen", "/betrag"}
    assert_problem(client.post(url, headers=auth("offenburg"), json={"aktenzeichen": "A", "betrag": 1}), 403)
    assert_problem(client.post(url, headers=staff, data=b"[]", content_type="application/json"), 400)
    assert_problem(client.post(f"{API}/instances/{round_id}/messages/anderes", headers=staff, json={}), 409)
    done = client.post(url, headers=staff, json={"aktenzeichen": "RPS-15.2-1", "betrag": 1000.0})
    assert done.status_code == 200 and done.get_json()["status"] == "completed"
    assert_problem(client.post(url, headers=staff, json={"aktenzeichen": "A", "betrag": 1}), 409)


# --------------------------------------------------------------------------- routing and unexpected errors

@pytest.mark.parametrize("method, path", [("DELETE", "/tasks"), ("PUT", "/instances"), ("GET", "/tasks/1/complete"),
                                          ("PATCH", "/documents/1"), ("POST", "/openapi.json")])
def test_wrong_method_is_405_with_allow(client: FlaskClient, method: str, path: str) -> None:
    response = client.open(API + path, method=method)
    assert_problem(response, 405, API + path)
    assert response.headers["Allow"]


@pytest.mark.parametrize("path", ["/", "", "/nichts", "/tasks/", "/tasks/1/nichts", "/v2/tasks"])
def test_unknown_routes_are_404_problems(client: FlaskClient, path: str) -> None:
    assert_problem(client.get(API + path), 404)


def test_unexpected_error_is_a_logged_500_without_traceback(client: FlaskClient, auth: TokenFactory,
                                                            monkeypatch: pytest.MonkeyPatch,
                                                            caplog: pytest.LogCaptureFixture) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("geheimes Innenleben")

    monkeypatch.setattr(inbox, "list_tasks", broken)
    with caplog.at_level(logging.ERROR):
        response = client.get(f"{API}/tasks", headers=auth("sachbearbeitung"))
    body = assert_problem(response, 500)
    assert "geheim" not in response.get_data(as_text=True) and "RuntimeError" not in body["detail"]
    assert "geheimes Innenleben" in caplog.text
