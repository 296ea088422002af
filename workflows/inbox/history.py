"""A round's audit history as each person may see it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.identity import authz
from workflows.inbox.classified import classified_tasks
from workflows.inbox.shapes import EventInfo
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance


class _Redactor:
    """Drops the submitted data of events the actor may not read (`authz.may_see_history_payload`)."""

    def __init__(self, session: Session, inst: ProcessInstance, actor: authz.Actor) -> None:
        self.actor = actor
        self.classes = classified_tasks(session, inst)

    def info(self, e: Event) -> EventInfo:
        payload = e.payload
        if not authz.may_see_history_payload(self.actor, data_class=self.classes.get(e.task_id or 0)):
            payload = {k: v for k, v in payload.items() if k != "data"}
        return EventInfo(e.id, e.kind, e.actor, e.created_at, payload, e.task_id)


def recent_history(session: Session, inst: ProcessInstance, actor: authz.Actor, limit: int = 200,
                   *, task_id: int | None = None) -> list[EventInfo]:
    """The latest events, newest first; `task_id` narrows them to one task's."""
    filters = authz.event_clause(inst.id, actor)
    if task_id is not None:
        filters.append(Event.task_id == task_id)
    redactor = _Redactor(session, inst, actor)
    return [redactor.info(e) for e in session.scalars(select(Event).where(*filters)
                                                        .order_by(Event.id.desc()).limit(limit))]


def list_events(db: Database, instance_id: int, actor_name: str, *, page: int = 1,
                per_page: int = 100) -> tuple[list[EventInfo], int]:
    """An instance's audit events, oldest first, paginated. A Gemeinde sees only those of its own tasks."""
    page, per_page = max(1, page), min(max(1, per_page), 500)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        filters = authz.event_clause(instance_id, actor)
        total = session.scalar(select(func.count()).select_from(Event).where(*filters)) or 0
        rows = session.scalars(select(Event).where(*filters).order_by(Event.id)
                               .offset((page - 1) * per_page).limit(per_page))
        redactor = _Redactor(session, inst, actor)
        return [redactor.info(e) for e in rows], total
