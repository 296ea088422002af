"""The service tasks BPMN may call (`spiffworkflow:serviceTaskOperator id=...`).

A service runs inside the step's transaction: it gets the `StepContext` (session, instance,
actor) so that what it produces (a document, a notification) commits or rolls back with the
step. The sandboxed script engine dispatches to `call_service`. The engine brings no services of its
own: identity, notifications, documents and the programme register theirs (`workflows.wiring`).
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


Service = Callable[[StepContext, Mapping[str, Any], Mapping[str, Any]], Any]
_current: ContextVar[StepContext | None] = ContextVar("grantflow_step", default=None)
SERVICES: dict[str, Service] = {}


def service(name: str) -> Callable[[Service], Service]:
    def register(fn: Service) -> Service:
        SERVICES[name] = fn
        return fn
    return register


def set_context(ctx: StepContext | None) -> Any:
    return _current.set(ctx)


def reset_context(token: Any) -> None:
    _current.reset(token)


def call_service(name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
    """Entry point for the script engine: run a registered service in the current step."""
    ctx = _current.get()
    if ctx is None:
        raise RuntimeError("Service-Aufgaben laufen nur innerhalb eines Prozessschritts.")
    try:
        fn = SERVICES[name]
    except KeyError:
        raise LookupError(f"Unbekannter Dienst '{name}'") from None
    return fn(ctx, params, data)
