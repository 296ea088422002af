"""A movable clock for SpiffWorkflow's timers: demos and tests can jump to a date.

SpiffWorkflow reads `datetime.now()` inside its timer module; `frozen_at(when)` replaces that
name for the duration of a step. Used by `grantflow tick --now` and by tests; production ticks
run on the real clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer


@contextmanager
def frozen_at(when: datetime | None) -> Iterator[None]:
    if when is None:
        yield
        return
    real = spiff_timer.datetime

    class _Frozen(real):  # type: ignore[misc,valid-type]
        @classmethod
        def now(cls, tz: Any = None) -> datetime:
            return when.astimezone(tz) if tz else when.replace(tzinfo=None)

    spiff_timer.datetime = _Frozen
    try:
        yield
    finally:
        spiff_timer.datetime = real
