"""10,000 rounds spread over every phase, copied from real states of a round played through the engine.

`Snapshots.take` (the round driver's `on_phase`) copies the round at each phase: its instance row and
those of its child instances (each Gemeinde's Abfrage, each posting, each committee member's vote),
each with its task rows. `fill` bulk-inserts rounds cycling through those copies, every instance of a
copy under a new id (its `parent_id` and `root_id` pointing into the copy), with their task rows, and
newer rounds first in time so that the round list's sort has work to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import (
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    case,
    func,
    insert,
    literal,
    select,
    text,
    true,
)
from sqlalchemy.engine import Connection

from workflows.engine import children
from workflows.storage.db import Database
from workflows.storage.models import Base, ProcessInstance, TaskRow, utcnow

_INSTANCE_SKIP = ("id", "business_key", "created_at", "updated_at")
_TASK_SKIP = ("id", "instance_id")


@dataclass
class Part:
    """One instance of a round as it was: its old id, row (without id) and task rows."""

    old_id: int
    instance: dict[str, Any]
    tasks: list[dict[str, Any]]


@dataclass
class Snapshot:
    phase: str
    parts: list[Part]  # the round first, then its children in the order they were made

    @property
    def open_tasks(self) -> int:
        return sum(1 for p in self.parts for t in p.tasks if t["status"] == "ready")


@dataclass
class Snapshots:
    db: Database
    taken: list[Snapshot] = field(default_factory=list)

    def take(self, phase: str, instance_id: int) -> None:
        with self.db.read() as session:
            family = session.scalars(select(ProcessInstance).where(ProcessInstance.id.in_(
                children.family_ids(instance_id))).order_by(ProcessInstance.id)).all()
            tasks: dict[int, list[dict[str, Any]]] = {}
            for r in session.scalars(select(TaskRow).where(TaskRow.instance_id.in_(children.family_ids(instance_id)))
                                     .order_by(TaskRow.id)):
                tasks.setdefault(r.instance_id, []).append(
                    {c.name: getattr(r, c.key) for c in TaskRow.__table__.columns if c.name not in _TASK_SKIP})
            parts = [Part(inst.id, {c.name: getattr(inst, c.key) for c in ProcessInstance.__table__.columns
                                    if c.name not in _INSTANCE_SKIP} | {"business_key": inst.business_key},
                          tasks.get(inst.id, [])) for inst in family]
        assert parts and parts[0].old_id == instance_id, "the round comes first"
        self.taken.append(Snapshot(phase, parts))


def _copy(snap: Snapshot, first_id: int, name: str, created: Any, now: Any) -> tuple[list[dict[str, Any]],
                                                                                    list[dict[str, Any]]]:
    """The instance rows and task rows of one copy of `snap`, its instances numbered from `first_id`."""
    new_id = {part.old_id: first_id + n for n, part in enumerate(snap.parts)}
    instances, tasks = [], []
    old_name = snap.parts[0].instance["business_key"]
    for part in snap.parts:
        key = part.instance["business_key"]  # a part's name begins with its round's (`children.start`)
        row = dict(part.instance, id=new_id[part.old_id], created_at=created, updated_at=now,
                   parent_id=new_id.get(part.instance["parent_id"]), root_id=new_id.get(part.instance["root_id"]),
                   business_key=(name + key[len(old_name):])[:200] if key.startswith(old_name) else key)
        instances.append(row)
        tasks += [dict(t, instance_id=row["id"]) for t in part.tasks]
    return instances, tasks


def fill(db: Database, snapshots: list[Snapshot], rounds: int, batch: int = 200) -> dict[str, int]:
    """Insert `rounds` rounds cycling through the snapshots; returns counts of what was written.

    The first copy of each snapshot is inserted from Python; every further copy is made by the database
    from that one (`INSERT ... SELECT` with a table of id offsets, names and times: one statement per
    snapshot, table and batch of copies), so the rows, their states (several
    GiB in all) included, never travel through Python again; then the planner's statistics.
    """
    now = utcnow()
    written = {"rounds": 0, "instances": 0, "tasks": 0, "open_tasks": 0, "state_bytes": 0}
    with db.read() as session:
        next_id = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    first_id = next_id
    templates: list[tuple[int, int, str]] = []  # snapshot -> (first id, last id, name) of its first copy
    firsts: tuple[list[dict[str, Any]], list[dict[str, Any]]] = ([], [])  # those first copies' rows
    copies: dict[int, list[dict[str, Any]]] = {}  # snapshot -> the copies to make from its first one
    for n in range(rounds):
        snap = snapshots[n % len(snapshots)]
        name, created = f"Runde {n:05d} ({snap.phase})", now - timedelta(minutes=rounds - n)
        if n < len(snapshots):
            instances, tasks = _copy(snap, next_id, name, created, now)
            firsts[0].extend(instances)  # parents before their children (ids ascending)
            firsts[1].extend(tasks)
            templates.append((next_id, next_id + len(instances) - 1, name))
        else:
            first, _, _ = templates[n % len(snapshots)]
            copies.setdefault(n % len(snapshots), []).append({"off": next_id - first, "name": name, "created": created})
        next_id += len(snap.parts)
        written["rounds"] += 1
        written["instances"] += len(snap.parts)
        written["tasks"] += sum(len(p.tasks) for p in snap.parts)
        written["open_tasks"] += snap.open_tasks
        written["state_bytes"] += sum(len(p.instance["state"]) for p in snap.parts)
    # PostgreSQL: indexes made once after the load. SQLite keeps them: its index rows come in id order
    # (cheap), while making one again reads every row's state (columns behind it are on overflow pages)
    indexes = [] if db.is_sqlite else [index for table in (ProcessInstance, TaskRow)
                                          for index in Base.metadata.tables[table.__tablename__].indexes]
    with db.write() as session:
        for index in indexes:
            index.drop(session.connection())
        session.execute(insert(ProcessInstance), firsts[0])
        session.execute(insert(TaskRow), firsts[1])
        _COPY.create(session.connection())
    for s, wanted in copies.items():
        for start in range(0, len(wanted), batch):  # in batches: SQLite's WAL is checkpointed as it goes
            with db.write() as session:
                if not db.is_sqlite:  # a bulk load: no need to wait for the WAL flush
                    session.execute(text("SET LOCAL synchronous_commit = off"))
                _insert_copies(session.connection(), templates[s], wanted[start:start + batch], now)
    with db.write() as session:
        _COPY.drop(session.connection())
        for index in indexes:
            index.create(session.connection())
    if not db.is_sqlite:  # explicit ids: move the sequence past them; then what autovacuum does after a bulk
        # insert: statistics, and the visibility map that lets index-only scans skip the rows (the states
        # are in the TOAST table, which autovacuum treats on its own)
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                                 "(SELECT max(id) FROM process_instance))")
            for table in ("process_instance", "task"):
                conn.exec_driver_sql(f"VACUUM (ANALYZE, PROCESS_TOAST false) {table}")
    db.optimize()  # what the ticker does regularly on SQLite
    with db.read() as session:  # what is there, not what was meant to be
        copied = select(ProcessInstance.id).where(ProcessInstance.id >= first_id)
        assert session.scalar(select(func.count()).select_from(copied.subquery())) == written["instances"]
        assert session.scalar(select(func.count()).select_from(TaskRow)
                              .where(TaskRow.instance_id.in_(copied))) == written["tasks"]
    return written


_COPY = Table("bench_copy", MetaData(), Column("off", Integer), Column("name", String(200)),
               Column("created", DateTime))


def _insert_copies(conn: Connection, template: tuple[int, int, str], wanted: list[dict[str, Any]], now: Any) -> None:
    """Copies of one template round (its instances `first`..`last`), by the database, one statement per table."""
    first, last, old_name = template
    pi, task, copy = ProcessInstance.__table__, TaskRow.__table__, _COPY
    renamed = case((func.substr(pi.c.business_key, 1, len(old_name)) == old_name,
                    copy.c.name + func.substr(pi.c.business_key, len(old_name) + 1)), else_=pi.c.business_key)
    shifted = {"id": pi.c.id + copy.c.off, "parent_id": pi.c.parent_id + copy.c.off,
               "root_id": pi.c.root_id + copy.c.off, "business_key": renamed, "created_at": copy.c.created,
               "updated_at": literal(now, DateTime)}
    instance_columns = [c.name for c in pi.columns]
    task_columns = [c.name for c in task.columns if c.name != "id"]
    conn.execute(insert(copy), wanted)
    conn.execute(insert(pi).from_select(instance_columns, select(
        *(shifted.get(c, pi.c[c]) for c in instance_columns)).select_from(pi.join(copy, true()))
        .where(pi.c.id.between(first, last)).order_by(copy.c.off, pi.c.id)))
    conn.execute(insert(task).from_select(task_columns, select(
        *(task.c.instance_id + copy.c.off if c == "instance_id" else task.c[c] for c in task_columns))
        .select_from(task.join(copy, true())).where(task.c.instance_id.between(first, last))
        .order_by(copy.c.off, task.c.id)))
    conn.execute(copy.delete())
