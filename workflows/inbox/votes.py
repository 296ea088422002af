"""The tally of a round's votes, counted from the task rows.

A vote element is a user task whose form has a vote field (`"x-tally": true`, or an enum named like
`stimme`). Its individual votes are a data class of their own (`einzelstimmen`, kept out of the
round's data and history by `workflows.inbox.classified`); the tally counts them from the task rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import children
from workflows.identity import authz
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow, User

#: form properties counted as votes when their schema does not say `"x-tally": true`
TALLY_FIELD_NAMES = ("stimme", "votum", "vote")


@dataclass
class VoteTally:
    """Votes on one vote element of an instance, as far as the actor may see them."""

    element_id: str
    element_name: str
    field: str
    counts: dict[str, int]
    labels: dict[str, str]
    open: int
    voters: list[tuple[str, str]]
    closed: bool

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


def vote_fields(definition: ProcessDefinition) -> dict[str, str]:
    """Form key -> its vote field, for the forms of a definition that are votes."""
    return {key: f for key, schema in definition.forms.items() if (f := tally_field(schema))}


def visible_tallies(session: Session, inst: ProcessInstance, actor: authz.Actor) -> list[VoteTally]:
    """The tallies of an instance the actor may see (`authz.may_see_tally`), with voters only for
    those who may see votes by name. A vote is closed when none of its tasks is open any more.
    A round's tallies count the votes of its child instances too (one per member)."""
    fields = vote_fields(inst.definition)
    if not fields or not authz.may_see_whole_round(actor):
        return []
    rows = session.scalars(select(TaskRow).where(TaskRow.instance_id.in_(children.family_ids(inst.id)),
                                                 TaskRow.form_key.in_(sorted(fields)),
                                                 TaskRow.status.in_(("ready", "completed")))
                           .order_by(TaskRow.id)).all()
    by_name = authz.may_see_votes_by_name(actor)
    names: dict[str, str] = {}
    if by_name:
        names = dict(session.execute(select(User.username, User.display_name).where(
            User.username.in_({r.completed_by for r in rows if r.completed_by}))).all())
    tallies: dict[str, VoteTally] = {}
    for row in rows:
        key = row.form_key or ""
        field_name = fields[key]
        tally = tallies.get(row.element_id)
        if tally is None:
            prop = inst.definition.forms[key]["properties"][field_name]
            options = [str(v) for v in prop.get("enum", [])]
            labels = dict(zip(options, prop.get("x-enumLabels", options), strict=False))
            tally = tallies[row.element_id] = VoteTally(row.element_id, row.element_name, field_name,
                                                        {o: 0 for o in options}, labels, 0, [], True)
        if row.status == "ready":
            tally.open += 1
            tally.closed = False
            continue
        value = str((row.data or {}).get(field_name, ""))
        tally.counts[value] = tally.counts.get(value, 0) + 1
        if by_name:
            who = row.completed_by or ""
            tally.voters.append((names.get(who, who), tally.labels.get(value, value)))
    return [t for t in tallies.values() if authz.may_see_tally(actor, closed=t.closed)]
