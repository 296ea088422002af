"""Störungen (Camunda: incidents): jobs that failed every attempt, for Administration.

Listed with the round, the step, the German error and the technical detail. "Erneut versuchen"
gives the job a fresh set of attempts (after the cause was fixed: data corrected, a new
definition version); "Überspringen mit Begründung" is offered where the BPMN allows it (the
service task's property `stoerungUeberspringbar`) or for jobs that change no process (mails):
the waiting task completes with `{"uebersprungen": true, "begruendung": ...}`. Both are audited.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from workflows import audit, jobs
from workflows.engine import access, background, outbox
from workflows.errors import Conflict, FieldError, NotFound, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import Job, ProcessInstance, utcnow

SKIPPERS: dict[str, Callable[[Database, jobs.ClaimedJob, str], None]] = {}
ALWAYS_SKIPPABLE: set[str] = set()


@dataclass(frozen=True)
class StoerungInfo:
    id: int
    kind: str
    instance_id: int | None
    business_key: str | None
    step: str
    error: str
    detail: str
    attempts: int
    since: datetime | None
    skippable: bool


def skippable_kind(kind: str, skip: Callable[[Database, jobs.ClaimedJob, str], None] | None = None) -> None:
    """Let jobs of `kind` always be skipped (a mail that cannot be delivered), optionally with an action."""
    ALWAYS_SKIPPABLE.add(kind)
    if skip is not None:
        SKIPPERS[kind] = skip


def list_stoerungen(db: Database, actor_name: str) -> list[StoerungInfo]:
    with db.read() as session:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Die Übersicht der Störungen")
        rows = session.execute(
            select(Job, ProcessInstance.business_key).outerjoin(ProcessInstance, Job.instance_id == ProcessInstance.id)
            .where(Job.status == "stoerung").order_by(Job.id)).all()
        return [StoerungInfo(job.id, job.kind, job.instance_id, key, job.title or job.kind,
                             job.last_error or "", job.last_error_detail or "", job.attempts,
                             job.locked_at or job.run_after, job.skippable or job.kind in ALWAYS_SKIPPABLE)
                for job, key in rows]


def _stoerung(session: Any, job_id: int) -> Job:
    job = session.get(Job, job_id)
    if job is None:
        raise NotFound(f"Störung {job_id} nicht gefunden.")
    if job.status != "stoerung":
        raise Conflict("Diese Störung wurde bereits bearbeitet.")
    return job


def retry(db: Database, job_id: int, actor_name: str) -> None:
    """Give the job a fresh set of attempts; the worker runs it next."""
    with db.write() as session:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Das Wiederholen einer Störung")
        job = _stoerung(session, job_id)
        job.status, job.attempts, job.run_after = "pending", 0, utcnow()
        audit.record(session, "stoerung_retried", actor.username, job.instance_id,
                     {"job_id": job.id, "kind": job.kind, "title": job.title, "error": job.last_error})


def skip(db: Database, job_id: int, actor_name: str, reason: str) -> None:
    """Skip a Störung where allowed: the process goes on as if the job had produced nothing."""
    reason = (reason or "").strip()
    holder = f"skip:{actor_name}"
    with db.write() as session:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Das Überspringen einer Störung")
        job = _stoerung(session, job_id)
        if not reason:
            raise ValidationFailed([FieldError("/begruendung", "Bitte begründen, warum übersprungen wird.")])
        if not (job.skippable or job.kind in ALWAYS_SKIPPABLE):
            raise Conflict("Dieser Schritt darf laut Prozessdefinition nicht übersprungen werden.")
        job.status, job.locked_by, job.locked_at, job.note = "running", holder, utcnow(), reason
        claimed = jobs.ClaimedJob(job.id, job.kind, dict(job.payload or {}), job.instance_id, job.attempts, holder)
        audit.record(session, "stoerung_skipped", actor.username, job.instance_id,
                     {"job_id": job.id, "kind": job.kind, "title": job.title, "begruendung": reason})
    try:
        SKIPPERS.get(claimed.kind, _mark_skipped)(db, claimed, reason)
    except Exception:
        with db.write() as session:  # leave it a Störung, as before
            session.get(Job, job_id).status = "stoerung"  # type: ignore[union-attr]
        raise


def _mark_skipped(db: Database, job: jobs.ClaimedJob, _reason: str) -> None:
    with db.write() as session:
        jobs.mark_done(session, job, "skipped")


def _skip_service_task(db: Database, job: jobs.ClaimedJob, reason: str) -> None:
    background.complete_waiting_task(db, job, lambda _ctx, _data: {"uebersprungen": True, "begruendung": reason},
                                     status="skipped")


SKIPPERS[outbox.SERVICE_TASK] = _skip_service_task
