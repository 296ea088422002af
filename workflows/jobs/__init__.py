"""Jobs after the commit (an outbox): what must not run inside a person's transaction.

A job row is written in the transaction that causes it (`enqueue`); `grantflow worker` claims due
jobs (`FOR UPDATE SKIP LOCKED` on PostgreSQL, a single `BEGIN IMMEDIATE` writer on SQLite), runs
the handler registered for its kind, retries a failure with exponential backoff and, after
`job_max_attempts` failures, leaves it as a Störung for Administration. Generic: it knows no
engine, no programme; the engine and the mailer register their handlers.
"""

from workflows.jobs.queue import (
    OPEN_STATUSES,
    ClaimedJob,
    JobError,
    claim,
    enqueue,
    fail,
    has_open_job,
    mark_done,
    mark_failed_now,
)
from workflows.jobs.worker import handler, run_job, run_worker, worker_id

__all__ = [
    "OPEN_STATUSES",
    "ClaimedJob",
    "JobError",
    "claim",
    "enqueue",
    "fail",
    "handler",
    "has_open_job",
    "mark_done",
    "mark_failed_now",
    "run_job",
    "run_worker",
    "worker_id",
]
