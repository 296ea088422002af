"""Every user step of one round through `engine.complete_task`, each paired with the bare floor.

Per step, in this order: read the state before the step (untimed), complete it through the
engine (timed: load, authorize, validate, complete, engine steps, save, task index, audit,
commit), then run the same step with SpiffWorkflow alone on the state as it was (timed). The two
run back to back, so a noisy moment hits both. `complete_ms` is the engine call minus the time
spent in `generate_document` (rendering and storing PDFs, reported as `pdf_ms`); `step_ms` is
the whole call as the person waits for it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select

from benchmarks import bare
from benchmarks.round_driver import OnPhase, RoundDriver
from benchmarks.services_tap import Replay, Tap
from workflows import engine
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow


@dataclass
class StepFigure:
    element_id: str
    lane: str | None
    step_ms: float
    complete_ms: float
    bare_ms: float | None
    state_bytes: int
    pdf_ms: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class PairedSteps:
    """A `Complete` for the round driver that measures each step; figures collect in `steps`."""

    def __init__(self, db: Database, tap: Tap, with_floor: bool = True) -> None:
        self.db, self.tap, self.with_floor = db, tap, with_floor
        self.steps: list[StepFigure] = []

    def __call__(self, task_id: int, data: dict[str, Any], user: str) -> None:
        with self.db.read() as session:
            row = session.get(TaskRow, task_id)
            assert row is not None
            instance = session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            element, lane, spiff_id = row.element_id, row.lane, row.spiff_task_id
            stored = bare.library_json(instance.state, instance.definition.spec_json) if self.with_floor else ""
        self.tap.reset()
        t0 = time.perf_counter()
        engine.complete_task(self.db, task_id, data, user)
        step = time.perf_counter() - t0
        calls, pdf = list(self.tap.calls), self.tap.pdf_seconds()
        with self.db.read() as session:
            values = session.scalar(select(TaskRow.data).where(TaskRow.id == task_id)) or {}
            size = session.scalar(select(func.length(ProcessInstance.state))
                                  .where(ProcessInstance.id == row.instance_id)) or 0
        floor = bare.bare_step(stored, spiff_id, values, Replay(calls)) if self.with_floor else None
        self.steps.append(StepFigure(
            element, lane, step * 1000, (step - sum(pdf.values())) * 1000,
            floor * 1000 if floor is not None else None, int(size), {k: v * 1000 for k, v in pdf.items()}))


def whole_round(db: Database, tap: Tap, business_key: str, on_phase: OnPhase | None = None) -> list[StepFigure]:
    """Every user step of one whole round of the demo Landkreis, paired with the floor."""
    paired = PairedSteps(db, tap)
    RoundDriver(db, paired, business_key, on_phase=on_phase).play()
    return paired.steps


def gemeinde_answers(db: Database, tap: Tap, landkreis: str, answers: int) -> list[float]:
    """complete_ms of the first `answers` Gemeinde answers of a new round of `landkreis`."""
    paired = PairedSteps(db, tap, with_floor=False)
    driver = RoundDriver(db, paired, f"Wachstum {landkreis}", landkreis=landkreis)
    driver.open_round()
    paired.steps.clear()
    driver.answer(limit=answers)
    return [s.complete_ms for s in paired.steps]
