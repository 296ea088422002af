"""The production server under load: gunicorn with several worker processes on 127.0.0.1.

- `overhead`: the same kind of step (a Gemeinde answer of one round) through the API and through
  `engine.complete_task`, alternating which goes first, paired per two consecutive answers; the
  workers are warmed first (their first requests are timed apart), as the engine side is.
- `throughput`: 8 clients, each answering the Gemeinde tasks of its own round.
- `same_round`: 16 clients answering the Gemeinde tasks of ONE round at once, each task tried once;
  a 409 for a task that is still open afterwards is a refusal although the task was open.
Both load runs check afterwards that nothing was lost or doubled: task rows, audit events and the
round's collected answers (`rueckmeldungen` of the Abfrage) match the answers that got a 200.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from benchmarks.round_driver import RoundDriver, gemeinde_answer
from workflows import engine
from workflows.identity import tokens
from workflows.settings import PROJECT_ROOT
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance, TaskRow

WORKERS = 4  # 2 x cores on the 2-core machine the figures are for
Answer = tuple[int, dict[str, Any], str]  # task id, form, username


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def server(url: str, workdir: Path) -> Iterator[tuple[str, int]]:
    """The production server (`grantflow serve --production`: gunicorn, its logging and shared metrics)
    on `url`'s database; yields (host, port)."""
    port = _free_port()
    env = dict(os.environ, DATABASE_URL=url, GRANTFLOW_SECRET_KEY="bench", GRANTFLOW_INSTANCE_DIR=str(workdir),
               GRANTFLOW_DEMO_MODE="0")
    log = (workdir / "gunicorn.log").open("ab")
    proc = subprocess.Popen(
        [str(Path(sys.executable).with_name("grantflow")), "serve", "--production", "--workers", str(WORKERS),
         "--host", "127.0.0.1", "--port", str(port)], cwd=PROJECT_ROOT, env=env, stdout=log, stderr=log)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/api/v1/openapi.json")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"gunicorn did not start; see {workdir / 'gunicorn.log'}")
            time.sleep(0.2)
        yield "127.0.0.1", port
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        log.close()


class Client:
    """One API client with keep-alive and a bearer token per user."""

    def __init__(self, address: tuple[str, int], headers: dict[str, dict[str, str]]) -> None:
        self.conn = http.client.HTTPConnection(*address, timeout=300)
        self.headers = headers

    def complete(self, task_id: int, form: dict[str, Any], user: str) -> int:
        self.conn.request("POST", f"/api/v1/tasks/{task_id}/complete", body=json.dumps(form),
                          headers={**self.headers[user], "Content-Type": "application/json"})
        response = self.conn.getresponse()
        response.read()
        return response.status


def bearer_headers(db: Database, users: set[str]) -> dict[str, dict[str, str]]:
    return {u: {"Authorization": f"Bearer {tokens.create_token(db, u, 'bench')[1]}"} for u in sorted(users)}


def abfrage_round(db: Database, business_key: str) -> tuple[int, list[Answer]]:
    """A round opened up to the Abfrage, and the answers its Gemeinden will give."""
    driver = RoundDriver(db, lambda t, form, user: engine.complete_task(db, t, form, user), business_key)
    driver.open_round()
    answers = [(tid, form, user) for tid, ags, user in driver.gemeinde_tasks()
               if (form := gemeinde_answer(ags)) is not None]
    return driver.iid, answers


def warm_up(address: tuple[str, int], headers: dict[str, dict[str, str]], answers: list[Answer]) -> float:
    """One answer per worker at once (a sync worker takes one request at a time, so each gets one):
    a worker's first request opens its database connection and fills its caches (specs, compiled
    SQL and expressions), once per worker life. Returns the seconds that took."""
    work: list[queue.Queue[Answer]] = []
    for answer in answers:
        q: queue.Queue[Answer] = queue.Queue()
        q.put(answer)
        work.append(q)
    statuses, seconds = _run_clients(address, headers, work)
    assert set(statuses.values()) == {200}, statuses
    return seconds


def overhead(db: Database, address: tuple[str, int], pairs: int) -> tuple[list[float], float]:
    """http_ms / engine_ms per pair of consecutive Gemeinde answers of one round, on a warm server;
    and the seconds the warm-up (the workers' first requests) took."""
    _, answers = abfrage_round(db, "HTTP-Vergleich")
    headers = bearer_headers(db, {user for _, _, user in answers})
    cold = warm_up(address, headers, answers[:WORKERS])
    answers = answers[WORKERS:]
    client = Client(address, headers)
    ratios = []
    for n in range(min(pairs, len(answers) // 2)):
        (a_id, a_form, a_user), (b_id, b_form, b_user) = answers[2 * n], answers[2 * n + 1]
        times: dict[str, float] = {}
        for way in (("http", "engine") if n % 2 == 0 else ("engine", "http")):
            t0 = time.perf_counter()
            if way == "http":
                assert client.complete(a_id, a_form, a_user) == 200
            else:
                engine.complete_task(db, b_id, b_form, b_user)
            times[way] = time.perf_counter() - t0
        ratios.append(times["http"] / times["engine"])
    return ratios, cold


@dataclass
class LoadResult:
    clients: int
    attempted: int
    succeeded: int
    refused_open: int  # 409 although the task was still open
    other_errors: int
    seconds: float
    lost: int
    doubled: int

    @property
    def per_second(self) -> float:
        return self.succeeded / self.seconds if self.seconds else 0.0


def _run_clients(address: tuple[str, int], headers: dict[str, dict[str, str]],
                 work: list[queue.Queue[Answer]]) -> tuple[dict[int, int], float]:
    """One thread per queue, each answering from its queue (several threads may share one)."""
    statuses: dict[int, int] = {}
    lock = threading.Lock()

    def client(q: queue.Queue[Answer]) -> None:
        c = Client(address, headers)
        while True:
            try:
                task_id, form, user = q.get_nowait()
            except queue.Empty:
                return
            status = c.complete(task_id, form, user)
            with lock:
                statuses[task_id] = status

    threads = [threading.Thread(target=client, args=(q,)) for q in work]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return statuses, time.perf_counter() - t0


def _check(db: Database, rounds: list[int], statuses: dict[int, int]) -> tuple[int, int, int]:
    """(lost, doubled, refused although open) after a load run."""
    ok = {tid for tid, status in statuses.items() if status == 200}
    with db.read() as session:
        rows = dict(session.execute(select(TaskRow.id, TaskRow.status).where(TaskRow.id.in_(statuses))).all())
        events = Counter(dict(session.execute(
            select(Event.task_id, func.count()).where(Event.kind == "task_completed", Event.task_id.in_(statuses))
            .group_by(Event.task_id)).all()))
        collected: Counter[str] = Counter()  # each Gemeinde's Abfrage is a child instance handing back its answer
        for outputs in session.scalars(select(ProcessInstance.outputs).where(
                ProcessInstance.parent_id.in_(rounds), ProcessInstance.status == "completed")):
            answer = ((outputs or {}).get("data") or {}).get("rueckmeldung")
            if isinstance(answer, dict) and answer.get("ags"):
                collected[answer["ags"]] += 1
        answered = Counter(session.scalars(select(TaskRow.assignee_gemeinde).where(TaskRow.id.in_(ok))).all())
    lost = sum(1 for tid in ok if rows.get(tid) != "completed" or events[tid] == 0)
    lost += sum(max(0, n - collected[ags]) for ags, n in answered.items())
    doubled = sum(1 for n in events.values() if n > 1) + sum(1 for tid in statuses if tid not in ok and events[tid])
    doubled += sum(max(0, n - answered[ags]) for ags, n in collected.items())
    refused_open = sum(1 for tid, status in statuses.items() if status == 409 and rows.get(tid) == "ready")
    return lost, doubled, refused_open


def throughput(db: Database, address: tuple[str, int], clients: int, per_client: int) -> LoadResult:
    """`clients` clients, each answering `per_client` Gemeinde tasks of its own round."""
    rounds = [abfrage_round(db, f"Durchsatz {n}") for n in range(clients)]
    work: list[queue.Queue[Answer]] = []
    for _, answers in rounds:
        q: queue.Queue[Answer] = queue.Queue()
        for answer in answers[:per_client]:
            q.put(answer)
        work.append(q)
    headers = bearer_headers(db, {user for _, answers in rounds for _, _, user in answers[:per_client]})
    statuses, seconds = _run_clients(address, headers, work)
    return _result(db, [iid for iid, _ in rounds], statuses, seconds, clients)


def same_round(db: Database, address: tuple[str, int], clients: int, limit: int | None = None) -> LoadResult:
    """`clients` clients answering the Gemeinde tasks of one round at once (the first `limit`), each tried once."""
    iid, answers = abfrage_round(db, "Gleichzeitig")
    answers = answers[:limit]
    q: queue.Queue[Answer] = queue.Queue()
    for answer in answers:
        q.put(answer)
    headers = bearer_headers(db, {user for _, _, user in answers})
    statuses, seconds = _run_clients(address, headers, [q] * clients)
    return _result(db, [iid], statuses, seconds, clients)


def _result(db: Database, rounds: list[int], statuses: dict[int, int], seconds: float, clients: int) -> LoadResult:
    lost, doubled, refused_open = _check(db, rounds, statuses)
    succeeded = sum(1 for s in statuses.values() if s == 200)
    other = sum(1 for s in statuses.values() if s not in (200, 409))
    return LoadResult(clients, len(statuses), succeeded, refused_open, other, seconds, lost, doubled)


def median(values: list[float]) -> float:
    return statistics.median(values) if values else float("nan")
