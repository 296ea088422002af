"""In-memory driver for the grant-round diagrams, straight on SpiffWorkflow (no database).

It applies the task properties of docs/bpmn-conventions.md the way the engine does
(the form's schema with `formSchema`, prefill, validation, resultVariable, fourEyes, assignees) with the
engine's own form preparation and sandbox
(`workflows.scripting`), and stubs the service operators, so the diagrams can be run and
checked on their own. The engine end-to-end test (test_grant_round_e2e.py) goes through
`workflows.engine` instead.

Call activities run as the engine runs them: parsed with the engine's `ChildCallParser`, each call
(each Gemeinde's Abfrage, each member's vote, each posting) is a separate workflow of the called
process that gets only the declared inputs; when it ends, its declared outputs (or its error) go
back to the waiting call, a multi-instance call taking them when its last child has ended, and a
call that no longer waits cancels its child (`workflows.engine.spiff_children`, as
`workflows.engine.children` does with the database).
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
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.engine import forms, spiff_children, taskindex
from workflows.engine.scripting import SandboxEnvironment, make_script_engine
from workflows.foerderung.masterdata import DATA_DIR, read_teams_json

ROOT = Path(__file__).resolve().parents[2]
BPMN_DIR = ROOT / "bpmn"
GEMEINDEN_CSV = DATA_DIR / "ortenaukreis_gemeinden.csv"


#: the default of the start form `grant_round_start` (the engine applies it at start)
START_DATA = {"landkreis": "ortenaukreis"}


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
        if name == "load_landkreis":
            assert params["landkreis"] == "ortenaukreis", params
            return {"key": "ortenaukreis", "name": "Ortenaukreis", "behoerde": "Landratsamt Ortenaukreis"}
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
    parser = spiff_children.ChildCallParser(validator=VALIDATOR)
    parser.add_bpmn_files(sorted(str(p) for p in bpmn_dir.glob("*.bpmn")))
    parser.add_dmn_files(sorted(str(p) for p in (dmn_dir or bpmn_dir).glob("*.dmn")))
    return parser.get_spec("grant_round"), parser.get_subprocess_specs("grant_round")


@dataclass(eq=False)
class Child:
    """One call's child workflow, linked to the workflow and task that wait for it."""

    wf: BpmnWorkflow
    parent: BpmnWorkflow
    task_id: str
    slot: str | None  # the call's slot where the calls share one waiting task
    element_id: str
    status: str = "running"  # completed, cancelled
    outputs: dict[str, Any] | None = None
    error: dict[str, Any] | None = None
    returned: bool = False


class Round:
    """One grant round in memory: the round's workflow (`wf`) and its child workflows."""

    def __init__(self, bpmn_dir: Path = BPMN_DIR, dmn_dir: Path | None = None,
                 members: list[dict[str, Any]] | None = None):
        spec, self.subprocess_specs = parse(bpmn_dir, dmn_dir)
        self.services = Services(members=members or [])
        self.wf = BpmnWorkflow(spec, self.subprocess_specs, script_engine=make_script_engine(self.services))
        self.children: list[Child] = []
        self.thrown: list[BpmnEvent] = []  # the events the round and its children threw (messages)
        self.completed_by: dict[str, str] = {}
        self.audit: list[tuple[str, str, dict[str, Any]]] = []
        for task in self.wf.get_tasks(state=TaskState.READY):  # the start data, as the engine gives them
            task.data.update(START_DATA)
        self.wf.do_engine_steps()
        self._settle(self.wf)

    # ------------------------------------------------------------------ child workflows
    def workflows(self) -> list[BpmnWorkflow]:
        """The round and its children that still run."""
        return [self.wf, *(c.wf for c in self.children if c.status == "running")]

    def _settle(self, wf: BpmnWorkflow) -> None:
        """After a step of `wf`: start children for new calls, cancel those whose call no longer waits,
        hand a finished child back (as `workflows.engine.children.after_save`)."""
        events = wf.get_events()
        self.thrown += events
        calls = {c.key: c for c in spiff_children.pending_calls(wf)}
        mine = [c for c in self.children if c.parent is wf]
        for child in mine:
            if child.status == "running" and (child.task_id, child.slot) not in calls:
                child.wf.cancel()
                child.status = "cancelled"
                self._settle(child.wf)
        known = {(c.task_id, c.slot) for c in mine}
        for key, call in calls.items():
            if key not in known:
                self._start(wf, call)
        child = next((c for c in self.children if c.wf is wf), None)
        if child is not None and child.status == "running" and wf.is_completed():
            child.status = "completed"
            child.error = spiff_children.error_of(events)
            child.outputs = None if child.error else spiff_children.outputs_of(wf)
            self._hand_back(child)

    def _start(self, parent: BpmnWorkflow, call: spiff_children.Call) -> None:
        inputs = spiff_children.take_inputs(parent, call)
        wf = BpmnWorkflow(self.subprocess_specs[call.process], self.subprocess_specs,
                          script_engine=parent.script_engine)
        child = Child(wf, parent, call.task_id, call.slot, call.element_id)
        self.children.append(child)
        spiff_children.seed_inputs(wf, inputs)
        wf.do_engine_steps()
        self._settle(wf)

    def _hand_back(self, child: Child) -> None:
        parent = child.parent
        if parent.is_completed():
            child.returned = True
            return
        if child.error is not None:
            child.returned = True
            spiff_children.throw_error(parent, child.task_id, child.error)
        else:
            siblings = [c for c in self.children if c.parent is parent and c.element_id == child.element_id]
            if any(c.status == "running" for c in siblings):
                return  # the last sibling to end hands back for all of them
            for sibling in siblings:
                if sibling.status == "completed" and not sibling.returned and sibling.outputs is not None:
                    sibling.returned = True
                    spiff_children.return_outputs(parent, sibling.task_id, sibling.slot, sibling.outputs)
        parent.do_engine_steps()
        self._settle(parent)

    # ------------------------------------------------------------------ reading
    def ready(self, spec: str | None = None, lane: str | None = None) -> list[Any]:
        tasks = [t for wf in self.workflows() for t in wf.get_tasks(state=TaskState.READY, manual=True)]
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
        done = [t for wf in [self.wf, *(c.wf for c in self.children)] for t in wf.get_tasks()
                if t.task_spec.bpmn_id == spec and t.state == TaskState.COMPLETED]
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
        wf = task.workflow.top_workflow
        wf.do_engine_steps()
        self._settle(wf)

    def waiting_timers(self, spec: str | None = None) -> list[Any]:
        out = []
        for t in [t for wf in self.workflows() for t in wf.get_tasks(state=TaskState.WAITING)]:
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
        for wf in {id(t.workflow.top_workflow): t.workflow.top_workflow for t in tasks}.values():
            if any(c.wf is wf and c.status != "running" for c in self.children):
                continue  # ended in the meantime (a sibling's timer moved its parent on)
            wf.refresh_timers()
            wf.do_engine_steps()
            self._settle(wf)
        return len(tasks)

    def send(self, name: str, payload: dict[str, Any]) -> None:
        self.wf.send_event(BpmnEvent(MessageEventDefinition(name), payload=payload))
        self.wf.do_engine_steps()
        self._settle(self.wf)
