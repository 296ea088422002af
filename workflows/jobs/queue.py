"""The job table as a queue: enqueue in the caller's transaction, claim, finish, fail with backoff."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from workflows import audit, settings
from workflows.storage.db import Database
from workflows.storage.models import Job, utcnow

OPEN_STATUSES = ("pending", "running", "stoerung")
MAX_BACKOFF_SECONDS = 3600.0


class JobError(Exception):
    """A failure with a German reason for Administration (the technical detail is the cause)."""

    def __init__(self, message: str, detail: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.detail = detail


@dataclass(frozen=True)
class ClaimedJob:
    id: int
    kind: str
    payload: dict[str, Any]
    instance_id: int | None
    attempts: int
    worker: str


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, instance_id: int | None = None,
            task_ref: str | None = None, title: str = "", unique_key: str | None = None,
            skippable: bool = False, run_after: datetime | None = None) -> Job | None:
    """Add a job in the caller's transaction; with `unique_key` at most once ever (None if it exists)."""
    if unique_key is not None and session.scalar(select(Job.id).where(Job.unique_key == unique_key)):
        return None
    job = Job(kind=kind, payload=payload, instance_id=instance_id, task_ref=task_ref, title=title,
              unique_key=unique_key, skippable=skippable, run_after=run_after or utcnow())
    session.add(job)
    session.flush()
    return job


def has_open_job(session: Session, kind: str, instance_id: int) -> bool:
    return session.scalar(select(Job.id).where(Job.kind == kind, Job.instance_id == instance_id,
                                               Job.status.in_(OPEN_STATUSES)).limit(1)) is not None


def claim(db: Database, worker: str, now: datetime | None = None) -> ClaimedJob | None:
    """Take the next due job (or one whose worker's lease ran out: it died) for `worker`."""
    moment = now or utcnow()
    expired = moment - timedelta(seconds=settings.get().job_lease_seconds)
    with db.write() as session:
        query = (select(Job)
                 .where(or_(and_(Job.status == "pending", Job.run_after <= moment),
                            and_(Job.status == "running", Job.locked_at < expired)))
                 .order_by(Job.run_after, Job.id).limit(1))
        if session.get_bind().dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        job = session.scalars(query).first()
        if job is None:
            return None
        job.status, job.locked_by, job.locked_at, job.attempts = "running", worker, moment, job.attempts + 1
        return ClaimedJob(job.id, job.kind, dict(job.payload or {}), job.instance_id, job.attempts, worker)


def mark_done(session: Session, job: ClaimedJob, status: str = "done") -> bool:
    """Finish a claimed job, in the caller's transaction so the effect and `done` commit together.

    False if this worker no longer holds it (its lease ran out and another worker took it over).
    """
    result = session.execute(
        update(Job).where(Job.id == job.id, Job.status == "running", Job.locked_by == job.worker)
        .values(status=status, finished_at=utcnow(), locked_by=None, locked_at=None)
        .execution_options(synchronize_session=False))
    return bool(getattr(result, "rowcount", 0))


def _backoff(attempts: int) -> timedelta:
    base = settings.get().job_retry_base_seconds
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), MAX_BACKOFF_SECONDS))


def fail(db: Database, job: ClaimedJob, message: str, detail: str) -> str:
    """Record a failure: retried later with backoff, or a Störung after the last attempt."""
    with db.write() as session:
        row = session.get(Job, job.id)
        if row is None or row.status != "running" or row.locked_by != job.worker:
            return "lost"
        row.last_error, row.last_error_detail = message, detail
        row.locked_by, row.locked_at = None, None
        if row.attempts >= settings.get().job_max_attempts:
            row.status = "stoerung"
            audit.record(session, "stoerung", None, row.instance_id,
                         {"job_id": row.id, "kind": row.kind, "title": row.title, "error": message})
        else:
            row.status, row.run_after = "pending", utcnow() + _backoff(row.attempts)
        return row.status


def mark_failed_now(session: Session, kind: str, payload: dict[str, Any], message: str, detail: str, *,
                    instance_id: int | None, title: str, task_ref: str | None = None) -> Job | None:
    """A failure outside the worker (e.g. a timer step in the ticker) becomes a job retried with backoff."""
    job = enqueue(session, kind, payload, instance_id=instance_id, title=title, task_ref=task_ref,
                  run_after=utcnow() + _backoff(1))
    if job is not None:
        job.attempts, job.last_error, job.last_error_detail = 1, message, detail
        if job.attempts >= settings.get().job_max_attempts:
            job.status = "stoerung"
    return job
