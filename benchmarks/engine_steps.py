"""Measure what a step costs: prints figures, asserts nothing (run: `make benchmark`).

- deploy (parse + validate + serialize the spec) of the project's bpmn/ + forms/
- one task completion of a 51-way multi-instance: the whole unit of work (load row + state,
  deserialize with the cached spec, validate, complete, engine steps, serialize, version-checked
  update, task index, audit) against SpiffWorkflow's own floor (deserialize, complete, serialize)
- stored state with and without the spec
- the inbox query with 10,000 instances in the database
- the job worker's throughput (the mails the steps queued)
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, select  # noqa: E402

from workflows import engine, inbox, jobs  # noqa: E402
from workflows.engine import definitions  # noqa: E402
from workflows.engine.spiff import SERIALIZER, dump_state, load_state, specs_from_json  # noqa: E402
from workflows.foerderung import demo  # noqa: E402
from workflows.foerderung.demo import username_for  # noqa: E402
from workflows.storage import migrate  # noqa: E402
from workflows.storage.db import Database  # noqa: E402
from workflows.storage.models import Gemeinde, ProcessInstance, TaskRow, utcnow  # noqa: E402

MINI = ROOT / "tests" / "fixtures" / "mini"


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def timed(fn, repeat: int = 5) -> float:  # type: ignore[no-untyped-def]
    samples = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return statistics.median(samples)


def grant_round(db: Database, project: definitions.Bundle) -> None:
    """The real round: one Gemeinde's answer while 51 Abfrage subprocesses are alive."""
    with db.write() as session:
        definitions.deploy(session, project, "bench")
    instance_id = engine.start_instance(db, "grant_round", "Bench-Runde", "sachbearbeitung").instance_id
    (opening,) = inbox.list_tasks(db, "sachbearbeitung", instance_id=instance_id).items
    engine.complete_task(db, opening.id, inbox.get_task(db, opening.id, "sachbearbeitung").initial, "sachbearbeitung")
    with db.read() as session:
        rows = session.execute(
            select(TaskRow.id, Gemeinde.name).join(Gemeinde, Gemeinde.ags == TaskRow.assignee_gemeinde)
            .where(TaskRow.instance_id == instance_id, TaskRow.status == "ready")).all()
        state_size = len(session.get(ProcessInstance, instance_id).state)  # type: ignore[union-attr]
    times = []
    for task_id, name in rows[:20]:
        t0 = time.perf_counter()
        engine.complete_task(db, task_id, {"entscheidung": "uebertragung", "anzahl_gefluechtete": 80,
                                           "ansprechperson": "Bench"}, username_for(name))
        times.append(time.perf_counter() - t0)
    print(f"grant_round: one Gemeinde answer with 51 Abfragen open: median {ms(statistics.median(times))}, "
          f"max {ms(max(times))} (state {state_size / 1024:.0f} KiB at the start of the Abfrage)")


def main() -> None:
    workdir = Path(tempfile.mkdtemp(prefix="grantflow-bench-"))
    url = f"sqlite:///{workdir / 'bench.db'}"
    migrate.upgrade(url)
    db = Database(url)
    with db.write() as session:
        demo.load(session)
    print(f"database: {url}")

    project = definitions.Bundle.from_directory(ROOT)
    compile_time = timed(lambda: definitions.compile_bundle(project))
    print(f"compile bpmn/ + forms/ ({len(project.files)} files): {ms(compile_time)}")
    with db.write() as session:
        definitions.deploy(session, definitions.Bundle.from_directory(MINI), "bench")

    t0 = time.perf_counter()
    instance_id = engine.start_instance(db, "mini_round", "Bench", "sachbearbeitung",
                                        {"landkreis": "ortenaukreis", "frist": "2030-01-31"}).instance_id
    print(f"start instance (51 Gemeinde tasks): {ms(time.perf_counter() - t0)}")

    with db.read() as session:
        rows = session.execute(
            select(TaskRow.id, Gemeinde.name).join(Gemeinde, Gemeinde.ags == TaskRow.assignee_gemeinde)
            .where(TaskRow.instance_id == instance_id, TaskRow.status == "ready")).all()
    step_times = []
    for task_id, name in rows[:40]:
        t0 = time.perf_counter()
        engine.complete_task(db, task_id, {"entscheidung": "uebertragen", "anzahl": 5}, username_for(name))
        step_times.append(time.perf_counter() - t0)
    print(f"complete one MI task, whole unit of work: median {ms(statistics.median(step_times))}, "
          f"max {ms(max(step_times))} (40 of 51)")
    t0 = time.perf_counter()
    done = jobs.run_worker(db, once=True)
    elapsed = time.perf_counter() - t0
    print(f"worker: {done} mail jobs (SMTP off: kept in the outbox) in {ms(elapsed)}, "
          f"{done / elapsed if elapsed else 0:.0f} jobs/s")

    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        state, spec_json = instance.state, instance.definition.spec_json
    specs = specs_from_json(spec_json)

    def floor() -> None:
        wf = load_state(state, specs)
        dump_state(wf)

    print(f"SpiffWorkflow floor (deserialize + serialize, cached spec): {ms(timed(floor, 20))}")
    full = SERIALIZER.serialize_json(load_state(state, specs))
    print(f"stored state: {len(state) / 1024:.0f} KiB; with the spec embedded it would be {len(full) / 1024:.0f} KiB "
          f"(spec stored once per version: {len(spec_json) / 1024:.0f} KiB)")

    grant_round(db, project)

    # 10,000 instances with 10 open tasks each: the inbox stays a query on the task table
    now = utcnow()
    with db.write() as session:
        definition_id = session.get(ProcessInstance, instance_id).definition_id  # type: ignore[union-attr]
        gemeinden = session.scalars(select(Gemeinde.ags)).all()
        session.execute(insert(ProcessInstance), [
            {"definition_id": definition_id, "business_key": f"Runde {i}", "status": "running", "state": state,
             "version": 1, "waiting_messages": [], "summary": {}, "created_at": now, "updated_at": now}
            for i in range(10_000)])
        ids = session.scalars(select(ProcessInstance.id).where(ProcessInstance.business_key.like("Runde %"))).all()
        session.execute(insert(TaskRow), [
            {"instance_id": iid, "spiff_task_id": f"{iid:08d}-0000-0000-0000-{k:012d}", "element_id": "answer",
             "element_name": "Rückmeldung", "title": f"Rückmeldung {k}", "lane": "Gemeinde",
             "assignee_gemeinde": gemeinden[(iid + k) % len(gemeinden)], "status": "ready", "created_at": now}
            for iid in ids for k in range(10)])
    db.optimize()  # what the ticker does regularly
    for user in ("offenburg", "sachbearbeitung"):
        t = timed(lambda u=user: inbox.list_tasks(db, u, per_page=25), 10)
        total = inbox.list_tasks(db, user).total
        print(f"inbox of {user} with 10,000 instances / 100,000 open tasks: {ms(t)} ({total} visible)")
    print(f"inbox page 40 of offenburg: {ms(timed(lambda: inbox.list_tasks(db, 'offenburg', page=40), 10))}")


if __name__ == "__main__":
    main()
