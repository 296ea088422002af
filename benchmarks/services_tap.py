"""Records what every registered service task returned in a step, and how long it took.

The bare floor replays the recorded results (`Replay`), so SpiffWorkflow alone gets the same
data the real step got. The time spent making documents (the worker's `prepare`, which renders,
and `generate_document`, which stores) is reported as `pdf_ms` per kind. The taps wrap the
engine's service registry and its preparers, the same way `workflows.wiring` fills them.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.engine import services

DOCUMENTS = "generate_document"
RENDERING = "generate_document (prepare)"  # recorded apart: the floor's replay must not hand it out


@dataclass
class Call:
    name: str
    params: dict[str, Any]
    result: Any
    seconds: float


@dataclass
class Tap:
    """The calls of the current step; `reset()` before each step."""

    calls: list[Call] = field(default_factory=list)
    followers: list[Replay] = field(default_factory=list)  # get every call, whatever `reset` does

    def reset(self) -> None:
        self.calls = []

    def record(self, call: Call) -> None:
        self.calls.append(call)
        for replay in self.followers:
            replay.add(call)

    def pdf_seconds(self) -> dict[str, float]:
        """Seconds spent rendering and storing documents, per document kind."""
        out: dict[str, float] = defaultdict(float)
        for call in self.calls:
            if call.name in (DOCUMENTS, RENDERING):
                out[str(call.params.get("kind"))] += call.seconds
        return dict(out)


def install() -> Tap:
    """Wrap every registered service once; returns the tap that sees their calls."""
    tap = Tap()
    for name, fn in list(services.SERVICES.items()):

        def tapped(ctx: services.StepContext, params: Mapping[str, Any], data: Mapping[str, Any],
                   name: str = name, fn: services.Service = fn) -> Any:
            t0 = time.perf_counter()
            result = fn(ctx, params, data)
            tap.record(Call(name, dict(params), result, time.perf_counter() - t0))
            return result

        services.SERVICES[name] = tapped
    for name, prepare in list(services.PREPARERS.items()):

        def timed(ctx: services.StepContext, params: Mapping[str, Any], data: Mapping[str, Any],
                  label: str = f"{name} (prepare)", prepare: services.Service = prepare) -> Any:
            t0 = time.perf_counter()
            result = prepare(ctx, params, data)
            tap.record(Call(label, dict(params), None, time.perf_counter() - t0))
            return result

        services.PREPARERS[name] = timed
    return tap


class Replay:
    """A service caller for SpiffWorkflow's script engine that hands back the recorded results in order."""

    def __init__(self, calls: list[Call]) -> None:
        self._queues: dict[str, list[Any]] = defaultdict(list)
        for call in calls:
            self.add(call)

    def add(self, call: Call) -> None:
        if call.name != RENDERING:
            self._queues[call.name].append(call.result)

    def __call__(self, name: str, params: dict[str, Any], data: Mapping[str, Any]) -> Any:
        queue = self._queues[name]
        if not queue:
            raise LookupError(f"the real step did not call '{name}' this often")
        return queue.pop(0)
