"""The floor: SpiffWorkflow 3.2 alone holding the WHOLE round, stepped alongside grantflow's round.

What a plain SpiffWorkflow user would do for the same round: parse bpmn/ with the library's own
parser (`SpiffBpmnParser`, as grantflow's deploy did before child instances: call activities are
ordinary subprocesses inside the one workflow, the embedded layout old versions still run on),
keep the workflow as the library serializes it (`BpmnWorkflowSerializer` with `SPIFF_CONFIG`,
spec included; service tasks call their service in the step), and per user step
`deserialize_json`, set the form data, run the task, `do_engine_steps`, `serialize_json` (timed).
Same sandboxed script engine; the services replay, in order, what grantflow's services returned
(in a step or, for documents, in the worker after it). Timers fire when grantflow fires them (the
same simulated now) and the Bewilligungsbescheid arrives when it arrives there; those and the
start are not timed.

A grantflow step (also one inside a child instance) is paired with the shadow's ready task of the
same element, title and assignee: a Gemeinde's answer in its own Abfrage with that Gemeinde's
answer inside the round, a posting's step with that posting's (its title names the Stelle). A step
without such a task, or whose shadow step fails, is left unpaired, with the reason.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

from benchmarks.services_tap import Replay
from workflows.engine import messages, spiff, taskindex
from workflows.engine.scripting import make_script_engine
from workflows.engine.xmlsafety import parse_xml

SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(SPIFF_CONFIG))  # the library's own
Key = tuple[str, str, str | None, str | None]  # element id, title, Gemeinde, user


def embedded_specs(root: Path, process: str) -> tuple[Any, dict[str, Any]]:
    """The process of `root`/bpmn as SpiffWorkflow's parser builds it (call activities embedded)."""
    parser = SpiffBpmnParser(validator=VALIDATOR)
    for path in sorted((root / "bpmn").glob("*.bpmn")):
        parser.add_bpmn_xml(parse_xml(path.read_bytes(), path.name), filename=path.name)
    for path in sorted((root / "bpmn").glob("*.dmn")):
        parser.add_dmn_xml(parse_xml(path.read_bytes(), path.name).getroot(), filename=path.name)
    return parser.get_spec(process), parser.get_subprocess_specs(process)


def submit(task: Task, values: Mapping[str, Any]) -> None:
    """Put the form data on the task as grantflow's `complete_task` does, and run it."""
    variable = task.task_spec.extensions.get("properties", {}).get("resultVariable")
    if variable:
        task.data[variable] = dict(values)
    else:
        task.set_data(**values)
    task.run()


def key_of(element_id: str, title: str, gemeinde: str | None, user: str | None) -> Key:
    return element_id, title, gemeinde, user


class Shadow:
    """One whole-round workflow held by SpiffWorkflow alone; `replay` is fed by the services tap."""

    def __init__(self, root: Path, process: str) -> None:
        self.specs = embedded_specs(root, process)
        self.replay = Replay([])
        self.stored = ""
        self.workflow: BpmnWorkflow | None = None
        self.ready: dict[Key, list[UUID]] = {}
        self.unpaired: dict[str, int] = {}

    # ------------------------------------------------------------------ untimed: start, timers, messages
    def start(self, data: Mapping[str, Any]) -> None:
        """The same start data as the real round (on the start event's ready task, as the engine seeds it)."""
        spec, subprocess_specs = self.specs
        workflow = BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(self.replay))
        for task in workflow.get_tasks(state=TaskState.READY):
            task.data.update(dict(data))
        workflow.do_engine_steps()
        self._settled(workflow)

    def timers(self, now: datetime | None) -> None:
        workflow = self._live()
        with spiff.frozen_at(now):
            workflow.refresh_timers()
            workflow.do_engine_steps()
        self._settled(workflow)

    def message(self, name: str, payload: Mapping[str, Any]) -> None:
        workflow = self._live()
        catcher = messages.catching_definition(workflow, name)
        correlations = messages.correlations_for(catcher, payload, workflow.script_engine) if catcher else {}
        workflow.send_event(messages.event(name, payload, catcher, correlations))
        workflow.do_engine_steps()
        self._settled(workflow)

    # ------------------------------------------------------------------ timed: one user step
    def step(self, key: Key, values: Mapping[str, Any]) -> float | None:
        """Seconds SpiffWorkflow alone needs for the step matching `key`, stored JSON to stored JSON;
        None (and the reason counted in `unpaired`) when it cannot be paired."""
        candidates = self.ready.get(key) or []
        if not candidates:
            self._unpaired("no ready task of this element, title and assignee in the whole-round workflow")
            return None
        try:
            t0 = time.perf_counter()
            workflow = SERIALIZER.deserialize_json(self.stored)
            workflow.script_engine = make_script_engine(self.replay)
            submit(workflow.get_task_from_id(candidates[0]), values)
            workflow.do_engine_steps()
            stored = SERIALIZER.serialize_json(workflow)
            seconds = time.perf_counter() - t0
        except Exception as exc:  # the shadow stays where it was; the reason goes to the table
            self._unpaired(f"the step failed there: {type(exc).__name__}: {str(exc).splitlines()[0][:120]}")
            return None
        self._settled(workflow, stored)
        return seconds

    # ------------------------------------------------------------------ helpers
    def _live(self) -> BpmnWorkflow:
        assert self.workflow is not None, "start() first"
        return self.workflow

    def _settled(self, workflow: BpmnWorkflow, stored: str | None = None) -> None:
        """Keep the workflow (stored as the library stores it) and index its ready human tasks."""
        self.workflow = workflow
        self.stored = stored if stored is not None else SERIALIZER.serialize_json(workflow)
        self.ready = {}
        for task in taskindex.ready_human_tasks(workflow):
            try:
                info = taskindex.describe(task)
            except Exception:  # a task grantflow could not describe is not one it pairs with
                continue
            key = key_of(info.element_id, info.title, info.assignee_gemeinde, info.assignee_user)
            self.ready.setdefault(key, []).append(task.id)

    def _unpaired(self, reason: str) -> None:
        self.unpaired[reason] = self.unpaired.get(reason, 0) + 1

    def size(self) -> int:
        return len(self.stored)
