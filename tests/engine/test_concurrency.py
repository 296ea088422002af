"""Two people complete the same task at the same moment: exactly one wins, every time."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from sqlalchemy import func, select

from tests.engine.helpers import ready_rows, start_mini
from workflows import engine
from workflows.errors import Conflict, TaskAlreadyCompleted
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance, TaskRow

ROUNDS = 12


def _race(db: Database, calls: list[tuple[int, dict[str, object], str]]) -> list[object]:
    """Run the completions in parallel threads released by one barrier; return results or errors."""
    barrier = threading.Barrier(len(calls))
    results: list[object] = [None] * len(calls)

    def worker(index: int, task_id: int, data: dict[str, object], user: str) -> None:
        barrier.wait()
        try:
            results[index] = engine.complete_task(db, task_id, data, user)
        except Exception as exc:  # collected and asserted below
            results[index] = exc

    threads = [threading.Thread(target=worker, args=(i, *call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_same_task_twice_at_once_exactly_one_wins(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    rows = [r for r in ready_rows(mini_db, instance_id) if r.assignee_gemeinde][:ROUNDS]
    from tests.engine.helpers import gemeinde_user

    for row in rows:
        user = gemeinde_user(mini_db, row.assignee_gemeinde or "")
        results = _race(mini_db, [(row.id, {"entscheidung": "uebertragen", "anzahl": 1}, user),
                                  (row.id, {"entscheidung": "selbst", "anzahl": 2}, user)])
        winners = [r for r in results if isinstance(r, engine.StepResult)]
        losers = [r for r in results if isinstance(r, Exception)]
        assert len(winners) == 1, results
        assert len(losers) == 1 and isinstance(losers[0], TaskAlreadyCompleted), losers
        assert "bereits erledigt von" in losers[0].message
    with mini_db.read() as session:
        completed = session.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.status == "completed"))
        events = session.scalar(select(func.count()).select_from(Event).where(Event.kind == "task_completed"))
        version = session.get(ProcessInstance, instance_id).version  # type: ignore[union-attr]
    assert completed == ROUNDS and events == ROUNDS
    assert version == 1 + ROUNDS


def test_different_tasks_of_one_instance_at_once_never_lose_an_answer(mini_db: Database) -> None:
    """Two Gemeinden answer at the same moment: one may have to retry, but nothing is lost or doubled."""
    instance_id = start_mini(mini_db)
    from tests.engine.helpers import gemeinde_user

    rows = [r for r in ready_rows(mini_db, instance_id)][:8]
    done = 0
    for a, b in zip(rows[::2], rows[1::2], strict=True):
        calls = [(r.id, {"entscheidung": "uebertragen", "anzahl": 1}, gemeinde_user(mini_db, r.assignee_gemeinde or ""))
                 for r in (a, b)]
        for _attempt in range(3):
            results = _race(mini_db, calls)
            assert all(isinstance(r, engine.StepResult | Conflict) for r in results), results
            calls = [c for c, r in zip(calls, results, strict=True) if isinstance(r, Conflict)
                     and not isinstance(r, TaskAlreadyCompleted)]
            if not calls:
                break
        done += 2
        assert not calls
    with mini_db.read() as session:
        assert session.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.status == "completed")) == done


def test_two_tickers_fire_a_timer_once(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    later = datetime(2030, 3, 1, tzinfo=UTC)
    barrier = threading.Barrier(2)
    fired: list[int] = []

    def tick() -> None:
        barrier.wait()
        fired.append(engine.fire_due_timers(mini_db, now=later))

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert sorted(fired) == [0, 1]
    with mini_db.read() as session:
        assert session.scalars(select(Event.kind).where(Event.instance_id == instance_id,
                                                        Event.kind == "timer_fired")).all() == ["timer_fired"]
