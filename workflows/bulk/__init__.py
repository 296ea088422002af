"""Bulk steps ("Sammelbearbeitung"): several open tasks of the same kind completed with one submission.

Only forms that say so (`"x-bulk": true` at the form's root: steps that are the same for every item,
such as publishing a posting) may be done together. Each task is still its own
`engine.complete_task` call: its own transaction, its own audit event, every check of who may act
(roles, Gemeinde, four-eyes); read-only values come from each task itself. A refusal of one task is
reported for that task in German and leaves the others untouched.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from workflows import engine
from workflows.errors import FieldError, GrantflowError, ValidationFailed
from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import TaskRow

MAX_TASKS = 200


@dataclass(frozen=True)
class BulkOutcome:
    """What happened to one task of a bulk submission."""

    task_id: int
    title: str
    completed: bool
    message: str
    instance_id: int | None = None
    errors: tuple[FieldError, ...] = ()  # the fields the submission failed on, when it was refused for them


def bulk_allowed(schema: Mapping[str, Any]) -> bool:
    """Whether a task's form may be completed for several tasks at once."""
    return schema.get("x-bulk") is True


def _refusal(exc: GrantflowError) -> str:
    if isinstance(exc, ValidationFailed) and exc.errors:
        return " ".join(dict.fromkeys(e.message for e in exc.errors))
    return exc.message


def _kind(db: Database, task_id: int, actor_name: str) -> tuple[str, str, bool] | None:
    """(element id, title, bulk allowed) of a task the actor may see, else None (never says more)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        row = session.get(TaskRow, task_id) if 0 < task_id <= 2**31 - 1 else None
        if row is None or not authz.may_see_task(actor, row):
            return None
        schema = row.instance.definition.forms.get(row.form_key or "", {})
        return row.element_id, row.title, bulk_allowed(schema)


def complete_many(db: Database, task_ids: Iterable[int], data: Mapping[str, Any],
                  actor_name: str) -> list[BulkOutcome]:
    """Complete each task with `data`, one engine call each; one outcome per task id, in the given order."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise ValidationFailed([], "Bitte mindestens eine Aufgabe auswählen.")
    if len(ids) > MAX_TASKS:
        raise ValidationFailed([], f"Höchstens {MAX_TASKS} Aufgaben auf einmal.")
    outcomes: list[BulkOutcome] = []
    element: str | None = None
    for task_id in ids:
        kind = _kind(db, task_id, actor_name)
        if kind is None:
            outcomes.append(BulkOutcome(task_id, "", False, f"Aufgabe {task_id} nicht gefunden."))
            continue
        element_id, title, allowed = kind
        element = element or element_id
        if not allowed:
            outcomes.append(BulkOutcome(task_id, title, False,
                                        "Diese Aufgabe ist einzeln zu bearbeiten, nicht gemeinsam mit anderen."))
        elif element_id != element:
            outcomes.append(BulkOutcome(task_id, title, False,
                                        "Gehört zu einem anderen Aufgabentyp: gemeinsam erledigt werden nur "
                                        "gleichartige Aufgaben."))
        else:
            try:
                result = engine.complete_task(db, task_id, dict(data), actor_name)
            except GrantflowError as exc:
                fields = tuple(exc.errors) if isinstance(exc, ValidationFailed) else ()
                outcomes.append(BulkOutcome(task_id, title, False, _refusal(exc), errors=fields))
            else:
                outcomes.append(BulkOutcome(task_id, title, True, "Erledigt.", result.instance_id))
    return outcomes
