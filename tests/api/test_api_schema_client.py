"""The whole real grant round (bpmn/, forms/) driven by a client written from the contract alone.

`tests.api.schema_client` knows nothing of forms/ or the programme: it builds each submission from
the task's served schema (prefill, defaults, enums, examples, bounds) and each message from the
message's served schema. The only knowledge beyond the contract is the decisions a person makes
(`CHOICES`: which Gemeinden transfer, who applies), the users' tokens (a deployment's directory) and
the ticker and worker, which are processes of their own, not the API. Every submission is first
checked against the served schema with jsonschema and then must be accepted: the server never
refuses what the schema it served allows.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from tests.api.conftest import make_app
from tests.api.contract import assert_conforms
from tests.api.schema_client import SchemaClient, decide, solve
from tests.conftest import ROOT, deploy_dir
from tests.scenarios.pdf_layouts import reuse_pdf_layouts
from workflows import engine, jobs
from workflows.identity import tokens
from workflows.storage.db import Database
from workflows.storage.models import User

PREFIX = "/api/v1"
TRANSFERRING = 3  # Gemeinden that transfer; the others are still deciding ("Noch in Prüfung")


def choices(element_id: str, answered: int) -> dict[str, Any]:
    """The decisions the process leaves to people, as the form shows them (field titles, the labels of choices;
    `schema_client.decide` finds the schema's names and values); everything else comes from the schema."""
    if element_id == "rueckmeldung_abgeben":
        if answered < TRANSFERRING:
            return {"Entscheidung": "Übertragung an den Landkreis", "Geflüchtete in der Anschlussunterbringung": 100}
        return {"Entscheidung": "Noch in Prüfung"}
    if element_id == "bewerbungen_erfassen":
        return {"Bewerbungen": [{"Name": "Alex Beispiel", "Qualifikation": "a) Bachelor Sozialwesen",
                                 "Einladen": True}]}
    return {}


class Harness:
    """Tokens per user, HTTP through the Flask client, every answer checked against the document."""

    def __init__(self, client: FlaskClient, db: Database) -> None:
        self.client, self.db = client, db
        with db.read() as session:
            users = session.scalars(select(User).where(User.active)).all()
            self.roles = {u.username: set(u.role_keys) for u in users}
            self.gemeinde = {u.gemeinde.ags: u.username for u in users if u.gemeinde is not None}
        self._tokens: dict[str, str] = {}
        self.submissions = 0

    def headers(self, user: str | None) -> dict[str, str]:
        if user is None:
            return {}
        if user not in self._tokens:
            self._tokens[user] = tokens.create_token(self.db, user, "schema client")[1]
        return {"Authorization": f"Bearer {self._tokens[user]}"}

    def get(self, path: str, user: str | None, query: dict[str, Any] | None) -> Any:
        response = self.client.get(PREFIX + path, headers=self.headers(user), query_string=query or {})
        assert response.status_code == 200, (path, response.get_data(as_text=True)[:500])
        if path != "/openapi.json":
            assert_conforms(response, "GET", PREFIX + path)
        return response.get_json()

    def post(self, path: str, user: str, body: dict[str, Any]) -> Any:
        response = self.client.post(PREFIX + path, headers=self.headers(user), json=body)
        assert response.status_code in (200, 201), (path, body, response.get_data(as_text=True)[:800])
        assert_conforms(response, "POST", PREFIX + path)
        jobs.run_worker(self.db, once=True)  # the worker (`grantflow worker`), not the API
        return response.get_json()

    def holder(self, role: str | None) -> str:
        return next(u for u, roles in sorted(self.roles.items()) if (role in roles and role != "Administration")
                    or (role is None and "Administration" in roles))

    def acting_user(self, assignee: dict[str, Any]) -> str:
        """Whose turn it is, from the task's `assignee` alone (user, else the Gemeinde's user, else the role)."""
        if assignee["user"]:
            return str(assignee["user"])
        if assignee["gemeinde"]:
            return self.gemeinde[assignee["gemeinde"]]
        return self.holder(assignee["role"])


def _accepted(schema: dict[str, Any], body: dict[str, Any]) -> None:
    errors = [e.message for e in Draft202012Validator(schema, format_checker=FormatChecker()).iter_errors(body)]
    assert not errors, errors


@pytest.mark.timeout(300)
def test_a_client_written_from_the_contract_alone_drives_the_whole_round(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite and on PostgreSQL."""
    reuse_pdf_layouts(monkeypatch)
    deploy_dir(db, ROOT)
    api_db = db
    client = make_app(db).test_client()
    h = Harness(client, api_db)
    api = SchemaClient(h.get, h.post, PREFIX)
    staff = sorted(u for u, roles in h.roles.items() if roles and "Gemeinde" not in roles)
    forms = {f["element_id"]: f for f in api.operation("completeTask")["x-forms"]
             if f["process"] == "grant_round"}  # what only the server checks, known before the round starts

    (process,) = [p for p in api.get("listProcesses", "sachbearbeitung")["items"] if p["key"] == "grant_round"]
    start_body = api.document["components"]["schemas"]["StartInstance"]["examples"][0]
    started = api.post("startInstance", h.holder(process["start_role"]), dict(start_body, process=process["key"]))
    iid = started["instance_id"]
    done: dict[str, int] = {}
    messages = 0
    for _ in range(400):
        query = {"instance": iid, "per_page": 200}
        tasks = {t["id"]: t for user in staff for t in api.get("listTasks", user, query)["items"]}
        if not tasks:  # only then ask each Gemeinde (their tasks are theirs alone)
            tasks = {t["id"]: t for user in h.gemeinde.values() for t in api.get("listTasks", user, query)["items"]}
        if tasks:
            for task in tasks.values():
                user = h.acting_user(task["assignee"])
                detail = api.get("getTask", user, task_id=task["id"])
                if detail["status"] != "ready" or not detail["may_complete"]:
                    continue
                schema = api.follow(detail["links"]["schema"], user)
                assert schema == detail["schema"]
                assert schema.get("x-server-rules", []) == forms[task["element_id"]]["server_rules"]
                decided = decide(schema, choices(task["element_id"], done.get(task["element_id"], 0)))
                body = solve(schema, {**detail["initial"], **decided})
                _accepted(schema, body)
                api.post("completeTask", user, body, task_id=task["id"])
                done[task["element_id"]] = done.get(task["element_id"], 0) + 1
                h.submissions += 1
            continue
        instance = api.get("getInstance", "sachbearbeitung", instance_id=iid)
        if instance["status"] != "running":
            break
        if instance["expected_messages"]:
            expected = instance["expected_messages"][0]
            user = h.holder(expected["role"])
            schema = api.follow(expected["schema"], user)
            body = solve(schema, dict(schema.get("examples", [{}])[0]))
            _accepted(schema, body)
            api.post("deliverMessage", user, body, instance_id=iid, name=expected["name"])
            messages += 1
            continue
        timers = api.get("listTimers", "sachbearbeitung")["items"]
        assert timers, f"the round waits for nothing the API shows: {instance['current_steps']}"
        due = min(datetime.fromisoformat(t["due_at"]) for t in timers)
        engine.fire_due_timers(api_db, now=due + timedelta(seconds=1))  # the ticker (`grantflow tick`)
        jobs.run_worker(api_db, once=True)
    instance = api.get("getInstance", "sachbearbeitung", instance_id=iid)
    assert instance["status"] == "completed", instance["current_steps"]
    assert done["rueckmeldung_abgeben"] == len(h.gemeinde) == 51
    assert {"runde_eroeffnen", "stimme_abgeben", "antrag_zeichnen", "auswahl_treffen",
            "einstellung_vornehmen"} <= set(done)
    assert messages >= 1 and h.submissions >= 60
    kinds = {d["kind"] for d in api.get("listDocuments", "sachbearbeitung", instance_id=iid)["items"]}
    assert {"beschlussvorlage", "antrag", "stellenausschreibung"} <= kinds
