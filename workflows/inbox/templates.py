"""Posting templates ("Vorlage übernehmen"): the answers of a sibling task of the same kind, to start a form with.

A form lists under its root keyword `x-template` the fields that one task of its kind may hand to the
others (the text of a Stellenausschreibung, not its own number and size). The sources are completed tasks
of the same BPMN element in the same round that the actor may see; their values pass the same data-class
check as the task page.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select

from workflows.engine import children
from workflows.identity import authz
from workflows.inbox.classified import form_class
from workflows.inbox.tasks import visible_task
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

MAX_SOURCES = 100


@dataclass(frozen=True)
class TemplateSource:
    task_id: int
    title: str
    completed_by: str | None


def template_fields(schema: dict[str, Any]) -> list[str]:
    """The fields a form lets one task of its kind hand to the others (`x-template`), in form order."""
    listed = schema.get("x-template")
    props = schema.get("properties", {})
    return [k for k in props if isinstance(listed, list) and k in listed and not props[k].get("readOnly")]


def template_sources(db: Database, task_id: int, actor_name: str) -> list[TemplateSource]:
    """Completed tasks of the same kind in the same round that may serve as a template for this one."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        row, instance, schema = visible_task(session, task_id, actor)
        cls = form_class(schema)
        if not template_fields(schema) or (cls is not None and not authz.may_see_data_class(actor, cls)):
            return []
        root = children.round_id(instance)
        rows = session.scalars(
            select(TaskRow).join(ProcessInstance)
            .where(TaskRow.element_id == row.element_id, TaskRow.status == "completed", TaskRow.id != row.id,
                   or_(ProcessInstance.id == root, ProcessInstance.root_id == root))
            .order_by(TaskRow.completed_at.desc()).limit(MAX_SOURCES)).all()
        return [TemplateSource(r.id, r.title, r.completed_by) for r in rows if authz.may_see_task(actor, r)]


def template_values(db: Database, task_id: int, source_id: int, actor_name: str) -> dict[str, Any]:
    """The `x-template` fields of a source task's answer (one of `template_sources`); {} for any other id."""
    if source_id not in {s.task_id for s in template_sources(db, task_id, actor_name)}:
        return {}
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        _, _, schema = visible_task(session, task_id, actor)
        source, _, _ = visible_task(session, source_id, actor)
        data = source.data or {}
        return {k: data[k] for k in template_fields(schema) if k in data}
