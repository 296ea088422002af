"""The rounds: the list, one round's page, what may be started, cancelled or recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import Session, defer, load_only

from workflows.engine import children
from workflows.engine.definitions import start_lane
from workflows.engine.spiff import definition_specs, load_state
from workflows.identity import authz
from workflows.inbox.attachments import AttachmentInfo, visible_attachments
from workflows.inbox.children import Family, family_of
from workflows.inbox.classified import visible_data
from workflows.inbox.documents import visible_documents
from workflows.inbox.history import recent_history
from workflows.inbox.shapes import DocumentInfo, EventInfo, InstanceSummary, TaskSummary, instance_summary, task_summary
from workflows.inbox.votes import VoteTally, visible_tallies
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessDefinition, ProcessInstance, TaskRow


def list_instances(db: Database, actor_name: str, *, status: str | None = None, page: int = 1,
                   per_page: int = 25) -> tuple[list[InstanceSummary], int]:
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = [authz.visible_rounds_clause(actor), ProcessInstance.parent_id.is_(None)]  # parts: on their round
        if status:
            filters.append(ProcessInstance.status == status)
        total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*filters)) or 0
        # the list never needs a round's state (about 1 MB during the Abfrage) nor a version's sources:
        # leaving them out keeps the page fast. The sort runs on ix_process_instance_roots_created
        # (parent_id, created_at, id): parent_id leads the ORDER BY too (it is NULL in every row), else
        # PostgreSQL, which does not take `IS NULL` as fixing an index column, sorted all roots instead
        rows = session.execute(
            select(ProcessInstance, ProcessDefinition).join(ProcessDefinition).where(*filters)
            .options(defer(ProcessInstance.state, raiseload=True),
                     load_only(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version,
                               raiseload=True))
            .order_by(ProcessInstance.parent_id.desc(), ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
            .offset((page - 1) * per_page).limit(per_page)).all()
        return [instance_summary(i, d, actor) for i, d in rows], total


@dataclass
class InstanceDetail:
    instance: InstanceSummary
    data: dict[str, Any]
    completed_elements: list[str]
    active_elements: list[str]
    tasks: list[TaskSummary]
    documents: list[DocumentInfo]
    history: list[EventInfo]
    sources: dict[str, str]
    family: Family  # its round and parent (for a part) and the parts the actor may see
    attachments: list[AttachmentInfo] = field(default_factory=list)
    history_more: bool = False  # older events than `history` exist


def get_instance(db: Database, instance_id: int, actor_name: str) -> InstanceDetail:
    """One round: data, which BPMN elements are done or active (for the diagram), tasks, documents, history."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        return _detail(session, authz.visible_instance(session, instance_id, actor), actor)


def check_instance_visible(db: Database, instance_id: int, actor_name: str) -> None:
    """`NotFound` unless the actor may see the round: one indexed query, no workflow loaded."""
    with db.read() as session:
        authz.visible_instance(session, instance_id, authz.load_actor(session, actor_name))


def _detail(session: Session, inst: ProcessInstance, actor: authz.Actor) -> InstanceDetail:
    workflow = load_state(inst.state, definition_specs(inst.definition, inst.process_key))
    completed, active = _element_states(workflow)
    data: dict[str, Any] = {}
    if authz.may_see_whole_round(actor):
        data = dict(workflow.data) if workflow.is_completed() else _latest_data(workflow)
        data = visible_data(data, inst.definition, actor)
    task_rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == inst.id)
                                .order_by(TaskRow.id)).all()
    tasks = [task_summary(r, inst.business_key) for r in task_rows if authz.may_see_task_of_round(actor, r)]
    # finished subprocesses are pruned from the state; their steps are still in the task index
    completed = sorted(set(completed) | {r.element_id for r in task_rows if r.status == "completed"}
                       | (_done_in_parts(session, inst.id) if authz.may_see_whole_round(actor) else set()))
    history, more = recent_history(session, inst, actor)
    return InstanceDetail(
        instance_summary(inst, inst.definition, actor), data, completed, active, tasks,
        visible_documents(session, inst.id, actor), history, inst.definition.sources,
        family_of(session, inst, actor), visible_attachments(session, children.round_id(inst), actor), more,
    )


@dataclass
class InstancePage:
    """Everything the round's page shows, read in one session for one actor."""

    detail: InstanceDetail
    tallies: list[VoteTally]
    may_cancel: bool
    message_forms: list[MessageForm]
    forms: list[dict[str, Any]]
    whole_round: bool


def instance_page(db: Database, instance_id: int, actor_name: str) -> InstancePage:
    """The round's page: its detail, the tallies, whether it may be cancelled, the message forms, the
    form schemas (for labels); `whole_round` is false for a Gemeinde, which sees only its own part."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        return InstancePage(
            _detail(session, inst, actor), visible_tallies(session, inst, actor),
            authz.may_cancel(actor, start_lane(inst.definition), inst.status), _message_forms(inst, actor),
            [*inst.definition.forms.values(), *inst.definition.message_schemas.values()],
            authz.may_see_whole_round(actor),
        )


def _element_states(workflow: Any) -> tuple[list[str], list[str]]:
    completed: set[str] = set()
    active: set[str] = set()
    for task in workflow.get_tasks():
        bpmn_id = getattr(task.task_spec, "bpmn_id", None)
        if not bpmn_id:
            continue
        if task.state == TaskState.COMPLETED:
            completed.add(bpmn_id)
        elif task.state in (TaskState.READY, TaskState.WAITING, TaskState.STARTED):
            active.add(bpmn_id)
    return sorted(completed), sorted(active)


def _done_in_parts(session: Session, instance_id: int) -> set[str]:
    """Steps that ran in the instance's parts (child instances) and in its pruned subprocesses: completed
    tasks from the task index, service steps from their audit events, for the diagrams of the called processes."""
    family = children.family_ids(instance_id)
    tasks = session.scalars(select(TaskRow.element_id).where(TaskRow.instance_id.in_(family),
                                                             TaskRow.status == "completed").distinct())
    services = session.scalars(select(Event.payload).where(Event.instance_id.in_(family),
                                                           Event.kind == "service_completed"))
    return {*tasks, *(str(p["element_id"]) for p in services if isinstance(p, dict) and p.get("element_id"))}


def _latest_data(workflow: Any) -> dict[str, Any]:
    """The data of the most recently completed task: where a running round's figures stand."""
    done = [t for t in workflow.get_tasks() if t.state == TaskState.COMPLETED]
    if not done:
        return {}
    latest = max(done, key=lambda t: t.last_state_change)
    return dict(latest.data)


@dataclass
class StartableProcess:
    key: str
    name: str
    version: int
    start_role: str | None


def startable_processes(db: Database, actor_name: str) -> list[StartableProcess]:
    """The latest version of each process whose start lane the actor holds (admins: all)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
            .group_by(ProcessDefinition.key).subquery()
        definitions = session.scalars(select(ProcessDefinition).join(
            latest, (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.v))
            .order_by(ProcessDefinition.key)).all()
        result = []
        for d in definitions:
            role = start_lane(d)
            if authz.may_start(actor, role):
                result.append(StartableProcess(d.key, d.name, d.version, role))
        return result


@dataclass
class MessageForm:
    instance: InstanceSummary
    name: str
    element_name: str
    lane: str | None
    schema: dict[str, Any]
    correlation: list[str]  # the correlation properties the waiting event checks


def message_forms(db: Database, instance_id: int, actor_name: str) -> list[MessageForm]:
    """The messages the round waits for that the actor may record, with their schemas (`NotFound` for a
    round the actor may not see)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        return _message_forms(authz.visible_instance(session, instance_id, actor), actor)


def _message_forms(inst: ProcessInstance, actor: authz.Actor) -> list[MessageForm]:
    summary = instance_summary(inst, inst.definition, actor)
    return [
        MessageForm(summary, m["name"], m.get("element_name") or m["name"], m.get("lane"),
                    inst.definition.message_schemas.get(m["name"], {"type": "object", "properties": {}}),
                    list(m.get("correlation") or []))
        for m in inst.waiting_messages or [] if authz.may_record_message(actor, m.get("lane"))
    ]
