"""10,000 rounds spread over every phase, copied from real states of a round played through the engine.

`Snapshots.take` (the round driver's `on_phase`) copies the instance row and its task rows at each
phase; `fill` bulk-inserts rounds cycling through those copies, with their task rows, and newer
rounds first in time so that the round list's sort has work to do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from sqlalchemy import func, insert, select, text

from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow, utcnow

_INSTANCE_COLUMNS = ("definition_id", "status", "state", "version", "next_timer_at", "waiting_messages", "summary",
                     "created_by", "updated_by")
_TASK_SKIP = ("id", "instance_id")


@dataclass
class Snapshot:
    phase: str
    instance: dict[str, Any]
    tasks: list[dict[str, Any]]


@dataclass
class Snapshots:
    db: Database
    taken: list[Snapshot] = field(default_factory=list)

    def take(self, phase: str, instance_id: int) -> None:
        with self.db.read() as session:
            inst = session.get(ProcessInstance, instance_id)
            assert inst is not None
            rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id)).all()
            self.taken.append(Snapshot(
                phase, {c: getattr(inst, c) for c in _INSTANCE_COLUMNS},
                [{c.name: getattr(r, c.key) for c in TaskRow.__table__.columns if c.name not in _TASK_SKIP}
                 for r in rows]))


def fill(db: Database, snapshots: list[Snapshot], rounds: int, batch: int = 100) -> dict[str, int]:
    """Insert `rounds` rounds cycling through the snapshots; returns counts of what was written."""
    now = utcnow()
    written = {"rounds": 0, "tasks": 0, "open_tasks": 0, "state_bytes": 0}
    with db.read() as session:
        first_id = (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1
    for start in range(0, rounds, batch):
        numbers = range(start, min(start + batch, rounds))
        chosen = [(first_id + n, snapshots[n % len(snapshots)]) for n in numbers]
        instances = [dict(snap.instance, id=iid, business_key=f"Runde {n:05d} ({snap.phase})", updated_at=now,
                          created_at=now - timedelta(minutes=rounds - n))
                     for n, (iid, snap) in zip(numbers, chosen, strict=True)]
        tasks = [dict(task, instance_id=iid) for iid, snap in chosen for task in snap.tasks]
        with db.write() as session:
            if not db.is_sqlite:  # a bulk load: no need to wait for each batch's WAL flush
                session.execute(text("SET LOCAL synchronous_commit = off"))
            session.execute(insert(ProcessInstance), instances)
            if tasks:
                session.execute(insert(TaskRow), tasks)
        written["rounds"] += len(instances)
        written["tasks"] += len(tasks)
        written["open_tasks"] += sum(1 for t in tasks if t["status"] == "ready")
        written["state_bytes"] += sum(len(snap.instance["state"]) for _, snap in chosen)
    if not db.is_sqlite:  # explicit ids: move the sequence past them; statistics as autovacuum would make them
        with db.engine.begin() as conn:
            conn.exec_driver_sql("SELECT setval(pg_get_serial_sequence('process_instance', 'id'), "
                                 "(SELECT max(id) FROM process_instance))")
            conn.exec_driver_sql("ANALYZE process_instance")
            conn.exec_driver_sql("ANALYZE task")
    db.optimize()  # what the ticker does regularly on SQLite
    return written
