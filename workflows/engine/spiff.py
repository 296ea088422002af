"""The adapter around SpiffWorkflow 3.2: every use of its private internals lives here.

- State without the spec, the spec once per definition version. SpiffWorkflow's JSON embeds the
  whole process spec in every instance (about 42% of it). grantflow stores the spec once on the
  `process_definition` row, keeps the parsed spec objects in a per-process cache, and rebuilds a
  workflow from (cached spec, instance state): the same steps as SpiffWorkflow's
  `BpmnWorkflowConverter.from_dict`, minus re-parsing the spec. That uses the converter's private
  helpers (`mapping_from_dict`, `set_default_attributes`, `subprocesses_from_dict`). Saving is its
  `to_dict` minus the specs, which are never serialized (its base `WorkflowConverter.to_dict`, then
  the subprocesses and events as `BpmnWorkflowConverter.to_dict` adds them).
- Service tasks that wait for an asynchronous service (`spiff_service.ServiceTask`, registered
  with SpiffWorkflow's service-task converter under the same type name).
- A movable clock for timers: SpiffWorkflow reads `datetime.now()` inside its timer module;
  `frozen_at(when)` replaces that name for the duration of a step (`grantflow tick --now`, tests).

`tests/engine/test_spiff_contract.py` pins these internals: an upgrade that changes them fails
there first, not in a round.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from functools import lru_cache
from typing import Any
from uuid import UUID

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.serializer import BpmnWorkflowSerializer
from SpiffWorkflow.bpmn.serializer.default.workflow import WorkflowConverter
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import MultiInstanceTask
from SpiffWorkflow.exceptions import TaskNotFoundException
from SpiffWorkflow.spiff.serializer.config import SPIFF_CONFIG
from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.task import Task
from SpiffWorkflow.util.task import TaskState
from sqlalchemy.orm import object_session

from workflows.engine import spiff_service
from workflows.engine.scripting import ServiceCaller, make_script_engine
from workflows.engine.spiff_children import serializer_config

_CONFIG = {**serializer_config(), spiff_service.ServiceTask: SPIFF_CONFIG[SpiffServiceTask]}  # registered last: wins
SERIALIZER = BpmnWorkflowSerializer(BpmnWorkflowSerializer.configure(_CONFIG))
_REGISTRY = SERIALIZER.registry
_WORKFLOW_CONVERTER = _REGISTRY.convert_from_dict[_REGISTRY.typenames[BpmnWorkflow]].args[0].__self__

Specs = tuple[BpmnProcessSpec, dict[str, BpmnProcessSpec]]


def specs_to_json(spec: BpmnProcessSpec, subprocess_specs: dict[str, BpmnProcessSpec]) -> str:
    return json.dumps({
        "spec": _REGISTRY.convert(spec),
        "subprocess_specs": {name: _REGISTRY.convert(s) for name, s in subprocess_specs.items()},
    })


@lru_cache(maxsize=64)
def specs_from_json(spec_json: str) -> Specs:
    """Parsed spec objects, cached: specs are shared read-only by every instance of a version."""
    dct = json.loads(spec_json)
    spec = _REGISTRY.restore(dct["spec"])
    subprocess_specs = {name: _REGISTRY.restore(s) for name, s in dct["subprocess_specs"].items()}
    return spec, subprocess_specs


def message_definition(specs: Specs, element_id: str, name: str) -> Any:
    """The message event definition of element `element_id` (in the process or a subprocess) for `name`."""
    spec, subprocess_specs = specs
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if getattr(task_spec, "bpmn_id", None) != element_id:
                continue
            definition = getattr(task_spec, "event_definition", None)
            for part in getattr(definition, "event_definitions", None) or [definition]:
                if getattr(part, "name", None) == name and hasattr(part, "correlation_properties"):
                    return part
    return None


@lru_cache(maxsize=256)
def process_specs(spec_json: str, process_key: str | None) -> Specs:
    """The specs an instance runs on: the definition's own process, or (for a child instance) the
    called process out of the same definition version, with the same subprocess specs."""
    spec, subprocess_specs = specs_from_json(spec_json)
    if process_key is None or process_key == spec.name:
        return spec, subprocess_specs
    return subprocess_specs[process_key], subprocess_specs


_DEFINITION_SPECS: dict[tuple[Any, ...], Specs] = {}


def definition_specs(definition: Any, process_key: str | None) -> Specs:
    """`process_specs` of a `process_definition` row, without reading its serialized spec again.

    A definition version never changes, so its parsed specs are kept per row (its database, id,
    content hash and deployment time: a row of another database or a re-seeded one is another key);
    only the first step of a version in this process reads and parses `spec_json`.
    """
    session = object_session(definition)
    bind = str(session.get_bind().engine.url) if session is not None else ""
    key = (bind, definition.id, definition.content_hash, definition.deployed_at, process_key)
    specs = _DEFINITION_SPECS.get(key)
    if specs is None:
        if len(_DEFINITION_SPECS) >= 256:
            _DEFINITION_SPECS.clear()
        specs = _DEFINITION_SPECS[key] = process_specs(definition.spec_json, process_key)
    return specs


def new_workflow(specs: Specs, call_service: ServiceCaller | None = None) -> BpmnWorkflow:
    spec, subprocess_specs = specs
    return BpmnWorkflow(spec, subprocess_specs, script_engine=make_script_engine(call_service))


def find_task(workflow: BpmnWorkflow, task_id: UUID) -> Task | None:
    """The task with this id in the workflow or any of its subprocesses, or None if it is gone.

    SpiffWorkflow raises `TaskNotFoundException` instead, e.g. for a task whose subprocess was
    dropped by a step committed in between, or for the parent task of a cancelled subprocess.
    """
    try:
        return workflow.get_task_from_id(task_id)
    except TaskNotFoundException:
        return None


def prune_finished_subprocesses(workflow: BpmnWorkflow) -> int:
    """Drop the runtime of subprocesses whose activity has completed; returns how many were dropped.

    SpiffWorkflow keeps every finished subprocess (each Gemeinde's Abfrage, each vote, each
    Stellenbesetzung) with its own task tree and data copies in the state, so every later step
    would deserialize all of them again. Their results were merged into the parent when they
    finished, and the parent activity's task stays in the tree as COMPLETED. Only subprocesses
    whose parent task is COMPLETED are dropped: a parent that is READY again would start a new one.
    """
    finished = [
        task_id for task_id, sub in workflow.subprocesses.items()
        if sub.is_completed() and (parent := find_task(workflow, task_id)) is not None
        and parent.state == TaskState.COMPLETED
    ]
    dropped = 0
    for task_id in finished:
        parent = find_task(workflow, task_id) if task_id in workflow.subprocesses else None
        if parent is not None:  # a nested one may have gone with its parent already
            workflow.delete_subprocess(parent)
            dropped += 1
    return dropped


def prune_finished_instances(workflow: BpmnWorkflow) -> int:
    """Drop the instance tasks of multi-instance activities that have completed; returns how many.

    A multi-instance task keeps one child task per item (each Gemeinde's Abfrage, each posting, each
    letter), each with its input and output item, after their results were gathered into the
    activity's output collection. Once the activity's own task is COMPLETED nothing reads them again
    (SpiffWorkflow merges a child only while its activity runs; a loop back creates a new activity
    task), so they and the activity's `merged` bookkeeping go. Children with a subprocess still in
    the state, or with an unfinished descendant, stay.
    """
    dropped = 0
    for task in workflow.get_tasks(state=TaskState.COMPLETED):
        spec = task.task_spec
        if not isinstance(spec, MultiInstanceTask) or "merged" not in task.internal_data:
            continue
        for child in [c for c in task.children if c.task_spec.name == spec.task_spec]:
            if child.has_state(TaskState.FINISHED_MASK) and not _holds_runtime(workflow, child):
                task.workflow._remove_task(child.id)
                dropped += 1
        if not any(c.task_spec.name == spec.task_spec for c in task.children):
            task.internal_data.pop("merged")
    return dropped


def _holds_runtime(workflow: BpmnWorkflow, task: Task) -> bool:
    """Whether a finished task still has a subprocess or an unfinished descendant."""
    stack = [task]
    while stack:
        current = stack.pop()
        if current.id in workflow.subprocesses or not current.has_state(TaskState.FINISHED_MASK):
            return True
        stack.extend(current.children)
    return False


def dump_state(workflow: BpmnWorkflow) -> str:
    """The instance's state as JSON, without the spec.

    A workflow that reached its end keeps its data once: in `workflow.data` (where SpiffWorkflow's end
    event put it, and where the round's page reads a finished round's figures). Its tasks keep the
    tree (ids, states, the elements that ran) without their data deltas, which repeated every value
    a second time; nothing reads a finished instance's task data again (a finished child's outputs
    are taken from the workflow in memory, in the step that ends it).
    """
    conv = _WORKFLOW_CONVERTER  # its to_dict minus the specs (they live on the definition): not serialized at all
    dct: dict[str, Any] = WorkflowConverter.to_dict(conv, workflow)
    dct["subprocesses"] = conv.mapping_to_dict(workflow.subprocesses)
    dct["bpmn_events"] = conv.registry.convert(workflow.bpmn_events)
    if workflow.is_completed() and workflow.success and not dct["subprocesses"]:
        for task in dct["tasks"].values():
            task["data"], task["delta"] = {}, {}
    dct[SERIALIZER.VERSION_KEY] = SERIALIZER.VERSION
    return json.dumps(dct, separators=(",", ":"))


def load_state(state_json: str, specs: Specs, call_service: ServiceCaller | None = None) -> BpmnWorkflow:
    """Rebuild a workflow and attach the sandboxed script engine (SpiffWorkflow drops it)."""
    dct = json.loads(state_json)
    dct.pop(SERIALIZER.VERSION_KEY, None)
    spec, subprocess_specs = specs
    conv = _WORKFLOW_CONVERTER
    workflow = BpmnWorkflow(spec, subprocess_specs, deserializing=True)
    workflow.tasks = conv.mapping_from_dict(dct["tasks"], UUID, workflow=workflow)
    workflow.task_tree = workflow.tasks.get(UUID(dct["root"]))
    conv.set_default_attributes(workflow, dct)
    conv.subprocesses_from_dict(dct["subprocesses"], workflow)
    workflow.bpmn_events = _REGISTRY.restore(dct.pop("bpmn_events", []))
    workflow.script_engine = make_script_engine(call_service)  # subworkflows use the top workflow's engine
    return workflow


@contextmanager
def frozen_at(when: datetime | None) -> Iterator[None]:
    if when is None:
        yield
        return
    real = spiff_timer.datetime
    moment = when

    class _Frozen(real):  # type: ignore[misc,valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> datetime:
            return moment.astimezone(tz) if tz else moment.replace(tzinfo=None)

    spiff_timer.datetime = _Frozen
    try:
        yield
    finally:
        spiff_timer.datetime = real
