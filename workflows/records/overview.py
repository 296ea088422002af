"""The figures of a round's overview, and the overdue tasks: read from the task index and the round's data.

Generic figures, for every process: the Gemeinden's answers over time against their deadline, and
the open and overdue tasks per role. The programme adds its own from the round's data
(`register_figures`): positions per team, applied against granted funding. The overview shows how
many others answered, so it is for staff (`authz.may_see_whole_round`); a Gemeinde sees its own
overdue tasks only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows import clock
from workflows.engine import children
from workflows.errors import Forbidden
from workflows.identity import authz
from workflows.inbox.instances import get_instance
from workflows.inbox.shapes import TaskSummary, task_summary
from workflows.records.tables import as_date
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

Data = Mapping[str, Any]


@dataclass
class BarChart:
    """Groups of bars: one value per series in each group (`unit`: "VZÄ", "€" or "" for counts)."""

    key: str
    title: str
    description: str
    series: list[str]
    groups: list[tuple[str, list[float]]]
    unit: str = ""


@dataclass
class TimeChart:
    """A cumulative count over days, against a total and a deadline."""

    key: str
    title: str
    description: str
    points: list[tuple[dt.date, int]]
    total: int
    deadline: dt.date | None
    start: dt.date | None = None


@dataclass
class RoundOverview:
    instance_id: int
    business_key: str
    charts: list[BarChart | TimeChart] = field(default_factory=list)


FigureBuilder = Callable[[Data], list[BarChart]]  # from the round's (visible) data
_PROGRAMME: dict[str, FigureBuilder] = {}


def register_figures(process_key: str, builder: FigureBuilder) -> None:
    """The programme's figures of a process, from the round's (visible) data."""
    _PROGRAMME[process_key] = builder


def _answers_over_time(session: Session, inst: ProcessInstance) -> TimeChart | None:
    rows = session.execute(select(TaskRow.element_id, TaskRow.element_name, TaskRow.status, TaskRow.completed_at,
                                  TaskRow.due_at, TaskRow.created_at)
                           .where(TaskRow.instance_id.in_(children.family_ids(inst.id)),
                                  TaskRow.assignee_gemeinde.is_not(None)).order_by(TaskRow.id)).all()
    if not rows:
        return None
    first = rows[0].element_id
    rows = [r for r in rows if r.element_id == first]  # the Gemeinden's first question (the Rückmeldung)
    done = sorted(day for r in rows if r.status == "completed" and (day := as_date(r.completed_at)))
    points: list[tuple[dt.date, int]] = []
    for count, day in enumerate(done, start=1):
        if points and points[-1][0] == day:
            points[-1] = (day, count)
        else:
            points.append((day, count))
    deadlines = [as_date(r.due_at) for r in rows if r.due_at]
    deadline = max(d for d in deadlines if d) if any(deadlines) else None
    start = min(as_date(r.created_at) or dt.date.max for r in rows)
    where = f", Frist {deadline:%d.%m.%Y}" if deadline else ""
    return TimeChart("rueckmeldungen", f"Eingegangene Antworten: {rows[0].element_name}",
                     f"{len(done)} von {len(rows)} Gemeinden haben geantwortet{where}.", points, len(rows),
                     deadline, start)


def _tasks_per_role(session: Session, inst: ProcessInstance) -> BarChart:
    now = clock.now()  # the process clock: on the Demo-Uhr, overdue by its day
    counts = session.execute(
        select(TaskRow.lane, func.count(), func.count().filter(TaskRow.due_at < now))
        .where(TaskRow.instance_id.in_(children.family_ids(inst.id)), TaskRow.status == "ready")
        .group_by(TaskRow.lane).order_by(TaskRow.lane)).all()
    groups = [(lane or "ohne Rolle", [float(n), float(overdue)]) for lane, n, overdue in counts]
    total, late = sum(int(g[1][0]) for g in groups), sum(int(g[1][1]) for g in groups)
    noun = "offene Aufgabe" if total == 1 else "offene Aufgaben"
    return BarChart("aufgaben_je_rolle", "Offene und überfällige Aufgaben je Rolle",
                    f"{total} {noun}, davon {late} überfällig.", ["offen", "überfällig"], groups)


def round_overview(db: Database, instance_id: int, actor_name: str) -> RoundOverview:
    """The overview of a round: for staff; a Gemeinde is refused (it would see how many others answered)."""
    detail = get_instance(db, instance_id, actor_name)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        if not authz.may_see_whole_round(actor):
            raise Forbidden("Die Übersicht eines Vorgangs sieht nur die Verwaltung.")
        inst = authz.visible_instance(session, children.round_id(
            authz.visible_instance(session, instance_id, actor)), actor)
        overview = RoundOverview(inst.id, inst.business_key)
        answers = _answers_over_time(session, inst)
        if answers is not None:
            overview.charts.append(answers)
        builder = _PROGRAMME.get(inst.definition.key)
        if builder is not None and detail.data:
            overview.charts += builder(detail.data)
        overview.charts.append(_tasks_per_role(session, inst))
        return overview


@dataclass
class OverdueTask:
    task: TaskSummary
    round_id: int
    round_key: str
    may_open: bool  # the actor may open the task itself (else: its round)
    days_overdue: int


def overdue_tasks(db: Database, actor_name: str, *, limit: int = 500) -> tuple[list[OverdueTask], int]:
    """Open tasks past their due date, oldest due first: staff see every round's, a Gemeinde its own."""
    now = clock.now()  # the process clock: on the Demo-Uhr, overdue by its day
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = [TaskRow.status == "ready", TaskRow.due_at.is_not(None), TaskRow.due_at < now,
                   authz.round_tasks_clause(actor), ProcessInstance.status == "running"]
        total = session.scalar(select(func.count()).select_from(TaskRow).join(ProcessInstance)
                               .where(*filters)) or 0
        rows = session.execute(select(TaskRow, ProcessInstance.business_key, ProcessInstance.root_id)
                               .join(ProcessInstance).where(*filters)
                               .order_by(TaskRow.due_at, TaskRow.id).limit(limit)).all()
        roots = {r.root_id for r in rows if r.root_id}
        keys = dict(session.execute(select(ProcessInstance.id, ProcessInstance.business_key)
                                    .where(ProcessInstance.id.in_(roots))).all()) if roots else {}
        result = []
        for row, key, root in rows:
            round_id = root or row.instance_id
            due = row.due_at
            assert due is not None
            result.append(OverdueTask(task_summary(row, key), round_id, keys.get(round_id, key),
                                      authz.may_see_task(actor, row), max(0, (now - due).days)))
        return result, total
