"""Votes on a round's vote elements: the tally, and which variables and events carry an individual vote.

A vote element is a user task whose form has a vote field (`"x-tally": true`, or an enum named like
`stimme`). Its individual votes are secret (`authz.may_see_votes_by_name`) until and after the
result: the tally counts them from the task rows, so nobody else needs them. The variables that
carry them in the round's data are read from the BPMN: the task's `resultVariable` and the output
item and collection of its own or an enclosing multi-instance.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine.xmlsafety import parse_xml
from workflows.identity import authz
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow, User

#: form properties counted as votes when their schema does not say `"x-tally": true`
TALLY_FIELD_NAMES = ("stimme", "votum", "vote")
BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


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


_VARIABLES: dict[str, frozenset[str]] = {}


def vote_variables(definition: ProcessDefinition) -> frozenset[str]:
    """The data variables that hold individual votes (cached per definition version)."""
    cached = _VARIABLES.get(definition.content_hash)
    if cached is None:
        forms = set(vote_fields(definition))
        names: set[str] = set()
        for filename, xml in definition.sources.items():
            if filename.endswith(".bpmn") and forms:
                names |= _variables_in(parse_xml(xml.encode("utf-8"), filename).getroot(), forms)
        cached = _VARIABLES[definition.content_hash] = frozenset(names)
    return cached


def _variables_in(root: etree._Element, forms: set[str]) -> set[str]:
    names: set[str] = set()
    for task in root.iter(f"{BPMN}userTask"):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}
        if props.get("formKey") not in forms:
            continue
        names.add(props.get("resultVariable") or "")
        node: etree._Element | None = task
        while node is not None:  # the task's own multi-instance and those of enclosing subprocesses
            loop = node.find(f"{BPMN}multiInstanceLoopCharacteristics")
            if loop is not None:
                names |= {(e.text or "").strip() for e in loop.iter(f"{BPMN}loopDataOutputRef")}
                names |= {e.get("id") or "" for e in loop.iter(f"{BPMN}outputDataItem")}
            node = node.getparent()
    return names - {""}


def without_votes(data: Mapping[str, Any], variables: Iterable[str]) -> dict[str, Any]:
    """The data without the variables that hold individual votes."""
    hidden = set(variables)
    return {k: v for k, v in data.items() if k not in hidden}


def vote_task_ids(session: Session, inst: ProcessInstance) -> set[int]:
    """The task rows of an instance that are votes (their events carry an individual vote)."""
    forms = sorted(vote_fields(inst.definition))
    if not forms:
        return set()
    return set(session.scalars(select(TaskRow.id).where(TaskRow.instance_id == inst.id,
                                                        TaskRow.form_key.in_(forms))))


def visible_tallies(session: Session, inst: ProcessInstance, actor: authz.Actor) -> list[VoteTally]:
    """The tallies of an instance the actor may see (`authz.may_see_tally`), with voters only for
    those who may see votes by name. A vote is closed when none of its tasks is open any more."""
    fields = vote_fields(inst.definition)
    if not fields or not authz.may_see_whole_round(actor):
        return []
    rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == inst.id,
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
