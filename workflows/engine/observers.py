"""A hook for whoever wants to watch the engine's steps (metrics), without the engine knowing them.

The engine wraps each operation in `observing(name)`; every registered observer is called with the
operation, its outcome (`ok`, `conflict`, `refused`, `error`, or what the operation set) and the
seconds it took.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import wraps
from typing import ParamSpec, TypeVar

from workflows.errors import Conflict, GrantflowError

StepObserver = Callable[[str, str, float], None]
P = ParamSpec("P")
R = TypeVar("R")

_observers: list[StepObserver] = []


def add(observer: StepObserver) -> None:
    """Register `observer` (once; adding it again changes nothing)."""
    if observer not in _observers:
        _observers.append(observer)


@dataclass
class Step:
    operation: str
    outcome: str = "ok"


@contextmanager
def observing(operation: str) -> Iterator[Step]:
    """Time the block and tell the observers how it ended; the block may set `step.outcome`."""
    step = Step(operation)
    started = time.perf_counter()
    try:
        yield step
    except Conflict:
        step.outcome = "conflict"
        raise
    except GrantflowError:
        step.outcome = "refused"
        raise
    except BaseException:
        step.outcome = "error"
        raise
    finally:
        elapsed = time.perf_counter() - started
        for observer in tuple(_observers):
            observer(step.operation, step.outcome, elapsed)


def observed(operation: str) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Decorator form of `observing` for a whole engine operation."""

    def decorate(fn: Callable[P, R]) -> Callable[P, R]:
        @wraps(fn)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            with observing(operation):
                return fn(*args, **kwargs)

        return wrapper

    return decorate
