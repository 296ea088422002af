"""`make bench`: the real grant round, measured; prints tables and, last, the one-line summary.

Per database (SQLite; PostgreSQL too when GRANTFLOW_TEST_DATABASE_URL is set):
1. one whole round of the demo Landkreis, every user step paired with the bare floor (`steps`),
2. the first Gemeinde answers of a round of a generated Landkreis of 400 Gemeinden (`complete_growth`),
3. on the server database (PostgreSQL if there is one): the API through gunicorn (`http_load`),
4. 10,000 rounds copied from the states of step 1, then the read models timed and explained.
Figures: `complete_overhead` = median over the round's steps of complete_ms / bare_ms, the floor
being SpiffWorkflow alone holding the whole round (`shadow`); `child_overhead` is the same against
SpiffWorkflow alone on the state of the instance the step is in (`bare_child_ms`), reported beside
it. The summary takes the worst database for every figure. Raw figures go to build/bench/bench.json.
"""

from __future__ import annotations

import argparse
import platform
import sqlite3
import statistics
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import text

from benchmarks import databases, http_load, inbox_data, inbox_queries, report, services_tap, steps
from workflows import wiring
from workflows.settings import PROJECT_ROOT

GROWTH_KREIS = "wachstum"


@dataclass(frozen=True)
class Scale:
    round_answers: int | None  # None: the whole round; else only the opening and that many answers
    inbox_rounds: int
    query_repeat: int
    growth_gemeinden: int
    growth_answers: int
    http_pairs: int
    throughput_clients: int
    throughput_per_client: int
    same_round_clients: int
    same_round_answers: int | None  # None: every Gemeinde of the round

    @classmethod
    def of(cls, quick: bool) -> Scale:
        if quick:
            return cls(round_answers=3, inbox_rounds=60, query_repeat=3, growth_gemeinden=60, growth_answers=2,
                       http_pairs=1, throughput_clients=2, throughput_per_client=2, same_round_clients=4,
                       same_round_answers=6)
        return cls(round_answers=None, inbox_rounds=10_000, query_repeat=15, growth_gemeinden=400, growth_answers=8,
                   http_pairs=20, throughput_clients=8, throughput_per_client=8, same_round_clients=16,
                   same_round_answers=None)

def machine(bench: databases.BenchDatabase | None) -> dict[str, Any]:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines()
                if line.startswith("model name")), platform.processor())
    info: dict[str, Any] = {"nproc": len(__import__("os").sched_getaffinity(0)), "cpu": cpu,
                            "python": platform.python_version(), "sqlite": sqlite3.sqlite_version}
    if bench is not None and not bench.db.is_sqlite:
        with bench.db.engine.connect() as conn:
            info["postgresql"] = conn.execute(text("SHOW server_version")).scalar()
    return info


def measure_database(bench: databases.BenchDatabase, tap: services_tap.Tap, scale: Scale, workdir: Path,
                     with_http: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    t0 = time.perf_counter()
    snapshots = inbox_data.Snapshots(bench.db)
    figures = steps.whole_round(bench.db, tap, "Ortenaukreis 2017-2018", on_phase=snapshots.take,
                                answers=scale.round_answers)
    out["steps"] = [f.as_json() for f in figures.steps]
    out["unpaired"] = dict(figures.shadow.unpaired) if figures.shadow is not None else {}
    out["worker"] = {"jobs": figures.worker_jobs, "seconds": figures.worker_seconds,
                     "jobs_per_s": figures.worker_jobs / figures.worker_seconds if figures.worker_seconds else 0.0}
    print(f"[{bench.kind}] whole round: {len(figures.steps)} steps in {time.perf_counter() - t0:.0f} s; "
          f"worker: {figures.worker_jobs} jobs in {figures.worker_seconds:.1f} s "
          f"({out['worker']['jobs_per_s']:.1f} jobs/s)", flush=True)

    databases.generated_landkreis(bench.db, GROWTH_KREIS, scale.growth_gemeinden)
    big, small = steps.growth(bench.db, tap, GROWTH_KREIS, scale.growth_answers)
    out["growth"] = {"gemeinden": scale.growth_gemeinden, "answers_ms": big, "answers_51_ms": small}
    print(f"[{bench.kind}] growth: {scale.growth_gemeinden} Gemeinden, {len(big)} answers", flush=True)

    if with_http:
        with http_load.server(bench.url, workdir) as address:
            out["http_ratios"], out["http_warm_up_seconds"] = http_load.overhead(bench.db, address, scale.http_pairs)
            out["throughput"] = asdict(http_load.throughput(bench.db, address, scale.throughput_clients,
                                                            scale.throughput_per_client))
            out["same_round"] = asdict(http_load.same_round(bench.db, address, scale.same_round_clients,
                                                              scale.same_round_answers))
        print(f"[{bench.kind}] http: done", flush=True)

    t0 = time.perf_counter()
    out["inbox_data"] = inbox_data.fill(bench.db, snapshots.taken, scale.inbox_rounds)
    out["inbox_data"]["seconds"] = time.perf_counter() - t0
    print(f"[{bench.kind}] {scale.inbox_rounds} rounds inserted in {out['inbox_data']['seconds']:.0f} s", flush=True)
    questions = inbox_queries.queries(bench.db)
    out["queries"] = {name: inbox_queries.timed(fn, scale.query_repeat) for name, fn in questions.items()}
    out["visible_tasks"] = inbox_queries.visible_counts(bench.db)
    out["explain"] = {name: inbox_queries.explain(bench.db, questions[name])
                      for name in ("inbox Gemeinde, page 1", "inbox Sachbearbeitung, page 1",
                                   "round list Sachbearbeitung", "round list Gemeinde")}
    return out


def figures_of(raw: dict[str, Any]) -> dict[str, Any]:
    """The summary figures of one database."""
    steps_ = raw["steps"]
    ratios = [s["complete_ms"] / s["bare_ms"] for s in steps_ if s["bare_ms"]]
    child_ratios = [s["complete_ms"] / s["bare_child_ms"] for s in steps_ if s["bare_child_ms"]]
    growth = raw["growth"]
    out: dict[str, Any] = {
        "inbox_p50_ms": max(t["p50"] for t in raw["queries"].values()),
        "complete_overhead": statistics.median(ratios) if ratios else None,
        "child_overhead": statistics.median(child_ratios) if child_ratios else None,
        "paired_steps": len(ratios), "steps": len(steps_),
        "complete_growth": statistics.median(growth["answers_ms"]) / statistics.median(growth["answers_51_ms"]),
        "step_max_ms": max(s["step_ms"] for s in steps_),
        "state_kb": max(s["state_bytes"] for s in steps_) / 1024,
    }
    if "http_ratios" in raw:
        out["http_overhead"] = http_load.median(raw["http_ratios"])
        out["throughput_per_s"] = raw["throughput"]["succeeded"] / raw["throughput"]["seconds"]
        out["same_round_refused"] = raw["same_round"]["refused_open"]
    return out


def worst(per_db: dict[str, dict[str, Any]]) -> dict[str, Any]:
    summary: dict[str, Any] = {}
    for key in report.SUMMARY_KEYS:
        values = [f[key] for f in per_db.values() if f.get(key) is not None]
        if values:
            summary[key] = min(values) if key == "throughput_per_s" else max(values)
    return summary


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a fast smoke run with tiny repetitions")
    parser.add_argument("--out", type=Path, default=PROJECT_ROOT / "build" / "bench")
    args = parser.parse_args(argv)
    scale = Scale.of(args.quick)
    wiring.install()
    tap = services_tap.install()
    workdir = args.out / "work"
    workdir.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    raw: dict[str, Any] = {"scale": asdict(scale), "databases": {}}
    kinds = databases.kinds()
    for kind in kinds:
        with databases.bench_database(kind, workdir, f"bench-{kind}") as bench:
            raw["machine"] = {**raw.get("machine", {}), **machine(bench)}
            raw["databases"][kind] = measure_database(bench, tap, scale, workdir, with_http=kind == kinds[-1])
    per_db = {kind: figures_of(r) for kind, r in raw["databases"].items()}
    summary = worst(per_db)
    raw["figures"], raw["summary"], raw["seconds"] = per_db, summary, time.perf_counter() - started
    path = report.write_json(args.out, raw)
    print_report(raw, per_db, summary)
    print(f"raw figures: {path} ({raw['seconds']:.0f} s)")
    print(report.summary_line(summary))
    return 0


def print_report(raw: dict[str, Any], per_db: dict[str, dict[str, Any]], summary: dict[str, Any]) -> None:
    m = raw["machine"]
    print(f"\nmachine: {m['nproc']} cores, {m['cpu']}, Python {m['python']}, SQLite {m['sqlite']}"
          + (f", PostgreSQL {m['postgresql']}" if "postgresql" in m else ""))
    for kind, r in raw["databases"].items():
        print(f"\n## {kind}: the round's steps (complete_ms without PDF rendering; bare_ms = SpiffWorkflow alone "
              "holding the whole round; bare_child_ms = SpiffWorkflow alone on the step's own instance)")
        print(report.steps_table(r["steps"]))
        d = r["inbox_data"]
        print(f"\n{kind}: {d['rounds']} rounds ({d['instances']} instances), {d['tasks']} task rows "
              f"({d['open_tasks']} open), "
              f"{d['state_bytes'] / 2**30:.1f} GiB of state; visible ready tasks: {r['visible_tasks']}")
        for name, plans in r["explain"].items():
            print(f"\nEXPLAIN ({kind}) {name}:")
            for plan in plans:
                print("  " + plan.replace("\n", "\n  "))
        if "throughput" in r:
            print(f"\n{kind} server ({http_load.WORKERS} gunicorn workers): the workers' first requests (at once, "
                  f"before measuring) {r['http_warm_up_seconds']:.1f} s; http/engine per pair: "
                  + ", ".join(f"{x:.2f}" for x in r["http_ratios"]))
            print(f"{kind} throughput: {r['throughput']}")
            print(f"{kind} same round: {r['same_round']}")
    pdf: dict[str, dict[str, list[float]]] = {}
    for kind, r in raw["databases"].items():
        for s in r["steps"]:
            for doc_kind, ms in s["pdf_ms"].items():
                pdf.setdefault(kind, {}).setdefault(doc_kind, []).append(ms)
    print("\n" + report.pdf_table(pdf))
    print("\n" + report.queries_table({kind: r["queries"] for kind, r in raw["databases"].items()}))
    print("\n" + report.summary_table(per_db, summary))
    for kind, f in per_db.items():
        reasons = "; ".join(f"{n}x {why}" for why, n in raw["databases"][kind]["unpaired"].items()) or "none"
        print(f"{kind}: {f['paired_steps']} of {f['steps']} steps paired with the whole-round floor "
              f"(unpaired: {reasons}); against the child's own state (bare_child_ms): "
              f"child_overhead={report.fmt('complete_overhead', f['child_overhead'])}")
    print()
