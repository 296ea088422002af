"""The engine's job handlers: run an asynchronous service and complete its waiting task; retry a
round's failed timer step; hand a child instance back to its parent (`asyncReturn`).

A service job works in two parts: the slow `prepare` (rendering) in a read-only session, then one
short write transaction that runs the service (storing what it produced), hands the result to the
waiting task, runs the engine steps, saves the instance with the version check and marks the
job done, all together. A worker killed before that commit leaves nothing behind and the job
runs again; one killed after it finds the task no longer waiting and does nothing: the service's
effect is stored exactly once.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any
from uuid import UUID

from workflows import audit, jobs
from workflows.engine import children, outbox, runtime, services, spiff_service
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, utcnow

WRITE_ATTEMPTS = 5
Produce = Callable[[services.StepContext, Mapping[str, Any]], Any]


class _Lost(Exception):
    """Another worker took the job over (this one's lease ran out): roll back."""


def _prepare(db: Database, job: jobs.ClaimedJob) -> tuple[bool, Any]:
    """(still waiting?, what the service's `prepare` computed) from a read-only look at the instance."""
    payload = job.payload
    preparer = services.PREPARERS.get(payload["operator"])
    with db.read() as session:
        instance = session.get(ProcessInstance, job.instance_id)
        if instance is None or instance.status != "running":
            return False, None
        task = spiff_service.waiting_task(runtime.load_workflow(instance), UUID(payload["task_id"]))
        if task is None:
            return False, None
        if preparer is None:
            return True, None
        ctx = services.StepContext(session, instance, payload.get("actor"), payload.get("task_row_id"))
        return True, preparer(ctx, payload["params"], task.data)


def complete_waiting_task(db: Database, job: jobs.ClaimedJob, produce: Produce, prepared: Any = None,
                          status: str = "done") -> None:
    """Produce the result in the write transaction, complete the waiting task, mark the job `status`."""
    payload = job.payload
    actor = payload.get("actor")
    for _ in range(WRITE_ATTEMPTS):
        try:
            with db.write() as session:
                instance = session.get(ProcessInstance, job.instance_id)
                workflow = runtime.load_workflow(instance) if instance and instance.status == "running" else None
                task = spiff_service.waiting_task(workflow, UUID(payload["task_id"])) if workflow else None
                if instance is None or workflow is None or task is None:  # done before, or the round ended
                    jobs.mark_done(session, job, status)
                    return

                def finish(_wf: Any, task: Any = task) -> None:
                    ctx = services.current()
                    ctx.prepared = prepared
                    spiff_service.complete_request(task, produce(ctx, task.data))

                runtime.run_step(session, instance, actor, workflow, finish, task_row_id=payload.get("task_row_id"))
                audit.record(session, "service_completed", actor, instance.id,
                             {"operator": payload["operator"], "element_id": task.task_spec.bpmn_id,
                              "job_id": job.id, "status": status})
                runtime.save_step(session, instance, workflow, actor)
                if not jobs.mark_done(session, job, status):
                    raise _Lost()
                return
        except runtime.StaleInstance:
            continue  # another part of the round moved; do it again on the fresh state
        except _Lost:
            return
    raise jobs.JobError("Der Vorgang wurde während des Auftrags mehrfach geändert; der Auftrag wird wiederholt.")


@jobs.handler(outbox.SERVICE_TASK)
def run_service_task(db: Database, job: jobs.ClaimedJob) -> None:
    operator, params = job.payload["operator"], job.payload["params"]
    try:
        waiting, prepared = _prepare(db, job)
        if waiting:
            complete_waiting_task(db, job, lambda ctx, data: services.SERVICES[operator](ctx, params, data), prepared)
    except jobs.JobError:
        raise
    except Exception as exc:  # the service or the steps after it failed: retried, then a Störung
        raise jobs.JobError(outbox.german_message(exc)) from exc


@jobs.handler(outbox.FIRE_TIMERS)
def retry_timers(db: Database, job: jobs.ClaimedJob) -> None:
    """Fire the round's timers again; at the original (possibly simulated) moment if that is later."""
    moment = max(datetime.fromisoformat(job.payload["at"]), utcnow())
    try:
        runtime.fire_instance_timers(db, int(job.instance_id or 0), moment, now=moment)
    except Exception as exc:
        raise jobs.JobError(outbox.german_message(exc)) from exc


@jobs.handler(children.HAND_BACK)
def return_child(db: Database, job: jobs.ClaimedJob) -> None:
    """The parent takes its children's outputs and runs on; a failure there is the round's Störung."""
    at = job.payload.get("at")
    try:
        runtime.return_child(db, int(job.payload["child"]), job.payload.get("actor"),
                             datetime.fromisoformat(at) if at else None)
    except Exception as exc:
        raise jobs.JobError(outbox.german_message(exc)) from exc
