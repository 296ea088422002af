"""The rounds: the list, one round's page, what may be started, cancelled or recorded."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, select
from sqlalchemy.orm import defer, load_only

from workflows.engine.definitions import start_lane
from workflows.engine.spiff import load_state, specs_from_json
from workflows.identity import authz
from workflows.inbox.documents import visible_documents
from workflows.inbox.history import recent_history
from workflows.inbox.shapes import DocumentInfo, EventInfo, InstanceSummary, TaskSummary, instance_summary, task_summary
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow


def list_instances(db: Database, actor_name: str, *, status: str | None = None, page: int = 1,
                   per_page: int = 25) -> tuple[list[InstanceSummary], int]:
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = [authz.visible_instances_clause(actor)]
        if status:
            filters.append(ProcessInstance.status == status)
        total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*filters)) or 0
        # the list never needs a round's state (about 1 MB during the Abfrage) nor a version's sources:
        # leaving them out keeps the page fast; the sort runs on ix_process_instance_created
        rows = session.execute(
            select(ProcessInstance, ProcessDefinition).join(ProcessDefinition).where(*filters)
            .options(defer(ProcessInstance.state, raiseload=True),
                     load_only(ProcessDefinition.key, ProcessDefinition.name, ProcessDefinition.version,
                               raiseload=True))
            .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
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


def get_instance(db: Database, instance_id: int, actor_name: str) -> InstanceDetail:
    """One round: data, which BPMN elements are done or active (for the diagram), tasks, documents, history."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        workflow = load_state(inst.state, specs_from_json(inst.definition.spec_json))
        completed, active = _element_states(workflow)
        data = dict(workflow.data) if workflow.is_completed() else _latest_data(workflow)
        task_rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == inst.id)
                                    .order_by(TaskRow.id)).all()
        tasks = [task_summary(r, inst.business_key) for r in task_rows if not authz.is_gemeinde_only(actor)
                 or r.assignee_gemeinde == actor.gemeinde_ags]
        # finished subprocesses are pruned from the state; their steps are still in the task index
        completed = sorted(set(completed) | {r.element_id for r in task_rows if r.status == "completed"})
        return InstanceDetail(
            instance_summary(inst, inst.definition, actor), data if not authz.is_gemeinde_only(actor) else {},
            completed, active, tasks, visible_documents(session, inst.id, actor),
            recent_history(session, inst.id, actor),
            inst.definition.sources,
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
            if authz.has_role(actor, role):
                result.append(StartableProcess(d.key, d.name, d.version, role))
        return result


def may_cancel(db: Database, instance_id: int, actor_name: str) -> bool:
    """Whether the actor holds the start role of the instance's process (or is an administrator)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or (authz.is_gemeinde_only(actor) and not actor.is_admin):
            return False
        return authz.has_role(actor, start_lane(inst.definition))


@dataclass
class MessageForm:
    instance: InstanceSummary
    name: str
    element_name: str
    lane: str | None
    schema: dict[str, Any]


def message_forms(db: Database, instance_id: int, actor_name: str) -> list[MessageForm]:
    """The messages the instance waits for that the actor may record, with their schemas."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = session.get(ProcessInstance, instance_id)
        if inst is None or (authz.is_gemeinde_only(actor) and not actor.is_admin):
            return []
        summary = instance_summary(inst, inst.definition, actor)
        result = []
        for m in inst.waiting_messages or []:
            if authz.has_role(actor, m.get("lane")):
                schema = inst.definition.message_schemas.get(m["name"], {"type": "object", "properties": {}})
                result.append(MessageForm(summary, m["name"], m.get("element_name") or m["name"], m.get("lane"),
                                          schema))
        return result


def instance_forms(db: Database, instance_id: int) -> list[dict[str, Any]]:
    """The form and message schemas of an instance's definition (for labels of its data)."""
    with db.read() as session:
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            return []
        return [*inst.definition.forms.values(), *inst.definition.message_schemas.values()]
