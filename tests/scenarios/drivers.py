"""Two drivers with the same small interface (`tests.scenarios.grant_round.Driver`).

`EngineDriver` calls `workflows.engine` and `workflows.inbox` directly, as the web views do.
`ApiDriver` talks HTTP to `/api/v1` (Flask test client), every user with their own bearer
token from `workflows.tokens.create_token`; it never touches the engine, except for the
ticker: timers are fired by `grantflow tick` (`engine.fire_due_timers`), which is not part of
the API. Both return plain JSON-like dicts in the API's shapes, so the scenario cannot tell
them apart. After every step both run the jobs it queued (documents), as `grantflow worker` would.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask.testing import FlaskClient

from tests.api.contract import assert_conforms
from tests.api.helpers import assert_problem
from tests.scenarios.grant_round import Refusal
from webapp.api.schemas import Document, Event, InstanceFields, TaskFields, jsonable
from workflows import engine, inbox, jobs
from workflows.errors import Forbidden, GrantflowError, NotFound, ValidationFailed
from workflows.identity import tokens
from workflows.storage.db import Database

API = "/api/v1"
PER_PAGE = 200


def _field(pointer: str) -> str:
    parts = [p for p in pointer.split("/") if p]
    return parts[-1] if parts else ""


class EngineDriver:
    """Direct calls into `workflows.engine` / `workflows.inbox`."""

    name = "engine"

    def __init__(self, db: Database) -> None:
        self.db = db

    def start(self, process: str, business_key: str, user: str) -> int:
        return engine.start_instance(self.db, process, business_key, user).instance_id

    def tasks(self, user: str, *, instance: int, element: str | None = None) -> list[dict[str, Any]]:
        page = inbox.list_tasks(self.db, user, instance_id=instance, element_id=element, per_page=PER_PAGE)
        assert page.total <= PER_PAGE, page.total
        return [TaskFields.build(t).to_json() for t in page.items]

    def task(self, task_id: int, user: str) -> dict[str, Any]:
        d = inbox.get_task(self.db, task_id, user)
        return {**TaskFields.build(d.task).to_json(), "initial": jsonable(d.initial), "context": jsonable(d.context),
                "may_complete": d.may_complete, "refusal": d.refusal}

    def complete(self, task_id: int, data: dict[str, Any], user: str) -> None:
        engine.complete_task(self.db, task_id, data, user)
        jobs.run_worker(self.db, once=True)

    def refused(self, task_id: int, data: dict[str, Any], user: str) -> Refusal:
        try:
            engine.complete_task(self.db, task_id, data, user)
        except ValidationFailed as exc:
            return Refusal(422, "\n".join(f"{e.field}: {e.message}" for e in exc.errors))
        except (Forbidden, NotFound) as exc:
            return Refusal(exc.http_status, exc.message)
        raise AssertionError(f"task {task_id} was completed by {user}, expected a refusal")

    def deliver(self, instance: int, name: str, payload: dict[str, Any], user: str) -> None:
        engine.deliver_message(self.db, instance, name, payload, user)
        jobs.run_worker(self.db, once=True)

    def tick(self, now: datetime) -> int:
        fired = engine.fire_due_timers(self.db, now=now)
        jobs.run_worker(self.db, once=True)
        return fired

    def instance(self, instance: int, user: str) -> dict[str, Any]:
        d = inbox.get_instance(self.db, instance, user)
        return {**InstanceFields.build(d.instance).to_json(), "data": jsonable(d.data)}

    def events(self, instance: int, user: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            events, total = inbox.list_events(self.db, instance, user, page=page, per_page=500)
            out += [Event.build(e).to_json() for e in events]
            if len(out) >= total or not events:
                return out
            page += 1

    def documents(self, instance: int, user: str) -> list[dict[str, Any]]:
        return [Document.build(d, href=f"{API}/documents/{d.id}").to_json()
                for d in inbox.list_documents(self.db, instance, user)]

    def download(self, document_id: int, user: str) -> tuple[int, bytes]:
        try:
            doc = inbox.get_document(self.db, document_id, user)
        except GrantflowError as exc:
            return exc.http_status, b""
        assert doc.media_type == "application/pdf"
        return 200, doc.content


class ApiDriver:
    """HTTP on `/api/v1`, one bearer token per user."""

    name = "api"

    def __init__(self, client: FlaskClient, db: Database) -> None:
        self.client, self.db = client, db
        self._headers: dict[str, dict[str, str]] = {}

    def headers(self, user: str) -> dict[str, str]:
        if user not in self._headers:
            _, plaintext = tokens.create_token(self.db, user, "scenario")
            self._headers[user] = {"Authorization": f"Bearer {plaintext}"}
        return self._headers[user]

    def _get(self, url: str, user: str, **params: Any) -> Any:
        response = self.client.get(url, headers=self.headers(user), query_string=params)
        assert response.status_code == 200, (url, response.status_code, response.get_data(as_text=True)[:500])
        assert_conforms(response, "GET", url)
        assert response.headers["Cache-Control"] == "private, no-store"
        return response.get_json()

    def _post(self, url: str, body: dict[str, Any], user: str) -> Any:
        response = self.client.post(url, headers=self.headers(user), json=body)
        assert response.status_code in (200, 201), (url, response.status_code, response.get_data(as_text=True)[:500])
        assert_conforms(response, "POST", url)
        return response

    def start(self, process: str, business_key: str, user: str) -> int:
        response = self._post(f"{API}/instances", {"process": process, "business_key": business_key}, user)
        assert response.status_code == 201
        body = response.get_json()
        assert response.headers["Location"] == body["links"]["instance"]
        return int(body["instance_id"])

    def tasks(self, user: str, *, instance: int, element: str | None = None) -> list[dict[str, Any]]:
        params: dict[str, Any] = {"instance": instance, "per_page": PER_PAGE}
        if element:
            params["element_id"] = element
        body = self._get(f"{API}/tasks", user, **params)
        assert body["total"] <= PER_PAGE, body["total"]
        return [{k: v for k, v in t.items() if k != "href"} for t in body["items"]]

    def task(self, task_id: int, user: str) -> dict[str, Any]:
        body = self._get(f"{API}/tasks/{task_id}", user)
        assert body["links"]["complete"] == f"{API}/tasks/{task_id}/complete"
        return dict(body)

    def complete(self, task_id: int, data: dict[str, Any], user: str) -> None:
        body = self._post(f"{API}/tasks/{task_id}/complete", data, user).get_json()
        assert body["links"]["instance"] == f"{API}/instances/{body['instance_id']}"
        jobs.run_worker(self.db, once=True)  # the worker (`grantflow worker`), not the API

    def refused(self, task_id: int, data: dict[str, Any], user: str) -> Refusal:
        url = f"{API}/tasks/{task_id}/complete"
        response = self.client.post(url, headers=self.headers(user), json=data)
        assert response.status_code in (403, 404, 422), (response.status_code, response.get_data(as_text=True))
        body = assert_problem(response, response.status_code, url)
        if response.status_code != 422:
            return Refusal(response.status_code, body["detail"])
        assert body["errors"] and all(e["pointer"].startswith("/") for e in body["errors"]), body
        return Refusal(422, "\n".join(f"{_field(e['pointer'])}: {e['detail']}" for e in body["errors"]))

    def deliver(self, instance: int, name: str, payload: dict[str, Any], user: str) -> None:
        self._post(f"{API}/instances/{instance}/messages/{name}", payload, user)
        jobs.run_worker(self.db, once=True)

    def tick(self, now: datetime) -> int:
        fired = engine.fire_due_timers(self.db, now=now)  # the ticker (`grantflow tick`), not the API
        jobs.run_worker(self.db, once=True)  # and the worker (`grantflow worker`)
        return fired

    def instance(self, instance: int, user: str) -> dict[str, Any]:
        return dict(self._get(f"{API}/instances/{instance}", user))

    def events(self, instance: int, user: str) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        page = 1
        while True:
            body = self._get(f"{API}/instances/{instance}/events", user, per_page=500, page=page)
            out += body["items"]
            if body["links"]["next"] is None:
                assert len(out) == body["total"]
                return out
            page += 1

    def documents(self, instance: int, user: str) -> list[dict[str, Any]]:
        items = self._get(f"{API}/instances/{instance}/documents", user)["items"]
        for d in items:
            assert d["href"] == f"{API}/documents/{d['id']}"
        return list(items)

    def download(self, document_id: int, user: str) -> tuple[int, bytes]:
        url = f"{API}/documents/{document_id}"
        response = self.client.get(url, headers=self.headers(user))
        if response.status_code != 200:
            assert_problem(response, response.status_code, url)
            return response.status_code, b""
        assert response.mimetype == "application/pdf"
        assert response.headers["Cache-Control"] == "private, no-store"
        assert "attachment" in response.headers["Content-Disposition"]
        return 200, response.get_data()
