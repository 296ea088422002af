"""In-memory driver for the grant-round diagrams, straight on SpiffWorkflow (no database).

It applies the task properties of docs/bpmn-conventions.md the way the engine does
(the form's schema with `formSchema`, prefill, validation, resultVariable, fourEyes, assignees) with the
engine's own form preparation and sandbox
(`workflows.scripting`), and stubs the service operators, so the diagrams can be run and
checked on their own. The engine end-to-end test (test_grant_round_e2e.py) goes through
`workflows.engine` instead.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.engine import forms, taskindex
from workflows.engine.scripting import SandboxEnvironment, make_script_engine
from workflows.foerderung.masterdata import DATA_DIR, read_teams_json

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
GEMEINDEN_CSV = DATA_DIR / "ortenaukreis_gemeinden.csv"


class Refused(Exception):
    """A submission the engine would refuse (validation messages or a four-eyes/assignee breach)."""

    def __init__(self, errors: dict[str, str]):
        super().__init__(errors)
        self.errors = errors


def load_gemeinden_csv(landkreis: str) -> list[dict[str, Any]]:
    """What the engine's `load_gemeinden` returns, from the repository copy of the shared CSV."""
    assert landkreis == "ortenaukreis", landkreis
    teams, zuordnung = read_teams_json(DATA_DIR / "teams_ortenaukreis.json")
    with GEMEINDEN_CSV.open(encoding="utf-8") as fh:
        return [{"ags": r["ags"], "name": r["name"], "typ": r["type"],
                 "einwohner": int(r["population"]) if r["population"] else None,
                 "team": zuordnung.get(r["ags"]), "team_name": teams.get(zuordnung.get(r["ags"], ""))}
                for r in csv.DictReader(fh)]


@dataclass
class Services:
    """Stub service operators that record every call."""

    members: list[dict[str, Any]] = field(default_factory=list)
    calls: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    def __call__(self, name: str, params: dict[str, Any], context: Any) -> Any:
        self.calls.append((name, params))
        if name == "load_gemeinden":
            return load_gemeinden_csv(params["landkreis"])
        if name == "load_members":
            assert params["role"] == "Verwaltungsausschuss"
            return self.members
        if name == "generate_document":
            n = len(self.calls)
            return {"document_id": n, "filename": f"{params['kind']}-{n}.pdf", "kind": params["kind"]}
        if name == "notify":
            return {"notification_id": len(self.calls)}
        raise KeyError(name)

    def of(self, name: str) -> list[dict[str, Any]]:
        return [p for n, p in self.calls if n == name]


def parse(bpmn_dir: Path = BPMN_DIR, dmn_dir: Path | None = None) -> tuple[Any, dict[str, Any]]:
    parser = SpiffBpmnParser(validator=VALIDATOR)
    parser.add_bpmn_files(sorted(str(p) for p in bpmn_dir.glob("*.bpmn")))
    parser.add_dmn_files(sorted(str(p) for p in (dmn_dir or bpmn_dir).glob("*.dmn")))
    return parser.get_spec("grant_round"), parser.get_subprocess_specs("grant_round")


class Round:
    """One grant round in memory."""

    def __init__(self, bpmn_dir: Path = BPMN_DIR, dmn_dir: Path | None = None,
                 members: list[dict[str, Any]] | None = None):
        spec, subs = parse(bpmn_dir, dmn_dir)
        self.services = Services(members=members or [])
        self.wf = BpmnWorkflow(spec, subs, script_engine=make_script_engine(self.services))
        self.completed_by: dict[str, str] = {}
        self.audit: list[tuple[str, str, dict[str, Any]]] = []
        self.wf.do_engine_steps()

    # ------------------------------------------------------------------ reading
    def ready(self, spec: str | None = None, lane: str | None = None) -> list[Any]:
        tasks = self.wf.get_tasks(state=TaskState.READY, manual=True)
        return [t for t in tasks if (spec is None or t.task_spec.bpmn_id == spec)
                and (lane is None or t.task_spec.lane == lane)]

    def one(self, spec: str) -> Any:
        tasks = self.ready(spec)
        assert len(tasks) == 1, (spec, [t.task_spec.bpmn_id for t in self.ready()])
        return tasks[0]

    @staticmethod
    def props(task: Any) -> dict[str, str]:
        return dict(getattr(task.task_spec, "extensions", {}).get("properties", {}))

    def evaluate(self, task: Any, expression: str, **extra: Any) -> Any:
        return SandboxEnvironment().evaluate(expression, dict(task.data, **extra))

    def prefill(self, task: Any) -> dict[str, Any]:
        expr = self.props(task).get("prefill")
        return dict(self.evaluate(task, expr)) if expr else {}

    def data(self, spec: str) -> dict[str, Any]:
        """Data of the last completed task with this BPMN id (mid-run, `wf.data` is empty)."""
        done = [t for t in self.wf.get_tasks() if t.task_spec.bpmn_id == spec and t.state == TaskState.COMPLETED]
        assert done, spec
        return done[-1].data

    # ------------------------------------------------------------------ acting
    def submit(self, task: Any, form: dict[str, Any], user: str, gemeinde: str | None = None) -> None:
        """Complete a user task as the engine would; raises Refused instead of completing."""
        props = self.props(task)
        if "assigneeGemeinde" in props and self.evaluate(task, props["assigneeGemeinde"]) != gemeinde:
            raise Refused({"_": "Aufgabe gehört einer anderen Gemeinde"})
        if "assigneeUser" in props and self.evaluate(task, props["assigneeUser"]) != user:
            raise Refused({"_": "Aufgabe ist einer anderen Person zugewiesen"})
        if "fourEyes" in props and self.completed_by.get(props["fourEyes"]) == user:
            raise Refused({"_": "Vier-Augen-Prinzip: nicht durch dieselbe Person"})
        if props.get("formKey"):
            form_schema = json.loads((ROOT / "forms" / f"{props['formKey']}.schema.json").read_text(encoding="utf-8"))
            schema = taskindex.task_schema(task, form_schema)
            form = taskindex.with_read_only_values(task, schema, form)
            problems = forms.validation_errors(schema, form)
            if problems:
                raise Refused({e.pointer.removeprefix("/") or "_": e.message for e in problems})
        if "validation" in props:
            errors = self.evaluate(task, props["validation"], form=form)
            if errors:
                raise Refused(dict(errors))
        if "resultVariable" in props:
            task.data[props["resultVariable"]] = dict(form)
        else:
            task.data.update(form)
        task.run()
        self.completed_by[task.task_spec.bpmn_id] = user
        self.audit.append((task.task_spec.bpmn_id, user, dict(form)))
        self.wf.do_engine_steps()

    def waiting_timers(self, spec: str | None = None) -> list[Any]:
        out = []
        for t in self.wf.get_tasks(state=TaskState.WAITING):
            s = t.task_spec
            ed = getattr(s, "event_definition", None)
            timer = isinstance(ed, TimerEventDefinition) or (  # event-based gateway: timer among its events
                isinstance(ed, MultipleEventDefinition)
                and any(isinstance(e, TimerEventDefinition) for e in ed.event_definitions))
            if isinstance(s, CatchingEvent) and timer and (spec is None or s.bpmn_id == spec):
                out.append(t)
        return out

    def due(self, task: Any) -> datetime:
        return TimerEventDefinition.get_datetime(task.internal_data["event_value"])

    def fire(self, spec: str, only: list[Any] | None = None) -> int:
        """Make the waiting timers `spec` (or the given ones) due now, then refresh and run."""
        tasks = only if only is not None else self.waiting_timers(spec)
        past = (datetime.now(UTC) - timedelta(seconds=1)).isoformat()
        for t in tasks:
            t.internal_data["event_value"] = past
        self.wf.refresh_timers()
        self.wf.do_engine_steps()
        return len(tasks)

    def send(self, name: str, payload: dict[str, Any]) -> None:
        self.wf.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        self.wf.do_engine_steps()
