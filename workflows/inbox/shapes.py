"""The shapes the read models answer with: plain dataclasses, no ORM objects leave a session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from workflows import clock
from workflows.identity import authz
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow


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
    assignee_user: str | None = None

    @property
    def overdue(self) -> bool:
        return self.status == "ready" and self.due_at is not None and self.due_at < clock.now()


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


def task_summary(row: TaskRow, business_key: str) -> TaskSummary:
    return TaskSummary(
        row.id, row.instance_id, business_key, row.title, row.element_id, row.element_name, row.lane,
        row.form_key, row.assignee_gemeinde, row.due_at, row.created_at, row.status, row.completed_by,
        row.completed_at, row.assignee_user,
    )


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
    revision: int | None = None  # the row's version, raised by every step; None where it would count answers


def instance_summary(inst: ProcessInstance, definition: ProcessDefinition, actor: authz.Actor) -> InstanceSummary:
    """A Gemeinde gets no current steps and no revision: they would tell who and how many others answered."""
    gemeinde = authz.is_gemeinde_only(actor)
    summary = {} if gemeinde else (inst.summary or {})
    return InstanceSummary(inst.id, inst.business_key, definition.key, definition.name, definition.version,
                           inst.status, summary, inst.created_at, inst.created_by, inst.updated_at,
                           inst.next_timer_at, inst.waiting_messages or [],
                           None if gemeinde else inst.version)
