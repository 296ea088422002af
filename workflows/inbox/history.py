"""A round's audit history as each person may see it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.identity import authz
from workflows.inbox.classified import Classification, classified_tasks, form_classification, seer
from workflows.inbox.shapes import EventInfo
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance

#: free-text keys of a task's events besides its submitted `data` (`workflows.collab.claims`)
TASK_NOTES = frozenset({"note"})


class _Redactor:
    """Drops the submitted data, and the fields of it, that the actor may not read (their data classes)."""

    def __init__(self, session: Session, inst: ProcessInstance, actor: authz.Actor) -> None:
        self.actor = actor
        self.classes = classified_tasks(session, inst)
        self.message_classes = {name: c for name, schema in inst.definition.message_schemas.items()
                                if (c := form_classification(schema))}

    def info(self, e: Event) -> EventInfo:
        payload = e.payload
        classification = self.classes.get(e.task_id or 0)
        may_see = seer(self.actor)
        if classification is not None and isinstance(payload.get("data"), dict):
            visible, data = classification.visible(payload["data"], may_see)
            payload = {k: v for k, v in payload.items() if k != "data"} | ({"data": data} if visible else {})
        if classification is not None and classification.hidden_fields(may_see) is None:
            # a task wholly of a class the actor may not see: its free text (the note of Übernehmen /
            # Zurückgeben) is of that class too, like a comment there
            payload = {k: v for k, v in payload.items() if k not in TASK_NOTES}
        if e.kind == "message_sent" and self.message_classes:
            payload = _visible_message(payload, self.message_classes, self.actor)
        return EventInfo(e.id, e.kind, e.actor, e.created_at, payload, e.task_id)


def _visible_message(payload: dict[str, Any], classes: dict[str, Classification], actor: authz.Actor) -> dict[str, Any]:
    """A message sent to the outside carries data: its message form's classes apply to its content."""
    classification, content = classes.get(str(payload.get("message"))), payload.get("payload")
    if classification is None or not isinstance(content, dict):
        return payload
    visible, shown = classification.visible(content, lambda cls: authz.may_see_data_class(actor, cls))
    return {k: v for k, v in payload.items() if k != "payload"} | ({"payload": shown} if visible else {})


def recent_history(session: Session, inst: ProcessInstance, actor: authz.Actor, limit: int = 200,
                   *, task_id: int | None = None) -> tuple[list[EventInfo], bool]:
    """The latest events, newest first, and whether older ones exist (a page then says the oldest run of
    equal events may be longer and links the whole history); `task_id` narrows them to one task's."""
    filters = authz.event_clause(inst.id, actor)
    if task_id is not None:
        filters.append(Event.task_id == task_id)
    redactor = _Redactor(session, inst, actor)
    rows = list(session.scalars(select(Event).where(*filters).order_by(Event.id.desc()).limit(limit + 1)))
    return [redactor.info(e) for e in rows[:limit]], len(rows) > limit


@dataclass
class HistoryPage:
    """One page of a round's whole audit history, oldest first, as the actor may see it."""

    instance_id: int
    business_key: str
    events: list[EventInfo]
    total: int


def history_page(db: Database, instance_id: int, actor_name: str, *, page: int = 1,
                 per_page: int = 100) -> HistoryPage:
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
        return HistoryPage(inst.id, inst.business_key, [redactor.info(e) for e in rows], total)


def list_events(db: Database, instance_id: int, actor_name: str, *, page: int = 1,
                per_page: int = 100) -> tuple[list[EventInfo], int]:
    """The events and their total of `history_page` (the API's shape)."""
    found = history_page(db, instance_id, actor_name, page=page, per_page=per_page)
    return found.events, found.total
