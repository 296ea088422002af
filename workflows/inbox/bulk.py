"""The form of a bulk step: which of the chosen tasks the actor may see, and the form they share."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from workflows.errors import NotFound
from workflows.identity import authz
from workflows.inbox.tasks import visible_task
from workflows.storage.db import Database


@dataclass
class BulkForm:
    schema: dict[str, Any]
    element_name: str
    tasks: list[tuple[int, str]]  # (id, title) of the chosen open tasks of that kind


def bulk_form(db: Database, task_ids: Iterable[int], actor_name: str, *, only_open: bool = True) -> BulkForm:
    """The shared form of the chosen tasks (those of the first one's kind that allows `x-bulk`); with
    `only_open=False` also those done since they were chosen, so that the submission reports them."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        found = []
        for task_id in dict.fromkeys(task_ids):
            try:
                found.append(visible_task(session, task_id, actor))
            except NotFound:
                continue
        if not found or found[0][2].get("x-bulk") is not True:
            raise NotFound("Für diese Auswahl gibt es keine gemeinsame Bearbeitung.")
        first = found[0][0]
        tasks = [(row.id, row.title) for row, _, _ in found
                 if row.element_id == first.element_id and (row.status == "ready" or not only_open)]
        if not tasks:
            raise NotFound("Die ausgewählten Aufgaben sind nicht mehr offen.")
        return BulkForm(found[0][2], first.element_name, tasks)
