"""What one Gemeinde answer reads and writes now that each Abfrage is a child instance.

Prints figures, asserts nothing. `python benchmarks/child_state_sizes.py [N ...]` (default 51 400):
for a real round with N Gemeinden (the 51 of the Ortenaukreis plus made-up ones), the state KiB
loaded and stored by each Gemeinde answer (median, max, and the last answer), then by the
worker's job that hands the answers to the round and moves it on, the largest state row written,
and the median time of an answer on SQLite.
`--scenario` also plays the whole grant round and reports the largest state row of any step.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from workflows import engine, inbox, jobs, wiring  # noqa: E402
from workflows.engine import definitions, runtime  # noqa: E402
from workflows.foerderung import demo  # noqa: E402
from workflows.identity import users  # noqa: E402
from workflows.storage import migrate  # noqa: E402
from workflows.storage.db import Database  # noqa: E402
from workflows.storage.models import Gemeinde, Landkreis, TaskRow  # noqa: E402

KIB = 1024


class Meter:
    """Counts the state bytes the engine deserializes and serializes."""

    def __init__(self) -> None:
        self.read = self.written = self.largest = 0
        self.largest_at = ""
        self.step = ""
        load: Callable[..., Any] = runtime.load_state
        dump: Callable[..., str] = runtime.dump_state

        def counting_load(state: str, *args: Any, **kwargs: Any) -> Any:
            self.read += len(state)
            return load(state, *args, **kwargs)

        def counting_dump(workflow: Any) -> str:
            text = dump(workflow)
            self.written += len(text)
            if len(text) > self.largest:
                self.largest, self.largest_at = len(text), self.step
            return text

        runtime.load_state = counting_load  # type: ignore[assignment]
        runtime.dump_state = counting_dump

    def reset(self) -> None:
        self.read = self.written = 0


def database(extra_gemeinden: int) -> Database:
    url = f"sqlite:///{tempfile.mkdtemp()}/bench.db"
    migrate.upgrade(url)
    db = Database(url)
    with db.write() as session:
        demo.load(session)
        kreis = session.scalars(select(Landkreis)).one()
        for i in range(extra_gemeinden):
            ags = f"0899{i:04d}"
            session.add(Gemeinde(ags=ags, name=f"Testgemeinde {i:03d}", einwohner=5000, landkreis_id=kreis.id))
            session.flush()
            users.upsert_user(session, f"test{i:03d}", f"Testgemeinde {i:03d}", ["Gemeinde"], "x", gemeinde_ags=ags)
    with db.write() as session:
        definitions.deploy(session, definitions.Bundle.from_directory(ROOT), "bench")
    return db


def one_size(n: int, meter: Meter) -> None:
    db = database(max(0, n - 51))
    iid = engine.start_instance(db, "grant_round", f"Bench {n}", "sachbearbeitung").instance_id
    (opening,) = inbox.list_tasks(db, "sachbearbeitung", instance_id=iid).items
    meter.step = "Runde eröffnen"
    engine.complete_task(db, opening.id, inbox.get_task(db, opening.id, "sachbearbeitung").initial, "sachbearbeitung")
    with db.read() as session:
        rows = session.execute(select(TaskRow.id, TaskRow.assignee_gemeinde).where(
            TaskRow.status == "ready", TaskRow.element_id == "rueckmeldung_abgeben").order_by(TaskRow.id)).all()
        user_of = {u.gemeinde.ags: u.username for u in session.scalars(select(users.User))
                   if u.gemeinde is not None}
    sizes, times = [], []
    form = {"entscheidung": "uebertragung", "anzahl_gefluechtete": 40, "ansprechperson": "Bürgermeisteramt"}
    last = (0, 0, 0.0)
    for index, (task_id, ags) in enumerate(rows):
        meter.reset()
        meter.step = "Rückmeldung"
        t0 = time.perf_counter()
        engine.complete_task(db, task_id, form, user_of[ags])
        elapsed = time.perf_counter() - t0
        if index == len(rows) - 1:
            last = (meter.read, meter.written, elapsed)
        else:
            sizes.append(meter.read + meter.written)
            times.append(elapsed)
    meter.reset()
    meter.step = "Rückgabe an die Runde"
    t0 = time.perf_counter()
    jobs.run_worker(db, once=True)  # the hand-back (asyncReturn) and the mails the answers queued
    handed = (meter.read, meter.written, time.perf_counter() - t0)
    print(f"n={n}: {len(rows)} Gemeinde tasks; one answer reads+writes state: median "
          f"{statistics.median(sizes) / KIB:.1f} KiB, max {max(sizes) / KIB:.1f} KiB; "
          f"answer median {statistics.median(times) * 1000:.1f} ms")
    print(f"      the last answer: read {last[0] / KIB:.1f} KiB, written {last[1] / KIB:.1f} KiB, "
          f"{last[2] * 1000:.0f} ms; the worker's hand-back to the round (and its mails): read "
          f"{handed[0] / KIB:.1f} KiB, written {handed[1] / KIB:.1f} KiB, {handed[2] * 1000:.0f} ms; "
          f"largest state row so far {meter.largest / KIB:.1f} KiB ({meter.largest_at})")
    db.dispose()


def scenario(meter: Meter) -> None:
    from tests.scenarios import grant_round
    from tests.scenarios.drivers import EngineDriver

    db = database(0)
    driver = EngineDriver(db)
    complete = driver.complete

    def named_complete(task_id: int, data: dict[str, Any], user: str) -> None:
        meter.step = driver.task(task_id, user)["element_name"]
        complete(task_id, data, user)

    driver.complete = named_complete  # type: ignore[method-assign]
    meter.largest = 0
    grant_round.run_grant_round(driver)
    print(f"whole scenario: largest state row written by any step {meter.largest / KIB:.1f} KiB "
          f"(step '{meter.largest_at}')")


def main() -> None:
    wiring.install()
    meter = Meter()
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    for n in [int(a) for a in args] or [51, 400]:
        one_size(n, meter)
    if "--scenario" in sys.argv:
        scenario(meter)


if __name__ == "__main__":
    main()
