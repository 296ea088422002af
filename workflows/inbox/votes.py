"""Votes cast so far on a round's vote elements, counted from the task rows."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from workflows.errors import NotFound
from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow, User

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
        if authz.is_gemeinde_only(actor):
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
