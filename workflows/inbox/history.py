"""A round's audit history as each person may see it."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.identity import authz
from workflows.inbox.shapes import EventInfo
from workflows.storage.db import Database
from workflows.storage.models import Event


def recent_history(session: Session, instance_id: int, actor: authz.Actor, limit: int = 200) -> list[EventInfo]:
    return [
        EventInfo(e.id, e.kind, e.actor, e.created_at, e.payload, e.task_id)
        for e in session.scalars(select(Event).where(*authz.event_clause(instance_id, actor))
                                 .order_by(Event.id.desc()).limit(limit))
    ]


def list_events(db: Database, instance_id: int, actor_name: str, *, page: int = 1,
                per_page: int = 100) -> tuple[list[EventInfo], int]:
    """An instance's audit events, oldest first, paginated. A Gemeinde sees only those of its own tasks."""
    page, per_page = max(1, page), min(max(1, per_page), 500)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        authz.visible_instance(session, instance_id, actor)
        filters = authz.event_clause(instance_id, actor)
        total = session.scalar(select(func.count()).select_from(Event).where(*filters)) or 0
        rows = session.scalars(select(Event).where(*filters).order_by(Event.id)
                               .offset((page - 1) * per_page).limit(per_page))
        return [EventInfo(e.id, e.kind, e.actor, e.created_at, e.payload, e.task_id) for e in rows], total
