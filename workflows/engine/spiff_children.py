"""Call activities as child instances: the SpiffWorkflow side (every use of its internals for it).

SpiffWorkflow runs a called process inside the caller's state. grantflow replaces the parser's
`callActivity` spec by `ChildCallActivity`, which only marks its task as a call and waits
(STARTED); the engine (`workflows.engine.children`) then creates the called process as a
process instance of its own. When that child ends, its declared outputs go onto the waiting task,
which is set READY again, and SpiffWorkflow carries on as after an ordinary subprocess: a
multi-instance call activity gathers the outputs into its `loopDataOutputRef`. Checked against
3.2.0 in `../shared/examples/spiffworkflow/child_instances/`.

A definition version stored before this change serializes its call activities as `CallActivity`
and keeps running them embedded (both classes are registered with the serializer).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import CallActivity
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition as SpiffErrorEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

CALL_KEY = "child_call"  # internal_data of the waiting task: the called process
RETURNED_KEY = "child_returned"  # internal_data once the child's outputs are on the task


class ChildCallActivity(CallActivity):
    """A call activity whose called process runs as a separate instance: mark the task and wait."""

    def _update_hook(self, my_task: Task) -> bool | None:
        if my_task.internal_data.get(RETURNED_KEY):
            return True
        if CALL_KEY not in my_task.internal_data:
            super(SubWorkflowTask, self)._update_hook(my_task)  # inherit the data, run a preScript
            my_task.internal_data[CALL_KEY] = self.spec
            my_task._set_state(TaskState.STARTED)
        return None  # stay STARTED until the child ends


class ChildCallParser(SpiffBpmnParser):
    """The Spiff parser, with call activities that run as child instances."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
                               full_tag("callActivity"): (CallActivityParser, ChildCallActivity)}


def serializer_config() -> dict[Any, Any]:
    """SPIFF_CONFIG plus the child call activity, stored with CallActivity's converter."""
    config = dict(SPIFF_CONFIG)
    config[ChildCallActivity] = SPIFF_CONFIG[CallActivity]
    return config


@dataclass(frozen=True)
class Call:
    """A waiting call: the task that waits, its activity and the process it calls."""

    task_id: str
    element_id: str
    element_name: str
    process: str
    index: int | None  # position in a multi-instance activity


def pending_calls(workflow: BpmnWorkflow) -> list[Call]:
    """The call tasks that wait for a child instance."""
    calls = []
    for task in workflow.get_tasks(state=TaskState.STARTED):
        if isinstance(task.task_spec, ChildCallActivity) and CALL_KEY in task.internal_data:
            index = task.internal_data.get("key_or_index")
            spec = task.task_spec
            calls.append(Call(str(task.id), spec.bpmn_id, spec.bpmn_name or spec.bpmn_id, spec.spec,
                              index if isinstance(index, int) else None))
    return calls


def child_calls(spec: BpmnProcessSpec) -> list[tuple[str, str, str]]:
    """(element id, element name, called process) of every child call activity in a process spec."""
    return [(s.bpmn_id, s.bpmn_name or s.bpmn_id, s.spec) for s in spec.task_specs.values()
            if isinstance(s, ChildCallActivity)]


def may_call(workflow: BpmnWorkflow) -> bool:
    """Whether the workflow's process (or a subprocess it runs) has a child call activity at all:
    without one it can have no child instances (an Abfrage, a vote), and nothing need be looked up."""
    specs = [workflow.spec, *(sub.spec for sub in workflow.subprocesses.values())]
    return any(isinstance(s, ChildCallActivity) for spec in specs for s in spec.task_specs.values())


def has_io_specification(spec: BpmnProcessSpec) -> bool:
    io = spec.io_specification
    return io is not None and bool(io.data_inputs or io.data_outputs)


def call_properties(workflow: BpmnWorkflow, task_id: str) -> dict[str, str]:
    """The `spiffworkflow:properties` of the call activity a waiting task belongs to."""
    extensions = getattr(workflow.get_task_from_id(UUID(task_id)).task_spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))


def take_inputs(workflow: BpmnWorkflow, task_id: str) -> dict[str, Any]:
    """The data the called process declares as input, taken from the waiting task (as CallActivity does).

    A multi-instance call's task holds its item (a Gemeinde, a posting) only to hand it to its child:
    once taken, the item goes, so that the caller's state does not keep a copy of every child's input
    while the children run. Its outputs come back onto the task as before.
    """
    task = workflow.get_task_from_id(UUID(task_id))
    called = workflow.subprocess_specs[task.task_spec.spec]
    inputs = {}
    for var in called.io_specification.data_inputs:
        if not var.exists(task):
            raise WorkflowDataException("You are missing a required Data Input for a call activity.",
                                        task=task, data_input=var)
        inputs[var.bpmn_id] = var.get(task)
    activity = task.parent.task_spec if task.parent is not None else None
    if isinstance(activity, MultiInstanceTask) and activity.input_item is not None:
        task.data.pop(activity.input_item.bpmn_id, None)
    return inputs


def seed_inputs(workflow: BpmnWorkflow, inputs: dict[str, Any]) -> None:
    """Put the inputs on a new child workflow's start task."""
    for task in workflow.get_tasks(state=TaskState.READY):
        task.data.update(inputs)


def outputs_of(workflow: BpmnWorkflow) -> dict[str, Any]:
    """A finished child's declared outputs, from the data its end event reached."""
    data = workflow.last_task.data if workflow.last_task is not None else workflow.data
    io = workflow.spec.io_specification
    missing = [v.bpmn_id for v in io.data_outputs if v.bpmn_id not in data]
    if missing:
        raise WorkflowDataException(f"The Data Output was not available in the subprocess output: {missing}",
                                    task=workflow.last_task)
    return {v.bpmn_id: data[v.bpmn_id] for v in io.data_outputs}


def error_of(events: list[BpmnEvent]) -> dict[str, Any] | None:
    """The first uncaught error a finished child threw (name, code, payload), if any."""
    for event in events:
        definition = event.event_definition
        if isinstance(definition, ErrorEventDefinition):
            return {"name": definition.name, "code": definition.code, "payload": event.payload}
    return None


def return_outputs(workflow: BpmnWorkflow, task_id: str, outputs: dict[str, Any]) -> bool:
    """Put a child's outputs on its waiting task and let it complete; False if the task no longer waits."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.STARTED:
        return False
    task.data.update(outputs)
    task.internal_data[RETURNED_KEY] = True
    task._set_state(TaskState.READY)
    return True


def throw_error(workflow: BpmnWorkflow, task_id: str, error: dict[str, Any]) -> bool:
    """Throw a child's error at its waiting call task, where an error boundary event can catch it."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.STARTED:
        return False
    definition = SpiffErrorEventDefinition(error["name"], code=error["code"])  # events match by class
    workflow.top_workflow.catch(BpmnEvent(definition, payload=error["payload"], target=task.workflow))
    return True
