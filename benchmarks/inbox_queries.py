"""The read side at scale: inbox, round list and one round's page, timed (min/p50/p95) and explained.

`explain` runs a read-model call once while catching its SQL, then asks the database how it runs
the paging statements (those with ORDER BY ... LIMIT): SQLite `EXPLAIN QUERY PLAN`, PostgreSQL
`EXPLAIN`, with the same parameters.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import event, select

from workflows import inbox
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, TaskRow, User

GEMEINDE_USER = "offenburg"
STAFF_USER = "sachbearbeitung"


def timed(fn: Callable[[], Any], repeat: int) -> dict[str, float]:
    """min/p50/p95 in ms of `repeat` calls, after one warm-up call."""
    fn()
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t0) * 1000)
    samples.sort()
    return {"min": samples[0], "p50": statistics.median(samples),
            "p95": samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]}


def queries(db: Database) -> dict[str, Callable[[], Any]]:
    """The questions the pages ask, each for the user who asks it most."""
    with db.read() as session:
        ags = session.scalar(select(Gemeinde.ags).join(User, User.gemeinde_id == Gemeinde.id)
                             .where(User.username == GEMEINDE_USER))
        abfrage_round = session.scalar(select(TaskRow.instance_id).where(
            TaskRow.assignee_gemeinde == ags, TaskRow.status == "ready").order_by(TaskRow.instance_id.desc()))
        staff_round = session.scalar(select(TaskRow.instance_id).where(
            TaskRow.lane == "Sachbearbeitung", TaskRow.status == "ready").order_by(TaskRow.instance_id.desc()))
    assert abfrage_round and staff_round
    return {
        "inbox Gemeinde, page 1": lambda: inbox.list_tasks(db, GEMEINDE_USER),
        "inbox Gemeinde, one round": lambda: inbox.list_tasks(db, GEMEINDE_USER, instance_id=abfrage_round),
        "inbox Sachbearbeitung, page 1": lambda: inbox.list_tasks(db, STAFF_USER),
        "inbox Sachbearbeitung, one round": lambda: inbox.list_tasks(db, STAFF_USER, instance_id=staff_round),
        "round list Sachbearbeitung": lambda: inbox.list_instances(db, STAFF_USER),
        "round list Gemeinde": lambda: inbox.list_instances(db, GEMEINDE_USER),
        "round page (Abfrage)": lambda: inbox.get_instance(db, abfrage_round, STAFF_USER),
    }


def visible_counts(db: Database) -> dict[str, int]:
    return {user: inbox.list_tasks(db, user).total for user in (GEMEINDE_USER, STAFF_USER)}


def explain(db: Database, fn: Callable[[], Any]) -> list[str]:
    """The plans of the paging statements `fn` runs."""
    caught: list[tuple[str, Any]] = []

    def catch(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, _many: bool) -> None:
        if "ORDER BY" in statement and "LIMIT" in statement:
            caught.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", catch)
    try:
        fn()
    finally:
        event.remove(db.engine, "before_cursor_execute", catch)
    prefix = "EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN "
    plans = []
    with db.engine.connect() as conn:
        for statement, parameters in caught:
            rows = conn.exec_driver_sql(prefix + statement, parameters).all()
            plans.append("\n".join(str(r[-1]) for r in rows))
    return plans
