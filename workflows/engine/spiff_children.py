"""Call activities as child instances: the SpiffWorkflow side (every use of its internals for it).

SpiffWorkflow runs a called process inside the caller's state. grantflow replaces the parser's
`callActivity` spec by `ChildCallActivity`, which only marks its task as a call and waits
(STARTED); the engine (`workflows.engine.children`) then creates the called process as a
process instance of its own. When that child ends, its declared outputs go onto the waiting task,
which is set READY again, and SpiffWorkflow carries on as after an ordinary subprocess.

A parallel multi-instance call activity (each Gemeinde's Abfrage, each posting) is `ChildMultiCall`:
one task waits for all its calls, instead of SpiffWorkflow's one instance task per item (each about
half a KiB of the caller's state: 200 KiB for a Landkreis of 400 Gemeinden). When the last child
ends, the outputs are gathered into the `loopDataOutputRef` in the items' order, as SpiffWorkflow's
multi-instance would. Only a completion condition or a pre-/postScript on the call needs a task per
item; such an activity keeps SpiffWorkflow's way (its instance tasks are `ChildCallActivity`s).
Checked against 3.2.0 in `../shared/examples/spiffworkflow/child_instances/`.

A definition version stored before this change serializes its call activities as `CallActivity`
and keeps running them embedded; one stored before `ChildMultiCall` keeps one task per call (all the
classes are registered with the serializer).
"""

from __future__ import annotations

from copy import deepcopy
from dataclasses import dataclass
from typing import Any, ClassVar
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.exceptions import WorkflowDataException
from SpiffWorkflow.bpmn.parser.util import full_tag
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.event_definitions.item_aware_event import ErrorEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import ParallelMultiInstanceTask as ParallelMultiInstanceMixin
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import CallActivity, ParallelMultiInstanceTask
from SpiffWorkflow.spiff.specs.event_definitions import ErrorEventDefinition as SpiffErrorEventDefinition
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState

CALL_KEY = "child_call"  # internal_data of the waiting task: the called process
RETURNED_KEY = "child_returned"  # internal_data once the child's outputs are on the task
CALLS_KEY = "child_calls"  # internal_data of a ChildMultiCall's task: how many calls wait on it
GATHERED_KEY = "child_outputs"  # internal_data: the outputs of its calls that ended, until all have


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


class ChildMultiCall(ParallelMultiInstanceTask):
    """A parallel multi-instance call activity whose calls all wait on its one task.

    The task records how many calls there are (and a mapping's keys) and waits; the engine starts
    a child instance per item and hands their outputs back with `return_outputs`. An activity
    whose calls need a task each (a completion condition, scripts on the call) runs as
    SpiffWorkflow's multi-instance.
    """

    def _task_per_call(self, my_task: Task) -> bool:
        inner = my_task.workflow.spec.task_specs[self.task_spec]
        return self.condition is not None or bool(getattr(inner, "prescript", None) or
                                                  getattr(inner, "postscript", None))

    def _update_hook(self, my_task: Task) -> bool | None:
        if my_task.internal_data.get(RETURNED_KEY):
            return True
        if CALLS_KEY in my_task.internal_data:  # waiting already
            return None
        if self._task_per_call(my_task):
            return super()._update_hook(my_task)
        super(ParallelMultiInstanceMixin, self)._update_hook(my_task)  # the activity's own preScript
        keys = self._keys(my_task)
        if self.data_output is not None:
            if self.data_input is not None:
                self.init_data_output_with_input_data(my_task, self.data_input.get(my_task))
            else:
                self.init_data_output_with_cardinality(my_task)
        if not keys:
            return True
        my_task.internal_data[CALLS_KEY] = keys if isinstance(keys[0], str) else len(keys)
        my_task._set_state(TaskState.STARTED)
        return None

    def _keys(self, my_task: Task) -> list[Any]:
        if self.data_input is None:
            return list(range(int(my_task.workflow.script_engine.evaluate(my_task, self.cardinality))))
        data = self.data_input.get(my_task)
        if isinstance(data, dict):
            return [str(k) for k in data]
        if isinstance(data, list | tuple):
            return list(range(len(data)))
        self.raise_data_exception("Die Eingabe einer Mehrfach-Aufrufaktivität muss eine Liste oder ein Dict sein",
                                  my_task)
        return []

    def keys(self, my_task: Task) -> list[Any]:
        """The calls' keys: the items' positions in a list (or the cardinality), a mapping's keys."""
        calls = my_task.internal_data[CALLS_KEY]
        return list(calls) if isinstance(calls, list) else list(range(calls))

    def key_of(self, my_task: Task, slot: str) -> Any:
        """A call's key from its slot (as stored with its child instance)."""
        return slot if isinstance(my_task.internal_data[CALLS_KEY], list) else int(slot)

    def item(self, my_task: Task, key: Any) -> Any:
        if self.data_input is None:
            return key
        return self.data_input.get(my_task)[key]

    def gather(self, my_task: Task, key: Any, outputs: dict[str, Any]) -> None:
        """One call's outputs; once every call's are in, into the output collection, and the task may run on."""
        if self.output_item is not None and self.output_item.bpmn_id not in outputs:
            self.raise_data_exception("Expected an output item", my_task)
        gathered = my_task.internal_data.setdefault(GATHERED_KEY, {})
        gathered[str(key)] = outputs[self.output_item.bpmn_id] if self.output_item is not None else outputs
        keys = self.keys(my_task)
        if len(gathered) < len(keys):
            return
        for each in keys:
            item = gathered[str(each)]
            if self.data_output is None or self.output_item is None:
                my_task.data.update(item)
                continue
            collection = self.data_output.get(my_task)
            if isinstance(collection, dict) or (self.data_input is not None and
                                                collection is self.data_input.get(my_task)):
                collection[each] = item
            else:
                collection.append(item)
        del my_task.internal_data[GATHERED_KEY]
        my_task.internal_data[RETURNED_KEY] = True
        my_task._set_state(TaskState.READY)


class ChildCallActivityParser(CallActivityParser):
    """Spiff's call activity parser; a parallel multi-instance one is a `ChildMultiCall`."""

    PARALLEL_MI_CLASS = ChildMultiCall


class ChildCallParser(SpiffBpmnParser):
    """The Spiff parser, with call activities that run as child instances."""

    OVERRIDE_PARSER_CLASSES: ClassVar[dict[str, Any]] = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,
                               full_tag("callActivity"): (ChildCallActivityParser, ChildCallActivity)}


def serializer_config() -> dict[Any, Any]:
    """SPIFF_CONFIG plus the child call activities, stored with their SpiffWorkflow classes' converters."""
    config = dict(SPIFF_CONFIG)
    config[ChildCallActivity] = SPIFF_CONFIG[CallActivity]
    config[ChildMultiCall] = SPIFF_CONFIG[ParallelMultiInstanceTask]
    return config


@dataclass(frozen=True)
class Call:
    """A waiting call: the task that waits, its activity and the process it calls.

    The calls of a `ChildMultiCall` share its task and are told apart by `slot` (the item's
    position, or a mapping's key); a call with a task of its own has no slot.
    """

    task_id: str
    element_id: str
    element_name: str
    process: str
    index: int | None  # position in a multi-instance activity
    slot: str | None = None

    @property
    def key(self) -> tuple[str, str | None]:
        return self.task_id, self.slot


def pending_calls(workflow: BpmnWorkflow) -> list[Call]:
    """The calls that wait for a child instance."""
    calls = []
    for task in workflow.get_tasks(state=TaskState.STARTED):
        spec = task.task_spec
        if isinstance(spec, ChildMultiCall) and CALLS_KEY in task.internal_data:
            inner = task.workflow.spec.task_specs[spec.task_spec]
            name = spec.bpmn_name or inner.bpmn_name or spec.bpmn_id
            calls += [Call(str(task.id), spec.bpmn_id, name, inner.spec, position, str(key))
                      for position, key in enumerate(spec.keys(task))]
        elif isinstance(spec, ChildCallActivity) and CALL_KEY in task.internal_data:
            index = task.internal_data.get("key_or_index")
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


def activity_properties(spec: BpmnProcessSpec, element_id: str) -> dict[str, str]:
    """The `spiffworkflow:properties` of a child call activity in a process spec (by element id)."""
    for task_spec in spec.task_specs.values():
        if isinstance(task_spec, ChildCallActivity) and task_spec.bpmn_id == element_id:
            return dict((getattr(task_spec, "extensions", None) or {}).get("properties", {}))
    return {}


def has_io_specification(spec: BpmnProcessSpec) -> bool:
    io = spec.io_specification
    return io is not None and bool(io.data_inputs or io.data_outputs)


def call_properties(workflow: BpmnWorkflow, task_id: str) -> dict[str, str]:
    """The `spiffworkflow:properties` of the call activity a waiting task belongs to."""
    task = workflow.get_task_from_id(UUID(task_id))
    spec = task.task_spec
    if isinstance(spec, ChildMultiCall):  # the parser leaves the element's extensions on the call inside
        spec = task.workflow.spec.task_specs[spec.task_spec]
    extensions = getattr(spec, "extensions", None) or {}
    return dict(extensions.get("properties", {}))


def take_inputs(workflow: BpmnWorkflow, call: Call) -> dict[str, Any]:
    """The data the called process declares as input, taken from the waiting task (as CallActivity does).

    A call of a `ChildMultiCall` gets its item (a Gemeinde, a posting) as the activity's input item.
    A multi-instance call with a task of its own holds its item only to hand it to its child: once
    taken, the item goes, so that the caller's state does not keep a copy of every child's input
    while the children run.
    """
    task = workflow.get_task_from_id(UUID(call.task_id))
    spec = task.task_spec
    data = task.data
    if isinstance(spec, ChildMultiCall) and call.slot is not None:
        item = spec.item(task, spec.key_of(task, call.slot))
        data = {**task.data, **({spec.input_item.bpmn_id: item} if spec.input_item is not None else {})}
    inputs = {}
    for var in workflow.subprocess_specs[call.process].io_specification.data_inputs:
        if var.bpmn_id not in data:
            raise WorkflowDataException("You are missing a required Data Input for a call activity.",
                                        task=task, data_input=var)
        inputs[var.bpmn_id] = deepcopy(data[var.bpmn_id])
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


def return_outputs(workflow: BpmnWorkflow, task_id: str, slot: str | None, outputs: dict[str, Any]) -> bool:
    """Put a child's outputs on its waiting task and let it complete (a `ChildMultiCall` once all its
    calls' are in); False if the task no longer waits."""
    task = workflow.get_task_from_id(UUID(task_id))
    if task is None or task.state != TaskState.STARTED:
        return False
    spec = task.task_spec
    if isinstance(spec, ChildMultiCall) and slot is not None:
        spec.gather(task, spec.key_of(task, slot), outputs)
        return True
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
