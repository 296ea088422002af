"""HTTP conditions: 406 for an `Accept` the API cannot serve, ETags with 304, `If-Match` with 412."""

from __future__ import annotations

import re

import pytest
from flask.testing import FlaskClient

from tests.api.conftest import TokenFactory
from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem, ready_tasks
from tests.api.test_api import ANSWER, _answer_everything, _answer_task
from workflows.storage.db import Database

API = "/api/v1"


@pytest.mark.parametrize("accept", ["application/xml", "text/html", "text/csv, application/pdf"])
def test_an_accept_without_json_is_406(client: FlaskClient, auth: TokenFactory, accept: str) -> None:
    response = client.get(f"{API}/tasks", headers={**auth("sachbearbeitung"), "Accept": accept})
    body = assert_problem(response, 406, f"{API}/tasks")
    assert "application/json" in body["detail"]


@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/*", "text/html;q=0.9, */*;q=0.1", ""])
def test_an_accept_that_includes_json_is_served(client: FlaskClient, auth: TokenFactory, accept: str) -> None:
    response = client.get(f"{API}/tasks", headers={**auth("sachbearbeitung"), "Accept": accept})
    assert response.status_code == 200 and response.mimetype == "application/json"


def test_docs_answer_html_only(client: FlaskClient) -> None:
    assert client.get(f"{API}/docs", headers={"Accept": "text/html"}).status_code == 200
    assert_problem(client.get(f"{API}/docs", headers={"Accept": "application/json"}), 406)


def test_etag_and_if_none_match(client: FlaskClient, auth: TokenFactory, api_db: Database, round_id: int) -> None:
    staff, url = auth("sachbearbeitung"), f"{API}/instances/{round_id}"
    first = client.get(url, headers=staff)
    assert_conforms(first, "GET", url)
    etag = first.headers["ETag"]
    unchanged = client.get(url, headers={**staff, "If-None-Match": etag})
    assert unchanged.status_code == 304 and unchanged.get_data() == b""
    assert_conforms(unchanged, "GET", url)
    assert client.get(url, headers={**staff, "If-None-Match": '"anders"'}).status_code == 200
    task_id = _answer_task(api_db, round_id)
    assert client.post(f"{API}/tasks/{task_id}/complete", headers=auth("offenburg"), json=ANSWER).status_code == 200
    changed = client.get(url, headers={**staff, "If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_if_match_refuses_a_write_to_a_round_that_moved_on(client: FlaskClient, auth: TokenFactory,
                                                           api_db: Database, round_id: int) -> None:
    staff, url = auth("sachbearbeitung"), f"{API}/instances/{round_id}"
    seen = client.get(url, headers=staff).get_json()["revision"]
    _answer_everything(client, auth, api_db, round_id)
    now = client.get(url, headers=staff).get_json()["revision"]
    assert now > seen

    cancel = f"{API}/instances/{round_id}/cancel"
    stale = assert_problem(client.post(cancel, headers={**staff, "If-Match": f'"{seen}"'}, json={"reason": "x"}),
                           412, cancel)
    assert stale["revision"] == now
    assert client.get(url, headers=staff).get_json()["status"] == "running"  # nothing ran

    (draft,) = ready_tasks(client, staff, element_id="draft")
    complete = f"{API}/tasks/{draft['id']}/complete"
    assert_problem(client.post(complete, headers={**staff, "If-Match": f'"{seen}"'}, json={"text": "E"}), 412)
    assert ready_tasks(client, staff, element_id="draft") == [draft]
    done = client.post(complete, headers={**staff, "If-Match": f'W/"{now}", "0"'}, json={"text": "E"})
    assert done.status_code == 200, done.get_json()


def test_a_gemeinde_sees_no_revision_and_cannot_probe_it(client: FlaskClient, auth: TokenFactory,
                                                         api_db: Database, round_id: int) -> None:
    offenburg = auth("offenburg")
    assert client.get(f"{API}/instances/{round_id}", headers=offenburg).get_json()["revision"] is None
    (listed,) = client.get(f"{API}/instances", headers=offenburg).get_json()["items"]
    assert listed["revision"] is None
    task_id = _answer_task(api_db, round_id)
    url = f"{API}/tasks/{task_id}/complete"
    body = assert_problem(client.post(url, headers={**offenburg, "If-Match": '"1"'}, json=ANSWER), 412, url)
    assert "revision" not in body
    assert client.post(url, headers={**offenburg, "If-Match": "*"}, json=ANSWER).status_code == 200


def test_head_and_options_as_the_document_says(client: FlaskClient, auth: TokenFactory, round_id: int) -> None:
    staff, url = auth("sachbearbeitung"), f"{API}/instances/{round_id}"
    get, head = client.get(url, headers=staff), client.head(url, headers=staff)
    assert head.status_code == 200 and head.data == b"" and head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Type"] == get.headers["Content-Type"]
    options = client.options(f"{API}/instances", headers=staff)
    assert options.status_code == 204 and options.data == b"" and "Content-Type" not in options.headers
    assert options.headers["Allow"] == "GET, HEAD, OPTIONS, POST"
    assert client.head(url).status_code == 401 and client.options(f"{API}/instances").status_code == 401


def test_options_names_exactly_the_documented_methods_of_every_address(client: FlaskClient, auth: TokenFactory,
                                                                       round_id: int) -> None:
    """`Allow` is what the document lists for the path (with HEAD beside GET), never a method that gives 405."""
    staff = auth("sachbearbeitung")
    doc = client.get(f"{API}/openapi.json").get_json()
    for template, item in doc["paths"].items():
        documented = {m.upper() for m in item if m != "parameters"}
        expected = documented | {"OPTIONS"} | ({"HEAD"} if "GET" in documented else set())
        path = API + re.sub(r"\{[a-z_]+\}", "1", template).replace("{key}", "x")
        response = client.options(path, headers={**staff, "Accept": "application/xml"})  # nothing to negotiate
        assert response.status_code == 204, (path, response.get_data(as_text=True))
        allowed = set(response.headers["Allow"].split(", "))
        assert allowed == expected, (template, allowed)
        for method in sorted(allowed - {"OPTIONS"}):
            assert client.open(path, method=method, headers=staff).status_code != 405, (method, path)
        for method in sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - allowed):
            refused = client.open(path, method=method, headers=staff)
            assert refused.status_code == 405 and refused.headers["Allow"] == response.headers["Allow"], (
                method, path, refused.headers.get("Allow"))
    unknown = client.options(f"{API}/nirgends", headers=staff)
    assert unknown.status_code == 404 and unknown.mimetype == "application/problem+json"
