"""The whole real grant round (bpmn/, forms/) driven by a client written from the contract alone.

`tests.api.schema_client` knows nothing of forms/ or the programme: it builds each submission from
the task's served schema (prefill, defaults, enums, examples, bounds) and each message from the
message's served schema. The only knowledge beyond the contract is the decisions a person makes
(`CHOICES`: which Gemeinden transfer, who applies), the users' tokens (a deployment's directory) and
the ticker and worker, which are processes of their own, not the API. Every submission is first
checked against the served schema with jsonschema and then must be accepted: the server never
refuses what the schema it served allows. A second round draws each submission at random from its served
schema (the decisions and the fields that steer the process kept): every draw is accepted, or refused
only with the message of a rule the schema lists as the server's own (`x-server-rules`).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import select

from tests.api.conftest import make_app
from tests.api.contract import assert_conforms
from tests.api.schema_client import SchemaClient, decide, solve
from tests.api.schema_values import transportable, values_for
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


Submit = Callable[[str, dict[str, Any], dict[str, Any], dict[str, Any]], None]


def drive(h: Harness, api: SchemaClient, submit: Submit) -> tuple[int, dict[str, int], int]:
    """The whole round as the client sees it: whose turn (`assignee`), the served schemas, the expected messages,
    the timers; `submit(user, task, schema, decided)` completes each task. Returns the round, the tasks done per
    type and the messages delivered."""
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
                submit(user, detail, schema, {**detail["initial"], **decided})
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
        engine.fire_due_timers(h.db, now=due + timedelta(seconds=1))  # the ticker (`grantflow tick`)
        jobs.run_worker(h.db, once=True)
    return iid, done, messages


def _check_completed(h: Harness, api: SchemaClient, iid: int, done: dict[str, int], messages: int) -> None:
    instance = api.get("getInstance", "sachbearbeitung", instance_id=iid)
    assert instance["status"] == "completed", instance["current_steps"]
    assert done["rueckmeldung_abgeben"] == len(h.gemeinde) == 51
    assert {"runde_eroeffnen", "stimme_abgeben", "antrag_zeichnen", "auswahl_treffen",
            "einstellung_vornehmen"} <= set(done)
    assert messages >= 1 and h.submissions >= 60
    kinds = {d["kind"] for d in api.get("listDocuments", "sachbearbeitung", instance_id=iid)["items"]}
    assert {"beschlussvorlage", "antrag", "stellenausschreibung"} <= kinds


@pytest.mark.timeout(300)
def test_a_client_written_from_the_contract_alone_drives_the_whole_round(
        db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite and on PostgreSQL: every submission is built from its served schema and must be accepted."""
    reuse_pdf_layouts(monkeypatch)
    deploy_dir(db, ROOT)
    h = Harness(make_app(db).test_client(), db)
    api = SchemaClient(h.get, h.post, PREFIX)

    def submit(user: str, task: dict[str, Any], schema: dict[str, Any], start: dict[str, Any]) -> None:
        body = solve(schema, start)
        _accepted(schema, body)
        api.post("completeTask", user, body, task_id=task["id"])

    _check_completed(h, api, *drive(h, api, submit))


def _fixed(field: dict[str, Any]) -> bool:
    """A field that steers the process (a choice, a flag, rows): kept as decided, not drawn."""
    return bool({"enum", "const", "oneOf"} & set(field)) or field.get("type") in ("boolean", "array", "object")


def _draw_schema(schema: dict[str, Any], solved: dict[str, Any], start: dict[str, Any]) -> dict[str, Any]:
    """The served schema with the decided and steering fields (choices, flags, rows) and the prefilled figures and
    dates fixed to the solved values; the others (texts, also prefilled ones, and the dates and amounts left
    open) are left to the generator. Every draw is checked against the served schema itself."""
    props = dict(schema.get("properties", {}))
    for name, field in schema.get("properties", {}).items():
        free_text = field.get("type") == "string" and "format" not in field
        if (name in start and not free_text) or _fixed(field):
            if name in solved:
                props[name] = {"const": solved[name]}
            else:
                del props[name]
    fixed = {name for name, field in props.items() if set(field) == {"const"}}
    return {**schema, "properties": props, "required": sorted(set(schema.get("required", [])) | fixed)}


def _server_rule(detail: str, rules: list[dict[str, str]]) -> bool:
    """`detail` is the message of one of the rules the schema lists as the server's own (`…` stands for figures)."""
    return any(all(part.strip() in detail for part in r["message"].split("…")) for r in rules)


@pytest.mark.timeout(300)
def test_every_submission_the_served_schema_allows_is_accepted_along_the_round(
        sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same round, but each submission is drawn from its task's served schema (schemathesis' generator, the
    decided and steering fields kept): the server accepts every draw, or refuses it only with the German message
    of a rule the schema lists in `x-server-rules` (then the solved body goes in)."""
    db = sqlite_db
    reuse_pdf_layouts(monkeypatch)
    deploy_dir(db, ROOT)
    client = make_app(db).test_client()
    h = Harness(client, db)
    api = SchemaClient(h.get, h.post, PREFIX)
    drawn: dict[str, int] = {}
    refused_by_rule: list[str] = []
    outcome: dict[str, Any] = {}

    def submitting(data: st.DataObject) -> Submit:
        def submit(user: str, task: dict[str, Any], schema: dict[str, Any], start: dict[str, Any]) -> None:
            solved = solve(schema, start)
            validator = Draft202012Validator(schema, format_checker=FormatChecker())
            body = data.draw(values_for(_draw_schema(schema, solved, start)), label=task["element_id"])
            if not (isinstance(body, dict) and validator.is_valid(body) and transportable(body)):
                body = solved  # the generator's draw does not fit the served schema: nothing to learn from it
            else:
                drawn[task["element_id"]] = drawn.get(task["element_id"], 0) + 1
            path = api.url("completeTask", task_id=task["id"])
            response = client.post(PREFIX + path, headers=h.headers(user), json=body)
            assert_conforms(response, "POST", PREFIX + path)
            if response.status_code == 422 and body is not solved:
                problem = response.get_json()
                rules = schema.get("x-server-rules", [])
                assert problem["errors"] and all(_server_rule(e["detail"], rules) for e in problem["errors"]), (
                    task["element_id"], body, problem)
                refused_by_rule.append(task["element_id"])
                api.post("completeTask", user, solved, task_id=task["id"])
                return
            assert response.status_code == 200, (task["element_id"], body, response.get_json())
            jobs.run_worker(db, once=True)
        return submit

    @settings(max_examples=1, phases=[Phase.generate], derandomize=True, database=None, deadline=None,
              suppress_health_check=list(HealthCheck))
    @given(data=st.data())
    def one_round(data: st.DataObject) -> None:
        # hypothesis' first example is the simplest value of every draw ('0', 2000-01-01, no optional field): it
        # is passed over, and the one round that runs draws at random (derandomized: the same draws every time)
        assume(data.draw(st.integers(0, 2**16), label="not the simplest example") != 0)
        if outcome:
            return
        try:
            outcome["round"] = drive(h, api, submitting(data))
        except AssertionError as failure:  # reported below: hypothesis would replay a round on a changed database
            outcome["failure"] = failure

    one_round()
    if "failure" in outcome:
        raise outcome["failure"]
    _check_completed(h, api, *outcome["round"])
    assert sum(drawn.values()) >= 60 and len(drawn) >= 13, drawn
