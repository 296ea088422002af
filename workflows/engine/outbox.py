"""What the engine writes into the job table inside a step: its outbox.

- A service task waiting for an asynchronous service becomes a `service_task` job in the step's
  transaction (rolled back with it if the step fails).
- A timer step that fails becomes a `fire_timers` job for that instance: retried by the worker
  with backoff, a Störung after the last attempt; the ticker skips the instance while it is open,
  so one broken round never holds up the timers of the others.
"""

from __future__ import annotations

import traceback
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import jobs
from workflows.engine import services, spiff_service, taskindex
from workflows.errors import GrantflowError
from workflows.storage.db import Database
from workflows.storage.models import Job

SERVICE_TASK = "service_task"
FIRE_TIMERS = "fire_timers"


def _name(task: Any) -> str:
    return str(task.task_spec.bpmn_name or task.task_spec.bpmn_id)


def queue_service_requests(ctx: services.StepContext, workflow: Any) -> int:
    """One job per service task that started waiting in this step."""
    queued = 0
    for task in spiff_service.pending_requests(workflow):
        request = spiff_service.request_of(task)
        skippable = taskindex.is_on(taskindex.properties(task).get("stoerungUeberspringbar"))
        jobs.enqueue(ctx.session, SERVICE_TASK,
                     {"task_id": str(task.id), "operator": request["operator"], "params": request["params"],
                      "actor": ctx.actor, "task_row_id": ctx.task_row_id},
                     instance_id=ctx.instance.id, task_ref=task.task_spec.bpmn_id, title=_name(task),
                     skippable=skippable)
        spiff_service.mark_queued(task)
        queued += 1
    return queued


def in_progress(workflow: Any) -> list[str]:
    """Names of the steps waiting for an asynchronous service: shown as 'wird erstellt'."""
    return sorted({_name(t) for t in spiff_service.waiting_tasks(workflow)})


def blocked_instances() -> Any:
    """Instances the ticker leaves alone: their timer step failed and is retried as a job."""
    return select(Job.instance_id).where(Job.kind == FIRE_TIMERS, Job.status.in_(jobs.OPEN_STATUSES),
                                         Job.instance_id.is_not(None))  # NOT IN with a NULL would match nothing


def _root_cause(exc: BaseException) -> BaseException:
    while (inner := exc.__cause__ or exc.__context__) is not None:
        exc = inner
    return exc


def _cause_in_german(root: BaseException) -> str:
    if isinstance(root, ZeroDivisionError):
        return "Division durch null"
    if isinstance(root, KeyError):
        return f"der Wert {root} fehlt in den Prozessdaten"
    if isinstance(root, NameError):
        return f"unbekannter Name ({root})"
    return str(root)


def german_message(exc: BaseException) -> str:
    """The step's German error with its innermost cause (e.g. "Division durch null") named.

    The technical detail (the traceback) is kept separately for the folded-away view.
    """
    message = (exc.message.replace(" Es wurde nichts gespeichert.", "").rstrip(". ") if isinstance(exc, GrantflowError)
               else "Der Prozessschritt ist mit einem unerwarteten Fehler abgebrochen")
    root = _root_cause(exc)
    # a cause that is itself one of grantflow's German errors is already said in the message
    named = str(root) and not isinstance(root, GrantflowError) and (
        root is not exc or not isinstance(exc, GrantflowError))
    return f"{message}. Ursache: {_cause_in_german(root)}." if named else f"{message}."


def record_timer_failure(db: Database, instance_id: int, moment: datetime, exc: BaseException) -> None:
    with db.write() as session:
        if jobs.has_open_job(session, FIRE_TIMERS, instance_id):
            return
        jobs.mark_failed_now(session, FIRE_TIMERS, {"at": moment.isoformat()}, german_message(exc),
                             "".join(traceback.format_exception(exc)), instance_id=instance_id,
                             title="Fristen und Zeitereignisse")


def open_service_jobs(session: Session, instance_id: int) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.instance_id == instance_id, Job.kind == SERVICE_TASK,
                                                  Job.status.in_(jobs.OPEN_STATUSES))))
