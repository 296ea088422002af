"""Every user step of one round through `engine.complete_task`, each paired with the bare floors.

Per step, in this order: read the state before the step (untimed), complete it through the
engine (timed: load, authorize, validate, complete, engine steps, save, task index, audit,
commit), run the same step with SpiffWorkflow alone on the instance's own state as it was
(`bare_child_ms`, timed), let the worker run what the step queued (documents, mails; timed
apart), then the same step in the whole-round shadow (`bare_ms`, timed: `shadow`). They run
back to back, so a noisy moment hits all of them. `complete_ms` is the engine call minus the
time spent in `generate_document` (rendering and storing PDFs, reported as `pdf_ms`); `step_ms`
is the whole call as the person waits for it.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select

from benchmarks import bare
from benchmarks.round_driver import DEFAULT_ANSWER, OnPhase, RoundDriver, gemeinde_answer
from benchmarks.services_tap import Replay, Tap
from benchmarks.shadow import Shadow, key_of
from workflows import engine, jobs
from workflows.settings import PROJECT_ROOT
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow


@dataclass
class StepFigure:
    element_id: str
    lane: str | None
    step_ms: float
    complete_ms: float
    bare_ms: float | None  # SpiffWorkflow alone, the whole round as one workflow (None: not paired)
    bare_child_ms: float | None  # SpiffWorkflow alone on the state of the instance the step is in
    state_bytes: int
    shadow_bytes: int | None  # the whole-round workflow as SpiffWorkflow stores it, after the step
    pdf_ms: dict[str, float] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class PairedSteps:
    """A `Complete` for the round driver that measures each step; figures collect in `steps`."""

    def __init__(self, db: Database, tap: Tap, with_floor: bool = True, shadow: Shadow | None = None) -> None:
        self.db, self.tap, self.with_floor, self.shadow = db, tap, with_floor, shadow
        self.steps: list[StepFigure] = []
        self.worker_seconds, self.worker_jobs = 0.0, 0

    def __call__(self, task_id: int, data: dict[str, Any], user: str) -> None:
        with self.db.read() as session:
            row = session.get(TaskRow, task_id)
            assert row is not None
            instance = session.get(ProcessInstance, row.instance_id)
            assert instance is not None
            element, lane, spiff_id = row.element_id, row.lane, row.spiff_task_id
            key = key_of(row.element_id, row.title, row.assignee_gemeinde, row.assignee_user)
            stored = (bare.library_json(instance.state, instance.definition.spec_json, instance.process_key)
                      if self.with_floor else "")
        self.tap.reset()
        t0 = time.perf_counter()
        engine.complete_task(self.db, task_id, data, user)
        step = time.perf_counter() - t0
        calls, pdf = list(self.tap.calls), self.tap.pdf_seconds()
        with self.db.read() as session:
            values = session.scalar(select(TaskRow.data).where(TaskRow.id == task_id)) or {}
            size = session.scalar(select(func.length(ProcessInstance.state))
                                  .where(ProcessInstance.id == row.instance_id)) or 0
        child_floor = bare.bare_step(stored, spiff_id, values, Replay(calls)) if self.with_floor else None
        self.tap.reset()  # documents are made after the commit, by the worker: timed apart from the step
        t1 = time.perf_counter()
        self.worker_jobs += jobs.run_worker(self.db, once=True)
        self.worker_seconds += time.perf_counter() - t1
        complete = step - sum(pdf.values())  # any rendering still inside the step is left out of the ratio
        pdf = {**pdf, **self.tap.pdf_seconds()}
        floor = self.shadow.step(key, values) if self.shadow is not None else None
        self.steps.append(StepFigure(
            element, lane, step * 1000, complete * 1000, _ms(floor), _ms(child_floor), int(size),
            self.shadow.size() if self.shadow is not None else None, {k: v * 1000 for k, v in pdf.items()}))


def _ms(seconds: float | None) -> float | None:
    return seconds * 1000 if seconds is not None else None


def whole_round(db: Database, tap: Tap, business_key: str, on_phase: OnPhase | None = None,
                answers: int | None = None) -> PairedSteps:
    """Every user step of one whole round of the demo Landkreis, paired with the floor.

    With `answers`, only the opening and that many Gemeinde answers (the quick smoke run).
    """
    shadow = Shadow(PROJECT_ROOT, "grant_round")
    tap.followers.append(shadow.replay)
    paired = PairedSteps(db, tap, shadow=shadow)
    try:
        driver = RoundDriver(db, paired, business_key, on_phase=on_phase, events=shadow)
        if answers is None:
            driver.play()
        else:
            driver.open_round()
            driver.answer(limit=answers)
    finally:
        tap.followers.remove(shadow.replay)
    return paired


def growth(db: Database, tap: Tap, landkreis: str, answers: int) -> tuple[list[float], list[float]]:
    """complete_ms of the first Gemeinde answers of a round of `landkreis` and of the demo Landkreis, interleaved."""
    big, small = PairedSteps(db, tap, with_floor=False), PairedSteps(db, tap, with_floor=False)
    drivers = [RoundDriver(db, big, f"Wachstum {landkreis}", landkreis=landkreis),
               RoundDriver(db, small, "Wachstum Vergleich")]
    for driver in drivers:
        driver.open_round()
    big.steps.clear()
    small.steps.clear()
    queues = [driver.gemeinde_tasks()[:answers] for driver in drivers]
    for pair in zip(*queues, strict=False):
        for (task_id, ags, user), paired in zip(pair, (big, small), strict=True):
            form = gemeinde_answer(ags) or dict(DEFAULT_ANSWER)
            paired(task_id, form, user)
    return [s.complete_ms for s in big.steps], [s.complete_ms for s in small.steps]
