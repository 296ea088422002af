"""The engine's operations: start, complete, deliver a message, fire timers, cancel.

Each operation is one database transaction: the workflow state, the task index, the audit
events and whatever service tasks produced (documents, notifications) are committed together
or not at all. Writes to an instance use optimistic locking (`UPDATE ... WHERE version =
:seen`): if someone else got there first, nothing is applied and the caller learns who.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast
from uuid import UUID

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.timer import TimerEventDefinition
from SpiffWorkflow.bpmn.specs.mixins.events.event_types import CatchingEvent
from SpiffWorkflow.exceptions import SpiffWorkflowException
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import CursorResult, func, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.orm import Session, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from workflows import audit, clock, formatting
from workflows.engine import (
    access,
    children,
    forms,
    hooks,
    messages,
    observers,
    outbox,
    scripting,
    services,
    spiff,
    spiff_children,
    taskindex,
)
from workflows.engine.definitions import latest_definition, start_lane, start_schema
from workflows.engine.spiff import (
    definition_specs,
    dump_state,
    load_state,
    new_workflow,
    prune_finished_instances,
    prune_finished_subprocesses,
    specs_from_json,
)
from workflows.engine.taskindex import LOCAL_TZ
from workflows.errors import (
    Conflict,
    FieldError,
    Forbidden,
    GrantflowError,
    NotFound,
    ProcessStepFailed,
    TaskAlreadyCompleted,
    ValidationFailed,
)
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow, User, utcnow

SYSTEM = None  # the actor of timer-driven steps


class StaleInstance(Exception):
    """The instance changed since we read it: someone else acted first."""


@dataclass
class StepResult:
    instance_id: int
    status: str
    new_task_ids: list[int]
    part_of: int | None = None  # the round, when the instance is one of its child instances


# --------------------------------------------------------------------------- helpers

def load_workflow(instance: ProcessInstance) -> BpmnWorkflow:
    specs = definition_specs(instance.definition, instance.process_key)
    return load_state(instance.state, specs, services.call_service)


def _new_workflow(instance: ProcessInstance) -> BpmnWorkflow:
    return new_workflow(definition_specs(instance.definition, instance.process_key), services.call_service)


def _step_error(exc: Exception) -> ProcessStepFailed:
    where = ""
    task = getattr(exc, "task", None)
    if task is not None:
        where = f" (Schritt '{task.task_spec.bpmn_name or task.task_spec.bpmn_id}')"
    cause = exc.__cause__ or exc.__context__  # SpiffWorkflow wraps what a script or service raised
    errors = cause.errors if isinstance(cause, ValidationFailed) else []  # a service refused the input
    if errors:
        detail = "; ".join(e.message.rstrip(".") for e in errors)
    else:
        detail = cause.message.rstrip(".") if isinstance(cause, GrantflowError) else str(exc).split("\n")[0]
    return ProcessStepFailed(f"Der Prozessschritt ist fehlgeschlagen{where}: {detail}. "
                             "Es wurde nichts gespeichert.", errors)


def run_step(session: Session, instance: ProcessInstance, actor: str | None, workflow: BpmnWorkflow,
             mutate: Callable[[BpmnWorkflow], None], task_row_id: int | None = None,
             now: datetime | None = None) -> None:
    """Apply `mutate` and run engine steps with the service context of this transaction.

    Service tasks that started waiting for an asynchronous service become jobs in it (outbox).
    """
    ctx = services.StepContext(session, instance, actor, task_row_id)
    token = services.set_context(ctx)
    moment = now or clock.demo_now()  # the Demo-Uhr, if a demo set it: relative timers start from its day
    try:
        with clock.at(moment), spiff.frozen_at(moment):
            mutate(workflow)
            workflow.do_engine_steps()
        outbox.queue_service_requests(ctx, workflow)
    except GrantflowError:
        raise
    except SpiffWorkflowException as exc:
        raise _step_error(exc) from exc
    finally:
        services.reset_context(token)


def _timer_due(task: Any) -> datetime | None:
    value = task.internal_data.get("event_value")
    if isinstance(value, dict):  # cycle timers keep {'cycles', 'next', 'duration'}
        value = value.get("next")
    if not value:
        return None
    due = TimerEventDefinition.get_datetime(value)
    return due if due.tzinfo else due.replace(tzinfo=LOCAL_TZ)


def _waiting(workflow: BpmnWorkflow) -> tuple[datetime | None, list[dict[str, Any]]]:
    """Next due timer and the messages the workflow waits for (with the lane that may deliver).

    An event-based gateway waits with a `MultipleEventDefinition` holding its message and timer.
    """
    next_due: datetime | None = None
    waiting = []
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for part in messages.event_parts(task.task_spec):
            if isinstance(part, TimerEventDefinition):
                due = _timer_due(task)
                if due is not None and (next_due is None or due < next_due):
                    next_due = due
            elif isinstance(part, MessageEventDefinition):
                waiting.append({"name": part.name, "element_id": task.task_spec.bpmn_id,
                                "element_name": task.task_spec.bpmn_name or part.name,
                                "lane": taskindex.lane_of(task), "correlation": messages.property_names(part),
                                "correlations": dict(workflow.correlations)})
    return next_due, waiting


def save_step(session: Session, instance: ProcessInstance, workflow: BpmnWorkflow, actor: str | None,
              insert: bool = False, depth: int = 0) -> taskindex.IndexChange:
    """Write state with the version check, then the task index and the audit events."""
    thrown = workflow.get_events()  # taken out before serializing, so they are recorded once
    prune_finished_subprocesses(workflow)
    prune_finished_instances(workflow)
    planned = children.plan(session, instance, workflow)  # before the state is written: see there
    next_due, waiting = _waiting(workflow)
    status = "completed" if instance.status == "running" and workflow.is_completed() else instance.status
    change = taskindex.sync(session, instance.id, workflow)  # before the row's write: its summary goes with it
    ready = [row.title for row in change.ready]
    values: dict[str, Any] = {
        "state": dump_state(workflow), "status": status, "next_timer_at": next_due,
        "waiting_messages": waiting, "updated_at": utcnow(), "updated_by": actor,
        "summary": {"current_steps": sorted(set(ready))[:8], "open_tasks": len(ready),
                    "waiting_for": [m["element_name"] for m in waiting], "in_progress": outbox.in_progress(workflow),
                    "calling": children.calling(planned)},
    }
    outputs = children.outputs_on_end(instance, workflow, thrown)
    if outputs is not None:
        values["outputs"] = outputs
    if insert:
        for key, value in values.items():
            setattr(instance, key, value)
        session.flush()
    else:
        seen = instance.version
        result = session.execute(
            update(ProcessInstance)
            .where(ProcessInstance.id == instance.id, ProcessInstance.version == seen)
            .values(version=seen + 1, **values)
            .execution_options(synchronize_session=False)
        )
        if cast(CursorResult[Any], result).rowcount != 1:
            raise StaleInstance()
        for key, value in {**values, "version": seen + 1}.items():  # what the row now holds: no reload
            set_committed_value(instance, key, value)
    for event in thrown:
        if spiff_children.error_of([event]) is None:  # a child's error end event goes to its caller instead
            audit.record(session, "message_sent", actor, instance.id,
                         {"message": event.event_definition.name, "payload": event.payload})
    for row in change.created:
        audit.record(session, "task_ready", actor, instance.id,
                     {"title": row.title, "element_id": row.element_id, "lane": row.lane}, task_id=row.id)
    if status == "completed":
        audit.record(session, "instance_completed", actor, instance.id, {})
    children.after_save(session, instance, workflow, actor, planned, _STEPS)
    for event in thrown:
        if isinstance(event.event_definition, MessageEventDefinition):
            _route(session, instance, event, actor, depth)
    hooks.step_saved(session, instance, change, actor)
    return change


_STEPS = children.Steps(
    load=load_workflow, new=_new_workflow,
    run=lambda session, instance, actor, workflow, mutate, now: run_step(session, instance, actor, workflow, mutate,
                                                                     now=now),
    save=lambda session, instance, workflow, actor, insert: save_step(session, instance, workflow, actor, insert),
)


ATTEMPTS = 3


MAX_MESSAGE_HOPS = 10


def _partners(session: Session, sender: ProcessInstance) -> list[ProcessDefinition]:
    """The latest versions of the other processes deployed from the same diagram (a collaboration's pools)."""
    files = {name for name in sender.definition.sources if name.endswith(".bpmn")}
    latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    candidates = session.scalars(select(ProcessDefinition).join(
        latest, (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.v))
        .where(ProcessDefinition.key != sender.definition.key)).all()
    return [d for d in candidates if files & {n for n in d.sources if n.endswith(".bpmn")}]


def _route(session: Session, sender: ProcessInstance, event: BpmnEvent, actor: str | None, depth: int) -> None:
    """Deliver a message one process threw to the partner instance that waits for it, in this transaction.

    A running partner instance waiting for the message (with a matching correlation) gets it;
    else a partner process whose start event catches it is started with it; else the message
    stays what it was before: an audit entry. Two candidates are refused as ambiguous.
    """
    name = event.event_definition.name
    partner_definitions = _partners(session, sender)
    partners = {d.key for d in partner_definitions}
    if not partners:
        return
    if depth >= MAX_MESSAGE_HOPS:
        raise ProcessStepFailed(f"Die Nachricht '{name}' wird zwischen den Prozessen im Kreis weitergereicht; "
                                "es wurde nichts gespeichert.")
    rows = session.execute(
        select(ProcessInstance.id, ProcessInstance.waiting_messages).join(ProcessDefinition)
        .where(ProcessInstance.status == "running", ProcessInstance.id != sender.id,
               ProcessDefinition.key.in_(sorted(partners)))).all()
    waiting = sorted(iid for iid, entries in rows for m in entries or []
                     if m["name"] == name and messages.matches(event.correlations, m.get("correlations") or {}))
    if len(waiting) > 1:
        raise ProcessStepFailed(f"Die Nachricht '{name}' ist nicht eindeutig zuzuordnen: die Vorgänge "
                                f"{', '.join(map(str, waiting))} warten darauf. Bitte im Prozess einen "
                                "Korrelationsschlüssel festlegen; es wurde nichts gespeichert.")
    if waiting:
        target = _instance(session, waiting[0])
        workflow = load_workflow(target)
        run_step(session, target, actor, workflow, lambda wf: wf.send_event(event))
    else:
        starter = next((d for d in partner_definitions if name in start_messages(d)), None)
        if starter is None:
            return
        target = ProcessInstance(definition_id=starter.id, business_key=_free_business_key(
            session, starter, sender.business_key), state="", created_by=actor, updated_by=actor, definition=starter)
        session.add(target)
        session.flush()
        workflow = new_workflow(definition_specs(starter, None), services.call_service)
        audit.record(session, "instance_started", actor, target.id,
                     {"process": starter.key, "version": starter.version, "business_key": target.business_key,
                      "message": name, "from_instance": sender.id})

        def start_with(wf: BpmnWorkflow) -> None:
            wf.do_engine_steps()
            wf.send_event(event)

        run_step(session, target, actor, workflow, start_with)
    audit.record(session, "message_received", actor, target.id,
                 {"message": name, "payload": event.payload, "from_instance": sender.id})
    save_step(session, target, workflow, actor, insert=target.state == "", depth=depth + 1)


def start_messages(definition: ProcessDefinition) -> set[str]:
    """The messages whose arrival starts this process (its message start events)."""
    spec, _ = definition_specs(definition, None)
    return {part.name for start in spec.start.outputs for part in messages.event_parts(start)
            if isinstance(part, MessageEventDefinition)}


def _free_business_key(session: Session, definition: ProcessDefinition, wanted: str) -> str:
    taken = set(session.scalars(select(ProcessInstance.business_key).where(
        ProcessInstance.definition_id == definition.id, ProcessInstance.status == "running")))
    key, number = wanted, 1
    while key in taken:
        number += 1
        key = f"{wanted} ({number})"
    return key


def write_step(db: Database, work: Callable[[Session], StepResult], task_id: int | None = None) -> StepResult:
    """Run one unit of work; after a lost race run it again on the fresh state, then report a conflict.

    A retry starts from scratch (everything of the lost attempt was rolled back), so work that
    commutes (two Gemeinden answering, a child handing back while someone acts on the round) lands;
    a task someone else completed in between is refused by the retry itself as "bereits erledigt".
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with db.write() as session:
                return work(session)
        except (StaleInstance, IntegrityError) as exc:
            if attempt == ATTEMPTS:
                raise _conflict(db, task_id) from exc
        except DBAPIError as exc:
            message = str(exc).lower()
            if not any(word in message for word in ("lock", "serializ", "deadlock")):
                raise
            if attempt == ATTEMPTS:
                raise _conflict(db, task_id) from exc
    raise AssertionError("unreachable")


def _conflict(db: Database, task_id: int | None) -> Conflict:
    if task_id is not None:
        with db.read() as session:
            row = session.get(TaskRow, task_id)
            if row is not None and row.status == "completed":
                return _already_completed(session, row)
    return Conflict("Der Vorgang wurde soeben von jemand anderem geändert; es wurde nichts gespeichert. "
                    "Bitte laden Sie die Seite neu und versuchen Sie es erneut.")


def _already_completed(session: Session, row: TaskRow) -> TaskAlreadyCompleted:
    name = session.scalars(select(User.display_name).where(User.username == row.completed_by)).first()
    when = formatting.format_datetime(row.completed_at) if row.completed_at else None
    return TaskAlreadyCompleted(name or row.completed_by, when, username=row.completed_by,
                                completed_at=row.completed_at)


MAX_ID = 2**63 - 1  # what the databases' integer keys hold: a larger id from a caller is simply not found


def _instance(session: Session, instance_id: int) -> ProcessInstance:
    instance = session.get(ProcessInstance, instance_id, options=[joinedload(ProcessInstance.definition)]) \
        if 0 < instance_id <= MAX_ID else None  # the instance with its definition version, in one query
    if instance is None:
        raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
    return instance


def _require_running(instance: ProcessInstance) -> None:
    if instance.status != "running":
        labels = {"completed": "abgeschlossen", "cancelled": "abgebrochen"}
        raise Conflict(f"Der Vorgang ist {labels.get(instance.status, instance.status)}.")


def message_lanes(definition: ProcessDefinition, name: str) -> set[str | None]:
    """The lanes of the events that catch message `name` in this version (None: outside any lane).

    Lets the engine refuse a person who may never record that message before saying anything
    about the round's state.
    """
    spec, subprocess_specs = definition_specs(definition, None)
    lanes: set[str | None] = set()
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if any(isinstance(p, MessageEventDefinition) and p.name == name for p in messages.event_parts(task_spec)):
                lanes.add(getattr(task_spec, "lane", None))
    return lanes


def caught_messages(definition: ProcessDefinition) -> dict[str, set[str | None]]:
    """The messages this version waits for (its catching events), each with the lanes that may record it."""
    spec, subprocess_specs = specs_from_json(definition.spec_json)
    caught: dict[str, set[str | None]] = {}
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if isinstance(task_spec, CatchingEvent):
                for part in messages.event_parts(task_spec):
                    if isinstance(part, MessageEventDefinition):
                        caught.setdefault(part.name, set()).add(getattr(task_spec, "lane", None))
    return caught


# --------------------------------------------------------------------------- operations

@observers.observed("start_instance")
def start_instance(db: Database, process_key: str, business_key: str, actor_name: str,
                   data: Mapping[str, Any] | None = None) -> StepResult:
    """Start the latest version of a process. `data` becomes the initial task data."""
    business_key = (business_key or "").strip()
    if not business_key:
        raise ValidationFailed([FieldError("/business_key", "Bitte eine Bezeichnung angeben.")])
    if data is not None and not isinstance(data, Mapping):
        raise ValidationFailed([FieldError("", "Startdaten müssen ein JSON-Objekt sein.")])

    def work(session: Session) -> StepResult:
        actor = access.policy().load_actor(session, actor_name)
        definition = latest_definition(session, process_key)
        access.policy().check_has_role(actor, start_lane(definition), "Das Starten dieses Prozesses")
        start_data = dict(data or {})
        schema = start_schema(session, definition)
        if schema is not None:
            start_data = forms.with_defaults(schema, start_data)
            found = forms.validation_errors(schema, start_data)  # a field's own x-message may come twice
            errors = [e for i, e in enumerate(found) if e not in found[:i]]
            if errors:
                raise ValidationFailed(errors, "Die Startdaten passen nicht zum Prozess; nichts gestartet.")
        duplicate = session.scalars(select(ProcessInstance.id).join(ProcessDefinition).where(
            ProcessDefinition.key == process_key, ProcessInstance.business_key == business_key,
            ProcessInstance.status == "running")).first()
        if duplicate:
            raise Conflict(f"Es läuft bereits ein Vorgang '{business_key}' (Nr. {duplicate}).")
        instance = ProcessInstance(definition_id=definition.id, business_key=business_key, state="",
                                   created_by=actor.username, updated_by=actor.username, definition=definition)
        session.add(instance)
        session.flush()
        workflow = new_workflow(definition_specs(definition, None), services.call_service)

        def seed(wf: BpmnWorkflow) -> None:
            for task in wf.get_tasks(state=TaskState.READY):
                task.data.update(copy.deepcopy(start_data))

        audit.record(session, "instance_started", actor.username, instance.id,
                     {"process": process_key, "version": definition.version, "business_key": business_key,
                      "data": start_data})
        run_step(session, instance, actor.username, workflow, seed)
        change = save_step(session, instance, workflow, actor.username, insert=True)
        return StepResult(instance.id, instance.status, [r.id for r in change.created])

    return write_step(db, work)


def _validate(task: Any, schema: Mapping[str, Any], data: Mapping[str, Any]) -> None:
    """The form's schema and the task's `validation` rule, reported together: a person sees every problem
    (also the 51.000 € rule) at the first submission, not one kind after the other."""
    errors = forms.validation_errors(schema, data)
    source = taskindex.properties(task).get("validation")
    problems: Mapping[str, Any] = {}
    if source:
        try:
            problems = scripting.evaluate(source, {**task.data, "form": dict(data)}) or {}
        except Exception as exc:  # a broken rule must not let data through
            if not errors:  # on data the schema already refuses, a rule may fail for that reason alone
                raise ProcessStepFailed(f"Die Prüfregel der Aufgabe ist fehlgeschlagen: {exc}") from exc
    seen = {e.pointer for e in errors}
    errors += [FieldError(f"/{field}", str(msg)) for field, msg in dict(problems).items() if f"/{field}" not in seen]
    if errors:
        raise ValidationFailed(errors)


@observers.observed("complete_task")
def complete_task(db: Database, task_id: int, data: Mapping[str, Any], actor_name: str) -> StepResult:
    """Validate `data` against the task's form and complete it as `actor_name`."""

    def work(session: Session) -> StepResult:
        row = session.get(TaskRow, task_id) if 0 < task_id <= MAX_ID else None
        if row is None:
            raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_complete(session, actor, row)  # first: only those entitled learn who was first
        if row.status == "completed":
            raise _already_completed(session, row)
        if row.status != "ready":
            raise Conflict("Diese Aufgabe entfällt: der Vorgang ist weitergegangen.")
        instance = _instance(session, row.instance_id)
        _require_running(instance)
        form = instance.definition.forms.get(row.form_key or "", {"type": "object"})
        if not isinstance(data, Mapping):
            raise ValidationFailed([FieldError("", "Die Eingaben müssen ein JSON-Objekt sein.")])
        workflow = load_workflow(instance)
        task = spiff.find_task(workflow, UUID(row.spiff_task_id))  # gone: a step committed in between
        if task is None or task.state != TaskState.READY:
            raise StaleInstance()
        schema = taskindex.task_schema(task, form)  # the schema the task's resource serves
        values = forms.normalized(schema, taskindex.with_read_only_values(task, schema, dict(data)))
        _validate(task, schema, values)

        def submit(wf: BpmnWorkflow) -> None:
            variable = taskindex.properties(task).get("resultVariable")
            if variable:
                task.data[variable] = values
            else:
                task.set_data(**values)
            task.run()

        run_step(session, instance, actor.username, workflow, submit, task_row_id=row.id)
        row.status, row.completed_by, row.completed_at, row.data = "completed", actor.username, utcnow(), values
        audit.record(session, "task_completed", actor.username, instance.id,
                     {"title": row.title, "element_id": row.element_id, "data": values}, task_id=row.id)
        change = save_step(session, instance, workflow, actor.username)
        return StepResult(instance.id, instance.status, [r.id for r in change.created], instance.root_id)

    return write_step(db, work, task_id=task_id)


@observers.observed("deliver_message")
def deliver_message(db: Database, instance_id: int, name: str, payload: Mapping[str, Any],
                    actor_name: str, correlation: Mapping[str, Any] | None = None) -> StepResult:
    """Deliver a message the instance waits for (e.g. the Bewilligungsbescheid).

    `correlation` gives the values of the catch event's correlation properties; without it they
    are computed from the payload, as the sending process would.
    """

    def work(session: Session) -> StepResult:
        actor = access.policy().load_actor(session, actor_name)
        instance = _instance(session, instance_id)
        lanes = message_lanes(instance.definition, name)
        if lanes and not any(access.policy().has_role(actor, lane) for lane in lanes):
            raise Forbidden(f"Das Erfassen der Nachricht '{name}' ist Ihrer Rolle nicht erlaubt.")
        _require_running(instance)
        waiting = [m for m in instance.waiting_messages if m["name"] == name]
        if not waiting:
            raise Conflict(f"Der Vorgang wartet derzeit nicht auf die Nachricht '{name}'.")
        access.policy().check_has_role(actor, waiting[0]["lane"], f"Das Erfassen der Nachricht '{name}'")
        if not isinstance(payload, Mapping):
            raise ValidationFailed([FieldError("", "Die Nachricht muss ein JSON-Objekt sein.")])
        message_schema = instance.definition.message_schemas.get(name, {"type": "object"})
        given = forms.normalized(message_schema, dict(payload))
        forms.validate_submission(message_schema, given)
        workflow = load_workflow(instance)
        catcher = messages.catching_definition(workflow, name)
        content = messages.with_explicit_values(catcher, given, correlation) if catcher else dict(given)
        correlations = messages.correlations_for(catcher, content, workflow.script_engine) if catcher else {}
        if not messages.matches(correlations, workflow.correlations):
            raise messages.refuse_uncorrelated(name, correlations, workflow.correlations)

        def send(wf: BpmnWorkflow) -> None:
            wf.send_event(messages.event(name, content, catcher, correlations))

        run_step(session, instance, actor.username, workflow, send)
        audit.record(session, "message_received", actor.username, instance.id,
                     {"message": name, "payload": given})
        change = save_step(session, instance, workflow, actor.username)
        return StepResult(instance.id, instance.status, [r.id for r in change.created])

    return write_step(db, work)


def deliver_correlated(db: Database, name: str, payload: Mapping[str, Any], actor_name: str,
                       correlation: Mapping[str, Any] | None = None, process_key: str | None = None) -> StepResult:
    """Deliver a message to the one running instance that waits for it with a matching correlation.

    For clients that know a message's business key (an Aktenzeichen) but not grantflow's instance
    number. None or several candidates are refused with the reason; nothing is applied then.
    """
    if not isinstance(payload, Mapping):
        raise ValidationFailed([FieldError("", "Die Nachricht muss ein JSON-Objekt sein.")])
    with db.read() as session:
        query = (select(ProcessInstance.id, ProcessInstance.waiting_messages, ProcessDefinition.spec_json)
                 .join(ProcessDefinition).where(ProcessInstance.status == "running"))
        if process_key:
            query = query.where(ProcessDefinition.key == process_key)
        rows = session.execute(query).all()
    script_engine = scripting.make_script_engine()
    candidates = []
    for instance_id, waiting, spec_json in rows:
        for entry in waiting or []:
            if entry["name"] != name:
                continue
            catcher = spiff.message_definition(specs_from_json(spec_json), entry["element_id"], name)
            content = messages.with_explicit_values(catcher, payload, correlation) if catcher else dict(payload)
            found = messages.correlations_for(catcher, content, script_engine) if catcher else {}
            if messages.matches(found, entry.get("correlations") or {}):
                candidates.append(instance_id)
                break
    if not candidates:
        raise Conflict(f"Kein laufender Vorgang wartet auf die Nachricht '{name}' mit diesem Korrelationsschlüssel; "
                       "es wurde nichts gespeichert.")
    if len(candidates) > 1:
        raise Conflict(f"Die Nachricht '{name}' passt zu mehreren Vorgängen ({', '.join(map(str, candidates))}); "
                       "bitte den Korrelationsschlüssel angeben oder an einen Vorgang direkt senden.")
    return deliver_message(db, candidates[0], name, payload, actor_name, correlation)


def fire_due_timers(db: Database, now: datetime | None = None, limit: int = 100) -> int:
    """Fire every due timer; safe to run in several processes at once. Returns instances advanced.

    A round whose timer step fails is handed to a job (retried, then a Störung) and skipped here
    until then: the rounds after it in due order still fire.
    """
    now = now or clock.demo_now()  # on the Demo-Uhr, timers are due by its day
    moment = now or utcnow()
    with db.read() as session:
        due_ids = session.scalars(
            select(ProcessInstance.id).where(ProcessInstance.status == "running",
                                             ProcessInstance.next_timer_at <= moment,
                                             ProcessInstance.id.not_in(outbox.blocked_instances()))
            .order_by(ProcessInstance.next_timer_at).limit(limit)
        ).all()
    fired = 0
    for instance_id in due_ids:
        try:
            with children.at_moment(now), observers.observing("fire_timer") as step:
                if fire_instance_timers(db, instance_id, moment, now).status == "skipped":
                    step.outcome = "skipped"
                else:
                    fired += 1
        except Conflict:
            continue  # a user step won the race; the timer is still due and fires next tick
        except Exception as exc:  # this round's step failed: a job retries it, the others go on
            outbox.record_timer_failure(db, instance_id, moment, exc)
    return fired


def fire_instance_timers(db: Database, instance_id: int, moment: datetime, now: datetime | None = None) -> StepResult:
    """Fire the due timers of one instance in one transaction; raises if its step fails."""

    def work(session: Session) -> StepResult:
        query = select(ProcessInstance).where(ProcessInstance.id == instance_id,
                                              ProcessInstance.status == "running",
                                              ProcessInstance.next_timer_at <= moment)
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        instance = session.scalars(query).first()
        if instance is None:  # another ticker took it, or it moved on
            return StepResult(instance_id, "skipped", [])
        workflow = load_workflow(instance)
        before = {str(t.id) for t in workflow.get_tasks(state=TaskState.WAITING)}
        run_step(session, instance, SYSTEM, workflow, lambda wf: wf.refresh_timers(), now=now)
        after = {str(t.id) for t in workflow.get_tasks(state=TaskState.WAITING)}
        audit.record(session, "timer_fired", SYSTEM, instance.id,
                     {"at": moment.isoformat(), "released": len(before - after)})
        change = save_step(session, instance, workflow, SYSTEM)
        return StepResult(instance.id, instance.status, [r.id for r in change.created])

    return write_step(db, work)


def return_child(db: Database, child_id: int, actor: str | None, moment: datetime | None) -> StepResult:
    """Hand a finished child back to its parent in a transaction of its own (the job of a call
    activity with `asyncReturn`), at the moment of the step that ended it; retried on a lost race."""

    def work(session: Session) -> StepResult:
        with children.at_moment(moment):
            children.hand_back(session, child_id, actor, _STEPS, queued=True)
        return StepResult(child_id, "returned", [])

    return write_step(db, work)


@observers.observed("cancel_instance")
def cancel_instance(db: Database, instance_id: int, actor_name: str, reason: str) -> StepResult:
    """Stop a running instance; its open tasks are cancelled. Needs the start role or Administration
    (checked before the reason, so that nobody else learns more than that they may not)."""

    def work(session: Session) -> StepResult:
        actor = access.policy().load_actor(session, actor_name)
        instance = _instance(session, instance_id)
        _require_running(instance)
        access.policy().check_has_role(actor, start_lane(instance.definition), "Das Abbrechen eines Vorgangs")
        if not (reason or "").strip():
            raise ValidationFailed([FieldError("/reason", "Bitte einen Grund angeben.")])
        if instance.parent_id is not None:
            raise Conflict(f"Dies ist ein Teilvorgang von Vorgang {instance.parent_id}; er endet mit ihm. "
                           "Bitte dort abbrechen.")
        workflow = load_workflow(instance)
        workflow.cancel()
        instance.status = "cancelled"
        audit.record(session, "instance_cancelled", actor.username, instance.id, {"reason": reason.strip()})
        save_step(session, instance, workflow, actor.username)
        return StepResult(instance.id, "cancelled", [])

    return write_step(db, work)

