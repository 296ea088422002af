"""The worker: claim a job, run its kind's handler, record success or failure; loop until stopped."""

from __future__ import annotations

import logging
import os
import socket
import threading
import traceback
from collections.abc import Callable

from workflows import settings
from workflows.jobs.queue import ClaimedJob, JobError, claim, fail, mark_done
from workflows.storage.db import Database

log = logging.getLogger(__name__)

Handler = Callable[[Database, ClaimedJob], None]
HANDLERS: dict[str, Handler] = {}


def handler(kind: str) -> Callable[[Handler], Handler]:
    """Register the function that runs jobs of `kind`.

    A handler must be idempotent: a worker killed after the handler's commit but before `done`
    leaves the job to be run again. Handlers that can, call `mark_done` in their own final
    transaction so the effect and the job's end commit together.
    """
    def register(fn: Handler) -> Handler:
        HANDLERS[kind] = fn
        return fn
    return register


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_job(db: Database, job: ClaimedJob) -> bool:
    """Run one claimed job; True if it succeeded."""
    try:
        fn = HANDLERS.get(job.kind)
        if fn is None:
            raise JobError(f"Unbekannte Auftragsart '{job.kind}'.")
        fn(db, job)
    except JobError as exc:
        status = fail(db, job, exc.message, exc.detail or traceback.format_exc())
        log.warning("job %s (%s) failed: %s -> %s", job.id, job.kind, exc.message, status)
        return False
    except Exception as exc:  # any failure of a handler is recorded, never lost
        message = getattr(exc, "message", None) or "Der Auftrag ist fehlgeschlagen."
        status = fail(db, job, str(message), traceback.format_exc())
        log.warning("job %s (%s) failed -> %s", job.id, job.kind, status, exc_info=True)
        return False
    with db.write() as session:
        mark_done(session, job)
    return True


def run_worker(db: Database, stop: threading.Event | None = None, once: bool = False,
               worker: str | None = None) -> int:
    """Run jobs until `stop` is set (or, with `once`, until none is due). Returns jobs run."""
    me = worker or worker_id()
    stop = stop or threading.Event()
    done = 0
    while not stop.is_set():
        job = claim(db, me)
        if job is None:
            if once:
                break
            stop.wait(settings.get().worker_poll_seconds)
            continue
        run_job(db, job)
        done += 1
    return done
