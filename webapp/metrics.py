"""`/metrics` in Prometheus' text format, for Administration or a bearer token (`GRANTFLOW_METRICS_TOKEN`).

Two kinds of figures:
- what happened (steps by operation and outcome, their duration): counted in the process that ran
  the step, through the engine's observer hook. Under gunicorn every worker writes its own files in
  `GRANTFLOW_METRICS_DIR` (prometheus-client's multiprocess mode) and a scrape adds them up.
- what is (open tasks, running rounds, timer lag, jobs waiting, Störungen): asked of the database
  at scrape time, so every server reports the same and nothing is lost on a restart.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable, Iterator

from flask import Blueprint, Flask, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest, multiprocess
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from workflows import settings
from workflows.engine import observers
from workflows.storage.db import Database
from workflows.storage.models import Job, ProcessInstance, TaskRow, utcnow

bp = Blueprint("metrics", __name__)

STEPS = Counter("grantflow_steps", "Engine operations run, by operation and outcome",
                ["operation", "outcome"], registry=None)
STEP_SECONDS = Histogram("grantflow_step_duration_seconds", "Duration of engine operations", ["operation"],
                         buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30), registry=None)

GaugeQuery = Callable[[Session], float]


def _jobs_in(status: str) -> GaugeQuery:
    def count(session: Session) -> float:
        return float(session.scalar(select(func.count()).select_from(Job).where(Job.status == status)) or 0)
    return count


GAUGES: dict[str, tuple[str, GaugeQuery]] = {
    "grantflow_jobs_waiting": ("Jobs (documents, mail, retried timer steps) waiting to be run", _jobs_in("pending")),
    "grantflow_stoerungen": ("Störungen (jobs failed for good) not yet resolved", _jobs_in("stoerung")),
}


def _record_step(operation: str, outcome: str, seconds: float) -> None:
    STEPS.labels(operation, outcome).inc()
    STEP_SECONDS.labels(operation).observe(seconds)


class DatabaseCollector(Collector):
    """Gauges read from the database on each scrape (the same on every server)."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[Metric]:
        now = utcnow()
        with self.database.read() as session:
            open_tasks = GaugeMetricFamily("grantflow_open_tasks", "Open (ready) human tasks, by lane", labels=["lane"])
            for lane, count in session.execute(select(TaskRow.lane, func.count()).where(TaskRow.status == "ready")
                                               .group_by(TaskRow.lane)):
                open_tasks.add_metric([lane or ""], count)
            yield open_tasks
            running = session.scalar(select(func.count()).where(ProcessInstance.status == "running")) or 0
            yield GaugeMetricFamily("grantflow_instances_running", "Running process instances", value=running)
            oldest_due = session.scalar(select(func.min(ProcessInstance.next_timer_at)).where(
                ProcessInstance.status == "running", ProcessInstance.next_timer_at <= now))
            lag = (now - oldest_due).total_seconds() if oldest_due else 0.0
            yield GaugeMetricFamily("grantflow_timer_lag_seconds",
                                    "How long the oldest due timer of a running instance has waited", value=lag)
            for name, (documentation, query) in GAUGES.items():
                yield GaugeMetricFamily(name, documentation, value=query(session))


def _allowed() -> bool:
    token = current_app.config.get("GRANTFLOW_METRICS_TOKEN")
    scheme, _, offered = request.headers.get("Authorization", "").partition(" ")
    if token and scheme.lower() == "bearer" and hmac.compare_digest(offered.strip().encode(), token.encode()):
        return True
    actor = g.get("actor")
    return actor is not None and actor.is_admin


@bp.get("/metrics")
def metrics() -> Response:
    if not _allowed():
        status = 403 if g.get("actor") is not None else 401
        return Response("Kennzahlen nur für die Administration oder mit dem Token aus GRANTFLOW_METRICS_TOKEN.\n",
                        status=status, mimetype="text/plain",
                        headers={"WWW-Authenticate": 'Bearer realm="grantflow-metrics"'} if status == 401 else {})
    registry = CollectorRegistry()
    if current_app.config.get("GRANTFLOW_PRODUCTION"):
        multiprocess.MultiProcessCollector(registry, path=str(settings.get().metrics_dir))  # type: ignore[no-untyped-call]
    else:
        registry.register(STEPS)
        registry.register(STEP_SECONDS)
    registry.register(DatabaseCollector(current_app.extensions["grantflow_db"]))
    return Response(generate_latest(registry), mimetype=CONTENT_TYPE_LATEST)


def init_app(app: Flask) -> None:
    observers.add(_record_step)
    app.register_blueprint(bp)
