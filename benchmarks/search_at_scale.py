"""By hand, once: the search at 10,000 rounds (README "Working together").

Each round is a copy of a real mini round started through the engine, with its 51 open Gemeinde tasks,
their index entries and a comment: the worst case of every task open at once.

    python -m benchmarks.search_at_scale "" 10000                        # SQLite in a temporary directory
    python -m benchmarks.search_at_scale postgresql+psycopg://... 10000  # schema collab_bench, replaced
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, insert, select, text

from workflows import engine, wiring
from workflows.collab import comments, search
from workflows.engine import definitions
from workflows.foerderung import demo
from workflows.storage import migrate
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, SearchEntry, SearchWord, TaskRow

MINI = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mini"
QUERIES = [("sachbearbeitung", "runde 09999"), ("sachbearbeitung", "runde"), ("sachbearbeitung", "oezdemir"),
           ("sachbearbeitung", "rueckmeldung"), ("sachbearbeitung", "ru"), ("kehl", "rueckmeldung kehl"),
           ("kehl", "kehl"), ("kehl", "oezdemir"), ("offenburg", "kehl"), ("dezernat", "nichtda")]


def database(url: str, workdir: Path) -> Database:
    if not url:
        url = f"sqlite:///{workdir}/bench.db"
    else:
        with create_engine(url).begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS collab_bench CASCADE"))
            conn.execute(text("CREATE SCHEMA collab_bench"))
        url += "?options=-csearch_path%3Dcollab_bench"
    migrate.upgrade(url)
    db = Database(url, audit_anchor=workdir / "anchor")
    with db.write() as session:
        demo.load(session)
    with db.write() as session:
        definitions.deploy(session, definitions.Bundle.from_directory(MINI), "bench")
    return db


def template(db: Database) -> tuple[dict[str, Any], list[dict[str, Any]], list[dict[str, Any]], dict[int, list[Any]]]:
    """One real round: its instance row, task rows, search entries and words."""
    iid = engine.start_instance(db, "mini_round", "Vorlage", "sachbearbeitung",
                                {"landkreis": "ortenaukreis", "frist": "2030-01-31"}).instance_id
    comments.add_comment(db, "sachbearbeitung", "Rückruf bei Frau Özdemir wegen der Zahlen", instance_id=iid)
    with db.read() as session:
        inst = session.get(ProcessInstance, iid)
        assert inst is not None
        row = {c.name: getattr(inst, c.key) for c in ProcessInstance.__table__.columns if c.name != "id"}
        tasks = [{c.name: getattr(r, c.key) for c in TaskRow.__table__.columns}
                 for r in session.scalars(select(TaskRow))]
        entries = [{c.name: getattr(e, c.key) for c in SearchEntry.__table__.columns}
                   for e in session.scalars(select(SearchEntry))]
        words: dict[int, list[Any]] = {}
        for w in session.scalars(select(SearchWord)):
            words.setdefault(w.entry_id, []).append((w.scope, w.word))
    return row, tasks, entries, words


def fill(db: Database, rounds: int, batch: int = 200) -> None:
    row, tasks, entries, words = template(db)
    with db.read() as session:
        next_id = {"instance": (session.scalar(select(func.max(ProcessInstance.id))) or 0) + 1,
                   "task": (session.scalar(select(func.max(TaskRow.id))) or 0) + 1,
                   "entry": (session.scalar(select(func.max(SearchEntry.id))) or 0) + 1}

    def take(kind: str) -> int:
        next_id[kind] += 1
        return next_id[kind] - 1

    for start in range(0, rounds, batch):
        rows: dict[str, list[dict[str, Any]]] = {"i": [], "t": [], "e": [], "w": []}
        for n in range(start, min(start + batch, rounds)):
            rid, name = take("instance"), f"Runde {n:05d}"
            rows["i"].append(dict(row, id=rid, business_key=name))
            new_task = {t["id"]: take("task") for t in tasks}
            rows["t"] += [dict(t, id=new_task[t["id"]], instance_id=rid) for t in tasks]
            for e in entries:
                eid, is_round = take("entry"), e["kind"] == "round"
                rows["e"].append(dict(e, id=eid, round_id=rid, instance_id=rid, comment_id=None,
                                      task_id=new_task.get(e["task_id"]), text=name if is_round else e["text"]))
                own = [("round", w) for w in search.fold(name)] if is_round else words[e["id"]]
                rows["w"] += [{"scope": scope, "word": w, "entry_id": eid} for scope, w in set(own)]
        with db.write() as session:
            for model, key in ((ProcessInstance, "i"), (TaskRow, "t"), (SearchEntry, "e"), (SearchWord, "w")):
                session.execute(insert(model), rows[key])
    if db.is_sqlite:
        db.optimize()
    else:
        with db.engine.begin() as conn:
            for table in ("process_instance", "task", "search_entry", "search_word"):
                conn.exec_driver_sql(f"ANALYZE {table}")


def main() -> None:
    wiring.install()
    url, rounds = (sys.argv[1] if len(sys.argv) > 1 else ""), int(sys.argv[2]) if len(sys.argv) > 2 else 10_000
    db = database(url, Path(tempfile.mkdtemp()))
    started = time.perf_counter()
    fill(db, rounds)
    print(f"filled {rounds} rounds in {time.perf_counter() - started:.0f} s")
    with db.read() as session:
        counts = {m.__tablename__: session.scalar(select(func.count()).select_from(m))
                  for m in (ProcessInstance, TaskRow, SearchEntry, SearchWord)}
    print(counts)
    for user, query in QUERIES:
        times = []
        for _ in range(3):
            begin = time.perf_counter()
            result = search.search(db, user, query)
            times.append((time.perf_counter() - begin) * 1000)
        print(f"{user:16} {query!r:24} hits={len(result.hits):3}  best {min(times):7.1f} ms")


if __name__ == "__main__":
    main()
