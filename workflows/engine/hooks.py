"""The engine's port for what follows a step: observers told about the tasks a step created and
cancelled, in the step's own transaction (so what they queue, e.g. mails, commits with it).

The engine knows no mail and no users; `workflows.wiring` registers the mailer here.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy.orm import Session

from workflows.engine.taskindex import IndexChange
from workflows.storage.models import ProcessInstance

StepObserver = Callable[[Session, ProcessInstance, IndexChange, "str | None"], None]
_observers: list[StepObserver] = []


def observe(observer: StepObserver) -> None:
    if observer not in _observers:
        _observers.append(observer)


def step_saved(session: Session, instance: ProcessInstance, change: IndexChange, actor: str | None) -> None:
    for observer in _observers:
        observer(session, instance, change, actor)
