"""The floor: SpiffWorkflow 3.2 alone doing the same step on the same state.

What a plain SpiffWorkflow user does: keep the workflow as the library serializes it (with its
spec), and per step `deserialize_json`, set the form data, run the task, `do_engine_steps`,
`serialize_json`. Same sandboxed script engine as grantflow; service tasks replay what the
real step's services returned (`services_tap.Replay`).

The state is the one the step touches: since call activities run as child instances, a
Gemeinde's answer is a step of its own Abfrage, so the floor is SpiffWorkflow on that child's
workflow (serialized with grantflow's spec classes: the waiting call activity and the
asynchronous service task), not on a whole round held as one workflow.
"""

from __future__ import annotations

import time
from typing import Any
from uuid import UUID

from benchmarks.services_tap import Replay
from workflows.engine import spiff
from workflows.engine.scripting import make_script_engine

SERIALIZER = spiff.SERIALIZER


def library_json(state: str, spec_json: str, process_key: str | None) -> str:
    """The instance as SpiffWorkflow itself would store it: the whole workflow with its spec."""
    return str(SERIALIZER.serialize_json(spiff.load_state(state, spiff.process_specs(spec_json, process_key))))


def bare_step(stored: str, task_id: str, values: dict[str, Any], replay: Replay) -> float:
    """Seconds SpiffWorkflow alone needs for one step, from stored JSON to stored JSON."""
    t0 = time.perf_counter()
    workflow = SERIALIZER.deserialize_json(stored)
    workflow.script_engine = make_script_engine(replay)
    task = workflow.get_task_from_id(UUID(task_id))
    variable = task.task_spec.extensions.get("properties", {}).get("resultVariable")
    if variable:
        task.data[variable] = values
    else:
        task.set_data(**values)
    task.run()
    workflow.do_engine_steps()
    SERIALIZER.serialize_json(workflow)
    return time.perf_counter() - t0
