"""Read side: the inbox and task/instance views. Plain indexed queries on `task`, no deserialization
for lists; one instance is loaded only to show a single task's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import UUID

from SpiffWorkflow.util.task import TaskState
from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workflows import authz, taskindex
from workflows.db import Database
from workflows.definitions import start_lane
from workflows.errors import Forbidden, NotFound
from workflows.models import Document, Event, Notification, ProcessDefinition, ProcessInstance, TaskRow, User, utcnow
from workflows.state import load_state, specs_from_json

SORTS = {
    "due": (TaskRow.due_at.is_(None), TaskRow.due_at.asc(), TaskRow.id.asc()),
    "newest": (TaskRow.created_at.desc(), TaskRow.id.desc()),
    "oldest": (TaskRow.created_at.asc(), TaskRow.id.asc()),
}


@dataclass
class TaskSummary:
    id: int
    instance_id: int
    business_key: str
    title: str
    element_id: str
    element_name: str
    lane: str | None
    form_key: str | None
    assignee_gemeinde: str | None
    due_at: datetime | None
    created_at: datetime
    status: str
    completed_by: str | None
    completed_at: datetime | None

    @property
    def overdue(self) -> bool:
        return self.status == "ready" and self.due_at is not None and self.due_at < utcnow()

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "instance_id": self.instance_id, "business_key": self.business_key,
            "title": self.title, "element_id": self.element_id, "element_name": self.element_name,
            "lane": self.lane, "form_key": self.form_key, "gemeinde": self.assignee_gemeinde,
            "due_at": self.due_at.isoformat() if self.due_at else None, "overdue": self.overdue,
            "created_at": self.created_at.isoformat(), "status": self.status,
            "completed_by": self.completed_by,
            "completed_at": self.completed_at.isoformat() if self.completed_at else None,
        }


@dataclass
class TaskPage:
    items: list[TaskSummary]
    total: int
    page: int
    per_page: int
    by_type: dict[str, int] = field(default_factory=dict)
    by_instance: dict[int, tuple[str, int]] = field(default_factory=dict)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _summary(row: TaskRow, business_key: str) -> TaskSummary:
    return TaskSummary(
        row.id, row.instance_id, business_key, row.title, row.element_id, row.element_name, row.lane,
        row.form_key, row.assignee_gemeinde, row.due_at, row.created_at, row.status, row.completed_by,
        row.completed_at,
    )


def list_tasks(db: Database, actor_name: str, *, status: str = "ready", instance_id: int | None = None,
               element_id: str | None = None, sort: str = "due", page: int = 1, per_page: int = 25) -> TaskPage:
    """The actor's inbox (ready tasks of their roles, Gemeinde and assignments), filtered and paginated."""
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        base = [authz.visible_tasks_clause(actor), TaskRow.status == status]
        filters = list(base)
        if instance_id is not None:
            filters.append(TaskRow.instance_id == instance_id)
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
        return TaskPage([_summary(r, k) for r, k in rows], total, page, per_page, by_type, by_instance)


def element_ids_by_name(db: Database, actor_name: str) -> dict[str, str]:
    """Task-type filter options: element name -> element id, for the actor's visible ready tasks."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        return dict(session.execute(
            select(TaskRow.element_name, func.min(TaskRow.element_id))
            .where(authz.visible_tasks_clause(actor), TaskRow.status == "ready")
            .group_by(TaskRow.element_name)).all())


@dataclass
class DocumentInfo:
    id: int
    kind: str
    title: str
    filename: str
    version: int
    size: int
    sha256: str
    created_at: datetime
    created_by: str | None
    gemeinde_ags: str | None


@dataclass
class EventInfo:
    id: int
    kind: str
    actor: str | None
    created_at: datetime
    payload: dict[str, Any]
    task_id: int | None


@dataclass
class TaskDetail:
    task: TaskSummary
    schema: dict[str, Any]
    initial: dict[str, Any]
    context: dict[str, Any]
    documents: list[DocumentInfo]
    history: list[EventInfo]
    may_complete: bool
    refusal: str | None


def _documents(session: Session, instance_id: int, actor: authz.Actor) -> list[DocumentInfo]:
    query = select(Document).where(Document.instance_id == instance_id).order_by(Document.created_at.desc(),
                                                                                 Document.id.desc())
    return [
        DocumentInfo(d.id, d.kind, d.title, d.filename, d.version, d.size, d.sha256, d.created_at, d.created_by,
                     d.gemeinde_ags)
        for d in session.scalars(query) if may_see_document(actor, d.gemeinde_ags)
    ]


def may_see_document(actor: authz.Actor, gemeinde_ags: str | None) -> bool:
    """Staff see every document; a Gemeinde sees only what is addressed to it."""
    if not is_gemeinde_only(actor):
        return True
    return gemeinde_ags is not None and gemeinde_ags == actor.gemeinde_ags


def is_gemeinde_only(actor: authz.Actor) -> bool:
    return actor.roles <= {"Gemeinde"}


def _event_filters(instance_id: int, actor: authz.Actor) -> list[Any]:
    """An instance's events; a Gemeinde sees only those of its own tasks (never another's answers)."""
    filters: list[Any] = [Event.instance_id == instance_id]
    if is_gemeinde_only(actor):
        filters.append(Event.task_id.in_(select(TaskRow.id).where(
            TaskRow.instance_id == instance_id, TaskRow.assignee_gemeinde == actor.gemeinde_ags)))
    return filters


def _history(session: Session, instance_id: int, actor: authz.Actor, limit: int = 200) -> list[EventInfo]:
    return [
        EventInfo(e.id, e.kind, e.actor, e.created_at, e.payload, e.task_id)
        for e in session.scalars(select(Event).where(*_event_filters(instance_id, actor))
                                 .order_by(Event.id.desc()).limit(limit))
    ]


def _visible_task(session: Session, task_id: int,
                  actor: authz.Actor) -> tuple[TaskRow, ProcessInstance, dict[str, Any]]:
    """A task the actor may see, its instance and its form schema; 404 for everything else."""
    row = session.get(TaskRow, task_id)
    if row is None or not authz.can_see_task(actor, row):
        raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
    instance = session.get(ProcessInstance, row.instance_id)
    assert instance is not None
    return row, instance, instance.definition.forms.get(row.form_key or "", {"type": "object", "properties": {}})


@dataclass
class TaskForm:
    title: str
    schema: dict[str, Any]


def get_task_form(db: Database, task_id: int, actor_name: str) -> TaskForm:
    """Title and form schema of a task the actor may see, without loading the workflow (for submissions)."""
    with db.read() as session:
        row, _, schema = _visible_task(session, task_id, authz.load_actor(session, actor_name))
        return TaskForm(row.title, schema)


def get_task(db: Database, task_id: int, actor_name: str) -> TaskDetail:
    """A task with its form, prefilled values, context data, documents and history."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        row, instance, schema = _visible_task(session, task_id, actor)
        context: dict[str, Any] = {}
        initial: dict[str, Any] = dict(row.data or {})
        if row.status == "ready":
            workflow = load_state(instance.state, specs_from_json(instance.definition.spec_json))
            task = workflow.get_task_from_id(UUID(row.spiff_task_id))
            if task is not None:
                context = dict(task.data)
                initial = taskindex.prefill_values(task, schema)
        refusal = None
        try:
            if row.status != "ready":
                refusal = "Diese Aufgabe ist nicht mehr offen."
            else:
                authz.check_may_complete(session, actor, row)
        except Forbidden as exc:
            refusal = exc.message
        return TaskDetail(
            _summary(row, instance.business_key), schema, initial, context,
            _documents(session, instance.id, actor), _history(session, instance.id, actor, 50),
            refusal is None, refusal,
        )


@dataclass
class InstanceSummary:
    id: int
    business_key: str
    process_key: str
    process_name: str
    version: int
    status: str
    summary: dict[str, Any]
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    next_timer_at: datetime | None
    waiting_messages: list[dict[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "business_key": self.business_key, "process": self.process_key,
            "process_name": self.process_name, "version": self.version, "status": self.status,
            "current_steps": self.summary.get("current_steps", []),
            "waiting_for": [m["name"] for m in self.waiting_messages],
            "next_timer_at": self.next_timer_at.isoformat() if self.next_timer_at else None,
            "created_at": self.created_at.isoformat(), "created_by": self.created_by,
            "updated_at": self.updated_at.isoformat(),
        }


def _instance_summary(inst: ProcessInstance, definition: ProcessDefinition, actor: authz.Actor) -> InstanceSummary:
    """A Gemeinde gets no current steps: their titles would tell who else has not answered yet."""
    summary = {} if is_gemeinde_only(actor) else (inst.summary or {})
    return InstanceSummary(inst.id, inst.business_key, definition.key, definition.name, definition.version,
                           inst.status, summary, inst.created_at, inst.created_by, inst.updated_at,
                           inst.next_timer_at, inst.waiting_messages or [])


def _visible_instances_clause(actor: authz.Actor) -> Any:
    if not is_gemeinde_only(actor):
        return True
    return ProcessInstance.id.in_(select(TaskRow.instance_id).where(TaskRow.assignee_gemeinde == actor.gemeinde_ags))


def list_instances(db: Database, actor_name: str, *, status: str | None = None, page: int = 1,
                   per_page: int = 25) -> tuple[list[InstanceSummary], int]:
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = [_visible_instances_clause(actor)]
        if status:
            filters.append(ProcessInstance.status == status)
        total = session.scalar(select(func.count()).select_from(ProcessInstance).where(*filters)) or 0
        rows = session.execute(
            select(ProcessInstance, ProcessDefinition).join(ProcessDefinition).where(*filters)
            .order_by(ProcessInstance.created_at.desc(), ProcessInstance.id.desc())
            .offset((page - 1) * per_page).limit(per_page)).all()
        return [_instance_summary(i, d, actor) for i, d in rows], total


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
        inst = _visible_instance(session, instance_id, actor)
        workflow = load_state(inst.state, specs_from_json(inst.definition.spec_json))
        completed, active = _element_states(workflow)
        data = dict(workflow.data) if workflow.is_completed() else _latest_data(workflow)
        task_rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == inst.id)
                                    .order_by(TaskRow.id)).all()
        tasks = [_summary(r, inst.business_key) for r in task_rows if not is_gemeinde_only(actor)
                 or r.assignee_gemeinde == actor.gemeinde_ags]
        # finished subprocesses are pruned from the state; their steps are still in the task index
        completed = sorted(set(completed) | {r.element_id for r in task_rows if r.status == "completed"})
        return InstanceDetail(
            _instance_summary(inst, inst.definition, actor), data if not is_gemeinde_only(actor) else {},
            completed, active, tasks, _documents(session, inst.id, actor), _history(session, inst.id, actor),
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


def _visible_instance(session: Session, instance_id: int, actor: authz.Actor) -> ProcessInstance:
    inst = session.scalars(select(ProcessInstance).where(
        ProcessInstance.id == instance_id, _visible_instances_clause(actor))).first()
    if inst is None:
        raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
    return inst


def list_events(db: Database, instance_id: int, actor_name: str, *, page: int = 1,
                per_page: int = 100) -> tuple[list[EventInfo], int]:
    """An instance's audit events, oldest first, paginated. A Gemeinde sees only those of its own tasks."""
    page, per_page = max(1, page), min(max(1, per_page), 500)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        _visible_instance(session, instance_id, actor)
        filters = _event_filters(instance_id, actor)
        total = session.scalar(select(func.count()).select_from(Event).where(*filters)) or 0
        rows = session.scalars(select(Event).where(*filters).order_by(Event.id)
                               .offset((page - 1) * per_page).limit(per_page))
        return [EventInfo(e.id, e.kind, e.actor, e.created_at, e.payload, e.task_id) for e in rows], total


def list_documents(db: Database, instance_id: int, actor_name: str) -> list[DocumentInfo]:
    """The documents of an instance the actor may see, newest first (no deserialization)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        _visible_instance(session, instance_id, actor)
        return _documents(session, instance_id, actor)


@dataclass
class DocumentFile:
    info: DocumentInfo
    instance_id: int
    media_type: str
    content: bytes


def get_document(db: Database, document_id: int, actor_name: str) -> DocumentFile:
    """A document's bytes, if the actor may see its instance and the document (`may_see_document`)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        d = session.get(Document, document_id)
        if d is None or not may_see_document(actor, d.gemeinde_ags):
            raise NotFound(f"Dokument {document_id} nicht gefunden.")
        _visible_instance(session, d.instance_id, actor)
        info = DocumentInfo(d.id, d.kind, d.title, d.filename, d.version, d.size, d.sha256, d.created_at,
                            d.created_by, d.gemeinde_ags)
        return DocumentFile(info, d.instance_id, d.media_type, bytes(d.content))


# --------------------------------------------------------------------------- votes, documents, starting

#: form properties counted as votes when their schema does not say `"x-tally": true`
TALLY_FIELD_NAMES = ("stimme", "votum", "vote")


@dataclass
class VoteTally:
    """Votes cast so far on one vote element of an instance."""

    element_id: str
    element_name: str
    field: str
    counts: dict[str, int]
    labels: dict[str, str]
    open: int
    voters: list[tuple[str, str]]

    @property
    def cast(self) -> int:
        return sum(self.counts.values())


def tally_field(schema: dict[str, Any]) -> str | None:
    """The property of a form that is a vote: `"x-tally": true`, else one named like `stimme`."""
    props = schema.get("properties", {}) if isinstance(schema, dict) else {}
    for name, prop in props.items():
        if isinstance(prop, dict) and prop.get("x-tally"):
            return str(name)
    for name in TALLY_FIELD_NAMES:
        if isinstance(props.get(name), dict) and "enum" in props[name]:
            return name
    return None


def vote_tallies(db: Database, instance_id: int, actor_name: str) -> list[VoteTally]:
    """Counts of the votes cast so far, from the task rows of vote elements (staff only)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        if is_gemeinde_only(actor):
            return []
        inst = session.get(ProcessInstance, instance_id)
        if inst is None:
            raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
        fields = {key: f for key, schema in inst.definition.forms.items() if (f := tally_field(schema))}
        if not fields:
            return []
        rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                     TaskRow.form_key.in_(sorted(fields)),
                                                     TaskRow.status.in_(("ready", "completed")))
                               .order_by(TaskRow.id)).all()
        names = dict(session.execute(select(User.username, User.display_name).where(
            User.username.in_({r.completed_by for r in rows if r.completed_by}))).all())
        tallies: dict[str, VoteTally] = {}
        for row in rows:
            key = row.form_key or ""
            field_name = fields[key]
            prop = inst.definition.forms[key]["properties"][field_name]
            tally = tallies.get(row.element_id)
            if tally is None:
                options = [str(v) for v in prop.get("enum", [])]
                labels = dict(zip(options, prop.get("x-enumLabels", options), strict=False))
                tally = tallies[row.element_id] = VoteTally(row.element_id, row.element_name, field_name,
                                                            {o: 0 for o in options}, labels, 0, [])
            if row.status == "ready":
                tally.open += 1
                continue
            value = str((row.data or {}).get(field_name, ""))
            tally.counts[value] = tally.counts.get(value, 0) + 1
            who = row.completed_by or ""
            tally.voters.append((names.get(who, who), tally.labels.get(value, value)))
        return list(tallies.values())


def list_all_documents(db: Database, actor_name: str, *, page: int = 1,
                       per_page: int = 50) -> tuple[list[tuple[DocumentInfo, int, str]], int]:
    """Documents the actor may see, newest first, with instance id and business key."""
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = []
        if is_gemeinde_only(actor):
            filters.append(Document.gemeinde_ags == (actor.gemeinde_ags or ""))
        total = session.scalar(select(func.count()).select_from(Document).where(*filters)) or 0
        rows = session.execute(
            select(Document.id, Document.kind, Document.title, Document.filename, Document.version, Document.size,
                   Document.sha256, Document.created_at, Document.created_by, Document.gemeinde_ags,
                   Document.instance_id, ProcessInstance.business_key)
            .join(ProcessInstance, ProcessInstance.id == Document.instance_id).where(*filters)
            .order_by(Document.created_at.desc(), Document.id.desc())
            .offset((page - 1) * per_page).limit(per_page)).all()
        return [(DocumentInfo(*r[:10]), r[10], r[11]) for r in rows], total


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
        if inst is None or (is_gemeinde_only(actor) and not actor.is_admin):
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
        if inst is None or (is_gemeinde_only(actor) and not actor.is_admin):
            return []
        summary = _instance_summary(inst, inst.definition, actor)
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


@dataclass
class NotificationInfo:
    id: int
    instance_id: int | None
    subject: str
    text: str
    created_at: datetime


def list_notifications(db: Database, actor_name: str, limit: int = 100) -> list[NotificationInfo]:
    """Notifications to the actor's roles, Gemeinde or to them personally, newest first."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        own_gemeinde = Notification.recipient_gemeinde == (actor.gemeinde_ags or "")
        clauses = [Notification.recipient_user == actor.username, own_gemeinde,
                   Notification.recipient_role.in_(sorted(actor.roles))
                   & (Notification.recipient_gemeinde.is_(None) | own_gemeinde)]
        rows = session.scalars(select(Notification).where(or_(*clauses))
                               .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
        return [NotificationInfo(n.id, n.instance_id, n.subject, n.text, n.created_at) for n in rows]
