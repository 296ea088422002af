"""The service tasks BPMN may call (`spiffworkflow:serviceTaskOperator id=...`).

A service runs inside the step's transaction: it gets the `StepContext` (session, instance,
actor) so that what it produces (a document, a notification) commits or rolls back with the
step. The sandboxed script engine dispatches to `call_service`. The engine brings no services of its
own: identity, notifications, documents and the programme register theirs (`workflows.wiring`).

A service registered `asynchronous=True` (slow or external: documents) does not run in the step:
the process waits at its task and a job runs it after the commit (`workflows.engine.background`).
Its optional `prepare` does the slow part in a read-only session first (rendering), so the
worker's write transaction, which stores the result and completes the task, stays short.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from workflows.storage.models import ProcessInstance


@dataclass
class StepContext:
    session: Session
    instance: ProcessInstance
    actor: str | None
    task_row_id: int | None = None
    produced: list[dict[str, Any]] = field(default_factory=list)
    prepared: Any = None  # what an asynchronous service's `prepare` computed before the write


Service = Callable[[StepContext, Mapping[str, Any], Mapping[str, Any]], Any]
_current: ContextVar[StepContext | None] = ContextVar("grantflow_step", default=None)
SERVICES: dict[str, Service] = {}
ASYNCHRONOUS: set[str] = set()
PREPARERS: dict[str, Service] = {}


def service(name: str, asynchronous: bool = False, prepare: Service | None = None) -> Callable[[Service], Service]:
    def register(fn: Service) -> Service:
        SERVICES[name] = fn
        if asynchronous:
            ASYNCHRONOUS.add(name)
        else:
            ASYNCHRONOUS.discard(name)
        if prepare is not None:
            PREPARERS[name] = prepare
        return fn
    return register


def is_asynchronous(name: str) -> bool:
    return name in ASYNCHRONOUS


def current() -> StepContext:
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("Service-Aufgaben laufen nur innerhalb eines Prozessschritts.")
    return ctx


def set_context(ctx: StepContext | None) -> Any:
    return _current.set(ctx)


def reset_context(token: Any) -> None:
    _current.reset(token)


def call_service(name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
    """Entry point for the script engine: run a registered service in the current step."""
    ctx = current()
    try:
        fn = SERVICES[name]
    except KeyError:
        raise LookupError(f"Unbekannter Dienst '{name}'") from None
    return fn(ctx, params, data)
