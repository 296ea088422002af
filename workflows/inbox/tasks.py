"""The inbox and one task: plain indexed queries on `task`; a workflow is loaded only to show one task."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from uuid import UUID

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.engine import children, taskindex
from workflows.engine.context import task_context
from workflows.engine.spiff import definition_specs, find_task, load_state
from workflows.errors import Forbidden, NotFound
from workflows.identity import authz
from workflows.inbox.attachments import AttachmentInfo, visible_attachments
from workflows.inbox.classified import visible_data, visible_submission
from workflows.inbox.documents import visible_documents
from workflows.inbox.history import recent_history
from workflows.inbox.shapes import DocumentInfo, EventInfo, TaskPage, TaskSummary, task_summary
from workflows.inbox.votes import VoteTally, visible_tallies
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

SORTS = {
    "due": (TaskRow.due_at.is_(None), TaskRow.due_at.asc(), TaskRow.id.asc()),
    "newest": (TaskRow.created_at.desc(), TaskRow.id.desc()),
    "oldest": (TaskRow.created_at.asc(), TaskRow.id.asc()),
}


def list_tasks(db: Database, actor_name: str, *, status: str = "ready", instance_id: int | None = None,
               element_id: str | None = None, sort: str = "due", page: int = 1, per_page: int = 25) -> TaskPage:
    """The actor's inbox (ready tasks of their roles, Gemeinde and assignments), filtered and paginated."""
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        base = [authz.visible_tasks_clause(actor), TaskRow.status == status]
        filters = list(base)
        if instance_id is not None:
            filters.append(TaskRow.instance_id.in_(children.family_ids(instance_id)))  # a round: with its parts
        if element_id:
            filters.append(TaskRow.element_id == element_id)
        total = session.scalar(select(func.count()).select_from(TaskRow).where(*filters)) or 0
        rows = session.execute(
            select(TaskRow, ProcessInstance.business_key).join(ProcessInstance)
            .where(*filters).order_by(*SORTS.get(sort, SORTS["due"]))
            .offset((page - 1) * per_page).limit(per_page)
        ).all()
        by_type = dict(session.execute(
            select(TaskRow.element_name, func.count()).where(*base).group_by(TaskRow.element_name)
            .order_by(TaskRow.element_name)).all())
        by_instance = {
            iid: (key, count) for iid, key, count in session.execute(
                select(TaskRow.instance_id, ProcessInstance.business_key, func.count()).join(ProcessInstance)
                .where(*base).group_by(TaskRow.instance_id, ProcessInstance.business_key)
                .order_by(ProcessInstance.business_key)).all()
        }
        # element ids are the filter values; map names back for the filter dropdown
        return TaskPage([task_summary(r, k) for r, k in rows], total, page, per_page, by_type, by_instance)


def element_ids_by_name(db: Database, actor_name: str) -> dict[str, str]:
    """Task-type filter options: element name -> element id, for the actor's visible ready tasks."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        return dict(session.execute(
            select(TaskRow.element_name, func.min(TaskRow.element_id))
            .where(authz.visible_tasks_clause(actor), TaskRow.status == "ready")
            .group_by(TaskRow.element_name)).all())


@dataclass
class TaskDetail:
    """A task's page: its form, prefill and context, the round's documents, history and tallies the
    actor may see, the form schemas of its definition (for labels)."""

    task: TaskSummary
    schema: dict[str, Any]
    initial: dict[str, Any]
    context: dict[str, Any]
    documents: list[DocumentInfo]
    history: list[EventInfo]
    may_complete: bool
    refusal: str | None
    tallies: list[VoteTally]
    forms: list[dict[str, Any]]
    whole_round: bool
    attachments: list[AttachmentInfo] = field(default_factory=list)  # those uploaded to this task
    history_more: bool = False  # older events than `history` exist


def visible_task(session: Session, task_id: int,
                 actor: authz.Actor) -> tuple[TaskRow, ProcessInstance, dict[str, Any]]:
    """A task the actor may see, its instance and its form schema; 404 for everything else."""
    row = session.get(TaskRow, task_id)
    if row is None or not authz.may_see_task(actor, row):
        raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    return row, instance, instance.definition.forms.get(row.form_key or "", {"type": "object", "properties": {}})


def check_task_visible(db: Database, task_id: int, actor_name: str) -> None:
    """`NotFound` unless the actor may see the task: a primary-key lookup, no workflow loaded."""
    with db.read() as session:
        visible_task(session, task_id, authz.load_actor(session, actor_name))


@dataclass
class TaskForm:
    title: str
    schema: dict[str, Any]


def get_task_form(db: Database, task_id: int, actor_name: str) -> TaskForm:
    """Title and form schema of a task the actor may see, without loading the workflow (for submissions)."""
    with db.read() as session:
        row, _, schema = visible_task(session, task_id, authz.load_actor(session, actor_name))
        return TaskForm(row.title, schema)


def get_task(db: Database, task_id: int, actor_name: str) -> TaskDetail:
    """A task with its form, prefilled values, context data, documents, history and tallies, in one session."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        row, instance, schema = visible_task(session, task_id, actor)
        actor = authz.acting_as(actor, row)  # in Vertretung: sees the task as its principal would
        context: dict[str, Any] = {}
        initial: dict[str, Any] = dict(row.data or {})
        if row.status == "ready":
            workflow = load_state(instance.state, definition_specs(instance.definition, instance.process_key))
            task = find_task(workflow, UUID(row.spiff_task_id))
            if task is not None:
                context = task_context(task)  # what the task declares it shows, nothing else
                schema = taskindex.task_schema(task, schema)
                initial = taskindex.prefill_values(task, schema)
        own = authz.is_own_gemeinde_task(actor, row)
        context = visible_data(context, instance.definition, actor, own_gemeinde=own)
        if not authz.is_own_submission(actor, row):
            initial = visible_submission(initial, schema, actor, own_gemeinde=own) or {}
        refusal = None
        try:
            if row.status != "ready":
                refusal = "Diese Aufgabe ist nicht mehr offen."
            else:
                authz.check_may_complete(session, actor, row)
        except Forbidden as exc:
            refusal = exc.message
        whole_round = authz.may_see_whole_round(actor)
        history, more = recent_history(session, instance, actor, 50, task_id=None if whole_round else row.id)
        return TaskDetail(
            task_summary(row, instance.business_key), schema, initial, context,
            visible_documents(session, children.round_id(instance), actor), history,
            refusal is None, refusal, visible_tallies(session, instance, actor),
            [*instance.definition.forms.values(), *instance.definition.message_schemas.values()], whole_round,
            visible_attachments(session, children.round_id(instance), actor, task_id=row.id), more,
        )
