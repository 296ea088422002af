"""A service task that can wait: SpiffWorkflow's service task, for asynchronous services.

For a service registered `asynchronous=True` the task does not call the service when it runs:
it records the request (operator and evaluated parameters) in `internal_data` and stays STARTED,
like a call activity waiting for its child. The engine turns the request into a job in the
step's transaction; the worker later runs the service and hands the result back
(`complete_request`): the task is set READY again and, on its next run, stores the result in its
`resultVariable` and completes. Synchronous services run as before.

The class keeps SpiffWorkflow's name `ServiceTask` and is registered with its converter in
`workflows.engine.spiff`, so every stored spec (also of versions deployed before) is restored as
this class: no parser change and no BPMN change are needed.
"""

from __future__ import annotations

import json
from typing import Any

from SpiffWorkflow.spiff.specs.defaults import ServiceTask as SpiffServiceTask
from SpiffWorkflow.util.task import TaskState

from workflows.engine import services

REQUEST = "service_request"
RESULT = "service_result"
QUEUED = "service_queued"


class ServiceTask(SpiffServiceTask):
    def _execute(self, task: Any) -> bool | None:
        if not services.is_asynchronous(self.operation_name):
            return bool(super()._execute(task))
        if RESULT in task.internal_data:
            task.data[self.result_variable] = task.internal_data.pop(RESULT)
            task.internal_data.pop(REQUEST, None)
            task.internal_data.pop(QUEUED, None)
            return True
        params = {name: p["value"] for name, p in self.evaluate_params(task).items()}
        task.internal_data[REQUEST] = {"operator": self.operation_name, "params": params}
        return None  # STARTED: the process waits here until the job has run


def pending_requests(workflow: Any) -> list[Any]:
    """Tasks waiting for an asynchronous service that have no job yet."""
    return [t for t in workflow.get_tasks(state=TaskState.STARTED)
            if REQUEST in t.internal_data and not t.internal_data.get(QUEUED)]


def mark_queued(task: Any) -> None:
    task.internal_data[QUEUED] = True


def waiting_tasks(workflow: Any) -> list[Any]:
    """Every task waiting for an asynchronous service (queued or not)."""
    return [t for t in workflow.get_tasks(state=TaskState.STARTED) if REQUEST in t.internal_data]


def waiting_task(workflow: Any, task_id: Any) -> Any | None:
    task = workflow.get_task_from_id(task_id)
    if task is None or task.state != TaskState.STARTED or REQUEST not in task.internal_data:
        return None
    return task


def request_of(task: Any) -> dict[str, Any]:
    return dict(task.internal_data[REQUEST])


def complete_request(task: Any, result: Any) -> None:
    """Hand the service's result back; the next engine step completes the task with it."""
    task.internal_data[RESULT] = json.loads(json.dumps(result))
    task._set_state(TaskState.READY)
