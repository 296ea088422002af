"""What of a round can be exported, as tables, for exactly what the person may see.

Generic tables, for every process: the answers of the Gemeinden (each form a Gemeinde filled in,
one row per Gemeinde, the columns from the form's schema), the round's tasks, and the vote (the
tally for whoever may see it, the votes by name only for the roles of `einzelstimmen`). The
programme adds its own tables from the round's data (`register_tables`, installed by
`workflows.wiring`): the allocation, the postings. The data is the round's data as the read models
show it (`visible_data`), so who may export a table is who may see it: a Gemeinde exports its own
answer and tasks, never another's; a data class hides its form's columns from whoever is not listed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import children
from workflows.errors import NotFound
from workflows.identity import authz
from workflows.inbox.classified import Classification, classified_forms, seer
from workflows.inbox.instances import get_instance
from workflows.inbox.votes import visible_tallies
from workflows.records.tables import Column, Table
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, ProcessInstance, TaskRow

Data = Mapping[str, Any]
TableBuilder = Callable[[Data, Data], list[Table]]  # (round data, form schemas by key)
_PROGRAMME: dict[str, TableBuilder] = {}

TASK_STATUS = {"ready": "offen", "completed": "erledigt", "cancelled": "entfallen"}
ANSWER_STATUS = {"ready": "offen", "completed": "beantwortet", "cancelled": "keine Rückmeldung"}


def register_tables(process_key: str, builder: TableBuilder) -> None:
    """The programme's tables of a process, built from the round's (visible) data."""
    _PROGRAMME[process_key] = builder


def _kind(prop: Mapping[str, Any]) -> str | None:
    types = prop.get("type")
    if prop.get("readOnly") or types in ("array", "object"):
        return None
    if types == "integer":
        return "integer"
    if types == "number":
        return "money" if prop.get("x-widget") == "money" else "number"
    if prop.get("format") == "date":
        return "date"
    return "text"


def _form_columns(schema: Mapping[str, Any]) -> list[tuple[str, Column, dict[str, str]]]:
    """(property, column, enum labels) for the top-level scalar fields of a form, in its order."""
    result = []
    for name, prop in (schema.get("properties") or {}).items():
        kind = _kind(prop) if isinstance(prop, dict) else None
        if kind is None:
            continue
        options = [str(v) for v in prop.get("enum", [])]
        labels = dict(zip(options, prop.get("x-enumLabels", options), strict=False))
        result.append((name, Column(str(prop.get("title") or name), kind), labels))
    return result


def _visible_columns(schema: Mapping[str, Any], classification: Classification | None,
                     actor: authz.Actor) -> list[tuple[str, Column, dict[str, str]]]:
    """The form's columns without those of a class the actor may not see (none at all for a whole-form class)."""
    hidden = classification.hidden_fields(seer(actor)) if classification is not None else set()
    return [] if hidden is None else [f for f in _form_columns(schema) if f[0] not in hidden]


def _answer_tables(session: Session, inst: ProcessInstance, actor: authz.Actor) -> list[Table]:
    rows = session.scalars(select(TaskRow).where(
        TaskRow.instance_id.in_(children.family_ids(inst.id)), TaskRow.assignee_gemeinde.is_not(None),
        authz.round_tasks_clause(actor)).order_by(TaskRow.id)).all()
    names = dict(session.execute(select(Gemeinde.ags, Gemeinde.name).where(
        Gemeinde.ags.in_({r.assignee_gemeinde for r in rows}))).all())
    classes = classified_forms(inst.definition)
    by_element: dict[str, list[TaskRow]] = {}
    for row in rows:
        by_element.setdefault(row.element_id, []).append(row)
    tables = []
    for index, (element_id, element_rows) in enumerate(by_element.items()):
        form_key = element_rows[0].form_key or ""
        fields = _visible_columns(inst.definition.forms.get(form_key, {}), classes.get(form_key), actor)
        columns = [Column("Gemeinde", width=32), Column("AGS", width=11), Column("Status", width=18),
                   Column("Beantwortet am", "datetime", 18), Column("durch")] + [c for _, c, _ in fields]
        table = Table("rueckmeldungen" if index == 0 else f"gemeinden_{element_id}",
                      element_rows[0].element_name or "Rückmeldungen", columns)
        for row in sorted(element_rows, key=lambda r: names.get(r.assignee_gemeinde or "", "")):
            data = row.data if row.status == "completed" else {}
            table.rows.append([names.get(row.assignee_gemeinde or "", row.assignee_gemeinde), row.assignee_gemeinde,
                               ANSWER_STATUS.get(row.status, row.status), row.completed_at, row.completed_by]
                              + [_cell(data or {}, name, labels) for name, _, labels in fields])
        tables.append(table)
    return tables


def _cell(data: Data, name: str, labels: dict[str, str]) -> Any:
    value = data.get(name)
    return labels.get(str(value), value) if value is not None and labels else value


def _task_table(session: Session, inst: ProcessInstance, actor: authz.Actor) -> Table:
    table = Table("aufgaben", "Aufgaben", [
        Column("Aufgabe", width=40), Column("Rolle", width=20), Column("Status"), Column("Fällig am", "date"),
        Column("Erstellt am", "datetime", 18), Column("Erledigt am", "datetime", 18), Column("Erledigt durch")])
    rows = session.scalars(select(TaskRow).where(
        TaskRow.instance_id.in_(children.family_ids(inst.id)), authz.round_tasks_clause(actor))
        .order_by(TaskRow.id))
    for r in rows:
        table.rows.append([r.title, r.lane, TASK_STATUS.get(r.status, r.status), r.due_at, r.created_at,
                           r.completed_at, r.completed_by])
    return table


def _vote_tables(session: Session, inst: ProcessInstance, actor: authz.Actor) -> list[Table]:
    tables = []
    for tally in visible_tallies(session, inst, actor)[:1]:  # a round has one vote (the committee's)
        table = Table("abstimmung", f"Abstimmung: {tally.element_name}"[:80],
                      [Column("Stimme", width=24), Column("Anzahl", "integer")])
        table.rows = [[tally.labels.get(value, value), count] for value, count in tally.counts.items()]
        table.rows.append(["noch offen", tally.open])
        tables.append(table)
        if tally.voters:  # only for who may see votes by name (`authz.may_see_votes_by_name`)
            tables.append(Table("einzelstimmen", "Einzelstimmen", [Column("Mitglied", width=32), Column("Stimme")],
                                [[who, what] for who, what in tally.voters]))
    return tables


def round_tables(db: Database, instance_id: int, actor_name: str) -> list[Table]:
    """Every table of a round the actor may export (`NotFound` for a round they may not see)."""
    detail = get_instance(db, instance_id, actor_name)  # the round's data as the actor may see it
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        if inst.root_id is not None:
            inst = authz.visible_instance(session, inst.root_id, actor)
        tables = _answer_tables(session, inst, actor)
        builder = _PROGRAMME.get(inst.definition.key)
        if builder is not None and authz.may_see_whole_round(actor) and detail.data:
            tables += builder(detail.data, inst.definition.forms)
        tables += _vote_tables(session, inst, actor)
        tables.append(_task_table(session, inst, actor))
        return tables


def round_table(db: Database, instance_id: int, actor_name: str, key: str) -> Table:
    for table in round_tables(db, instance_id, actor_name):
        if table.key == key:
            return table
    raise NotFound(f"Die Tabelle „{key}“ gibt es für diesen Vorgang nicht, oder Sie dürfen sie nicht sehen.")
