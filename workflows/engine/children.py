"""Child instances: a call activity's called process runs as a process instance of its own.

A round then is not one big state rewritten on every step: each Gemeinde's Abfrage and each
Stellenbesetzung has its own row (state, version, task index, timers, audit entries), linked to
its caller by `parent_id`, `parent_task_id` (and `call_slot` where the calls of a multi-instance
activity share its one waiting task, see `spiff_children.ChildMultiCall`), and to the round by `root_id`.

Everything happens inside the step that causes it, in the same transaction:
- after a step is saved, `after_save` compares the instance's waiting call tasks with its
  children: a new call gets a child (started with the called process's declared inputs), a child
  whose call no longer waits (the parent was cancelled, a boundary event interrupted the call
  activity) is cancelled, with its own children;
- when a child ends, its declared outputs (or the error it threw) are stored on its row (with the
  step's own write of it) and handed back: the parent's waiting task gets them and the parent runs
  on. A multi-instance call activity takes the outputs of all its children when the last one
  ends, so the other children's steps never read or write the parent's state and never collide
  with each other. The parent's row is locked (`SELECT ... FOR NO KEY UPDATE` on PostgreSQL;
  SQLite serializes writers) before the siblings are counted, so two children ending at the same
  moment cannot both think the other is still running; only the last one loads the parent.
- a call activity with the property `asyncReturn` (Camunda's asynchronous continuation) hands back
  in a job instead: the last child's step only queues it, in its own transaction, and the worker
  gives the outputs to the parent and runs it on (retried on a version conflict, a Störung if the
  parent's next steps fail). A Gemeinde's answer that closes the Abfrage then writes its own
  Abfrage only, however many Gemeinden the round has, and is never refused for a failure in the
  round's computation after it.

The engine's step functions (load, run, save) are passed in as `Steps`, so this module needs no
import of `runtime` (which calls it).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.exceptions import SpiffWorkflowException
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import audit, jobs
from workflows.engine import scripting, spiff, spiff_children, taskindex
from workflows.errors import ProcessStepFailed
from workflows.storage.models import ProcessInstance, utcnow


@dataclass(frozen=True)
class Steps:
    """The engine's own step functions (from `runtime`)."""

    load: Callable[[ProcessInstance], BpmnWorkflow]
    new: Callable[[ProcessInstance], BpmnWorkflow]
    run: Callable[[Session, ProcessInstance, str | None, BpmnWorkflow, Callable[[BpmnWorkflow], None],
                   datetime | None], None]
    save: Callable[[Session, ProcessInstance, BpmnWorkflow, str | None, bool], Any]


HAND_BACK = "child_hand_back"  # the job of a call activity that returns asynchronously
_moment: ContextVar[datetime | None] = ContextVar("grantflow_step_moment", default=None)
_deferred: ContextVar[list[int] | None] = ContextVar("grantflow_deferred_handbacks", default=None)


@contextmanager
def at_moment(now: datetime | None) -> Iterator[None]:
    """The clock of a timer step, for the parents and children that step moves on as well."""
    token = _moment.set(now)
    try:
        yield
    finally:
        _moment.reset(token)


def round_id(instance: ProcessInstance) -> int:
    return instance.root_id or instance.id


def family_ids(instance_id: int) -> Any:
    """SQL: the ids of an instance and every instance below it in its round (for a root: the round)."""
    return select(ProcessInstance.id).where(
        (ProcessInstance.id == instance_id) | (ProcessInstance.root_id == instance_id))


@dataclass(frozen=True)
class Plan:
    """What a step's save does to the instance's children, taken from its workflow before the state
    is written: the waiting calls, the children it has, and the inputs of the calls without one."""

    calls: dict[tuple[str, str | None], spiff_children.Call]  # by call key (task id, slot)
    children: list[Any]  # (child id, calling task id, slot, status) rows
    inputs: dict[tuple[str, str | None], dict[str, Any]]  # call key -> the inputs its new child starts with


def plan(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow) -> Plan:
    """Read the new calls' inputs off their waiting tasks, which keep no copy of them (see
    `spiff_children.take_inputs`): before the state is serialized, so the row is stored without them."""
    calls = {c.key: c for c in spiff_children.pending_calls(workflow)}
    children = list(session.execute(select(ProcessInstance.id, ProcessInstance.parent_task_id,
                                           ProcessInstance.call_slot, ProcessInstance.status)
                                    .where(ProcessInstance.parent_id == instance.id)).all()) \
        if spiff_children.may_call(workflow) else []
    known = {(task_id, slot) for _, task_id, slot, _ in children}
    inputs = {}
    for key, call in calls.items():
        if key not in known:
            try:
                inputs[key] = spiff_children.take_inputs(workflow, call)
            except SpiffWorkflowException as exc:
                raise ProcessStepFailed(f"Der Prozessschritt ist fehlgeschlagen (Schritt '{call.element_name}'): "
                                        f"{str(exc).splitlines()[0]}. Es wurde nichts gespeichert.") from exc
    return Plan(calls, children, inputs)


def calling(planned: Plan) -> list[dict[str, Any]]:
    """The steps that run in child instances, each with its number of calls: while a round waits for
    its Abfragen or postings it has no task of its own, and its list row and page say this instead."""
    counts = Counter(call.element_name for call in planned.calls.values())
    return [{"name": name, "parts": count} for name, count in sorted(counts.items())]


def after_save(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: str | None,
               planned: Plan, steps: Steps) -> None:
    """Bring the instance's children in line with its waiting calls; hand a finished child back."""
    for child_id, task_id, slot, status in planned.children:
        if status == "running" and (task_id, slot) not in planned.calls:
            _cancel(session, child_id, actor, steps)
    started: list[int] = []
    token = _deferred.set(started)
    try:
        for key, inputs in planned.inputs.items():
            _start(session, instance, workflow, planned.calls[key], inputs, actor, steps)
    finally:
        _deferred.reset(token)
    for child_id in started:
        hand_back(session, child_id, actor, steps)
    if instance.parent_id is not None and instance.status == "completed" and instance.returned_at is None:
        waiting = _deferred.get()
        if waiting is not None:
            waiting.append(instance.id)  # the parent is still creating its children; it hands back after
        else:
            hand_back(session, instance.id, actor, steps)


def _title(workflow: BpmnWorkflow, call: spiff_children.Call, inputs: dict[str, Any]) -> str:
    """The child's label: the call activity's `childTitle` expression over the inputs, or its name."""
    expression = spiff_children.call_properties(workflow, call.task_id).get("childTitle")
    if expression:
        try:
            return str(scripting.evaluate(expression, inputs))
        except Exception:  # a title is a label; the call still runs without it
            pass
    return call.element_name if call.index is None else f"{call.element_name} {call.index + 1}"


def _start(session: Session, parent: ProcessInstance, workflow: BpmnWorkflow, call: spiff_children.Call,
           inputs: dict[str, Any], actor: str | None, steps: Steps) -> None:
    business_key = f"{parent.business_key} – {_title(workflow, call, inputs)}"[:200]
    child = ProcessInstance(
        definition_id=parent.definition_id, definition=parent.definition, business_key=business_key, state="",
        created_by=actor, updated_by=actor, parent_id=parent.id, root_id=round_id(parent),
        parent_task_id=call.task_id, call_slot=call.slot, call_element=call.element_id, process_key=call.process,
    )
    session.add(child)
    session.flush()
    audit.record(session, "instance_started", actor, child.id,
                 {"process": call.process, "version": parent.definition.version, "business_key": business_key,
                  "parent": parent.id, "call": call.element_id, "data": inputs})
    child_workflow = steps.new(child)
    steps.run(session, child, actor, child_workflow, lambda wf: spiff_children.seed_inputs(wf, inputs),
              _moment.get())
    steps.save(session, child, child_workflow, actor, True)


def _cancel(session: Session, child_id: int, actor: str | None, steps: Steps) -> None:
    """Cancel a child whose call no longer waits (and, through its own save, its children)."""
    child = session.get(ProcessInstance, child_id)
    if child is None or child.status != "running":
        return
    workflow = steps.load(child)
    workflow.cancel()
    child.status = "cancelled"
    audit.record(session, "instance_cancelled", actor, child.id,
                 {"reason": "Der aufrufende Vorgang wartet nicht mehr auf diesen Teilvorgang."})
    steps.save(session, child, workflow, actor, False)


def outputs_on_end(instance: ProcessInstance, workflow: BpmnWorkflow, thrown: list[BpmnEvent]) -> Any:
    """What a child that ends in this step gives back (its declared outputs, or the error it ended
    with), stored with the step's own write of its row; None for anything else."""
    if instance.parent_id is None or instance.status != "running" or not workflow.is_completed():
        return None
    error = spiff_children.error_of(thrown)
    if error is not None:
        return {"error": error}
    try:
        return {"data": spiff_children.outputs_of(workflow)}
    except SpiffWorkflowException as exc:
        raise ProcessStepFailed(f"Der Teilvorgang '{instance.business_key}' hat nicht alle erklärten Ausgaben "
                                f"geliefert: {str(exc).splitlines()[0]}. Es wurde nichts gespeichert.") from exc


def _lock(session: Session, instance_id: int) -> tuple[str, str | None]:
    """Lock the parent row against the other children's hand-back and return its status and process
    (PostgreSQL; SQLite has one writer). Only these are read: the parent's state is loaded when this
    child is the last of its siblings to end, not on every child's step.

    `FOR NO KEY UPDATE`, not `FOR UPDATE`: the step has already inserted rows that reference the
    round (jobs, events), which hold a key-share lock on it; `FOR UPDATE` would have to upgrade past
    the other children's key-share locks and two children ending at once would deadlock.
    """
    query = select(ProcessInstance.status, ProcessInstance.process_key).where(ProcessInstance.id == instance_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(key_share=True)
    row = session.execute(query).one()
    return row.status, row.process_key


def _returns_later(child: ProcessInstance, caller_process: str | None) -> bool:
    spec, _ = spiff.definition_specs(child.definition, caller_process)
    return taskindex.is_on(spiff_children.activity_properties(spec, child.call_element or "").get("asyncReturn"))


def hand_back(session: Session, child_id: int, actor: str | None, steps: Steps, queued: bool = False) -> None:
    """Give a finished child's outputs (or error) to its parent, or wait for its running siblings;
    for a call activity with `asyncReturn` (unless this is its job, `queued`), queue that job."""
    child = session.get(ProcessInstance, child_id)
    if child is None or child.parent_id is None or child.outputs is None or child.returned_at is not None:
        return
    parent_id = child.parent_id
    siblings = (ProcessInstance.parent_id == parent_id) & (ProcessInstance.call_element == child.call_element)
    status, caller_process = _lock(session, parent_id)
    if status != "running":
        child.returned_at = utcnow()
        return
    if "error" in child.outputs:
        targets = [child]
    else:
        running = session.scalar(select(func.count()).select_from(ProcessInstance)
                                 .where(siblings, ProcessInstance.status == "running")) or 0
        if running:
            return  # the last sibling to end hands back for all of them
        targets = list(session.scalars(select(ProcessInstance).where(
            siblings, ProcessInstance.status == "completed", ProcessInstance.returned_at.is_(None),
            ProcessInstance.outputs.is_not(None)).order_by(ProcessInstance.id)))
    if not queued and _returns_later(child, caller_process):
        moment = _moment.get()
        jobs.enqueue(session, HAND_BACK, {"child": child.id, "actor": actor,
                                          "at": moment.isoformat() if moment else None},
                     instance_id=parent_id, task_ref=child.call_element,
                     title=f"Ergebnis übernehmen: {child.business_key}"[:200])
        return
    parent = session.scalars(select(ProcessInstance).where(ProcessInstance.id == parent_id)
                             .execution_options(populate_existing=True)).one()
    workflow = steps.load(parent)

    def give(wf: BpmnWorkflow) -> None:
        for target in targets:
            assert target.outputs is not None and target.parent_task_id is not None
            if "error" in target.outputs:
                spiff_children.throw_error(wf, target.parent_task_id, target.outputs["error"])
            else:
                spiff_children.return_outputs(wf, target.parent_task_id, target.call_slot, target.outputs["data"])

    steps.run(session, parent, actor, workflow, give, _moment.get())
    now = utcnow()
    for target in targets:
        target.returned_at = now
        audit.record(session, "child_returned", actor, parent.id,
                     {"child": target.id, "business_key": target.business_key, "call": target.call_element,
                      "error": (target.outputs or {}).get("error")})
    steps.save(session, parent, workflow, actor, False)
