"""Small drivers for the API tests (the API only, no engine calls)."""

from __future__ import annotations

from typing import Any

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from tests.api.contract import assert_conforms, assert_schema
from workflows.foerderung.demo import username_for
from workflows.foerderung.masterdata import DATA_DIR, read_gemeinden_csv


def gemeinde_users() -> dict[str, str]:
    """AGS -> demo username of that Gemeinde."""
    return {rec.ags: username_for(rec.name) for rec in read_gemeinden_csv(DATA_DIR / "ortenaukreis_gemeinden.csv")}


def assert_problem(response: TestResponse, status: int, path: str | None = None) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status; returns its body."""
    assert response.status_code == status, (response.status_code, response.get_data(as_text=True)[:500])
    assert response.mimetype == "application/problem+json", response.mimetype
    body = response.get_json()
    assert_schema(body, "ValidationProblem" if status == 422 else "Problem")
    assert body["status"] == status
    assert body["type"].startswith("/api/v1/docs#problem-")
    assert body["detail"] and "Traceback" not in body["detail"]
    if path is not None:
        assert body["instance"] == path
    return body


def ready_tasks(client: FlaskClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/tasks", headers=headers, query_string={"per_page": 200, **params})
    assert response.status_code == 200, response.get_json()
    assert_conforms(response, "GET", "/api/v1/tasks")
    items: list[dict[str, Any]] = response.get_json()["items"]
    return items
