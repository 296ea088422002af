"""SQLite's planner statistics (`Database.optimize`, the ticker's): in full, made again when a table grows.

A sampled ANALYZE read only the first index entries; when those share their leading values (thousands of
finished staff tasks, as in any database that has run for a while), every index prefix looked equally
selective and at 10,000 rounds a Gemeinde's inbox scanned every open task of the Gemeinde lane.
"""

from __future__ import annotations

from sqlalchemy import func, insert, literal, select

from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import start_mini
from workflows.storage.db import Database
from workflows.storage.models import TaskRow


def _finished_staff_tasks(db: Database, instance_id: int, count: int) -> None:
    """`count` completed tasks of the Sachbearbeitung, copies of one real row."""
    task = TaskRow.__table__
    columns = [c.name for c in task.columns if c.name != "id"]
    override = {"status": literal("completed"), "lane": literal("Sachbearbeitung"), "assignee_gemeinde": literal(None)}
    source = select(*(override.get(c, task.c[c]) for c in columns)).where(task.c.instance_id == instance_id).limit(1)
    with db.write() as session:
        for _ in range(count):
            session.execute(insert(task).from_select(columns, source))


def test_statistics_are_made_again_on_growth_only(sqlite_db: Database) -> None:
    deploy_dir(sqlite_db, FIXTURES / "mini")
    instance_id = start_mini(sqlite_db)
    _finished_staff_tasks(sqlite_db, instance_id, 200)

    def analysed() -> int:
        with sqlite_db.engine.connect() as conn:
            return int(conn.exec_driver_sql("SELECT max(CAST(stat AS INTEGER)) FROM sqlite_stat1 "
                                            "WHERE tbl = 'task'").scalar() or 0)

    sqlite_db.optimize()
    first = analysed()
    with sqlite_db.read() as session:
        assert first == session.scalar(select(func.count()).select_from(TaskRow))  # in full, not a sample
    _finished_staff_tasks(sqlite_db, instance_id, 10)  # less than a quarter more: the statistics stand
    sqlite_db.optimize()
    assert analysed() == first
    _finished_staff_tasks(sqlite_db, instance_id, first)  # twice as many: made again
    sqlite_db.optimize()
    assert analysed() == 2 * first + 10
