"""SpiffWorkflow's internals that `workflows.engine.spiff` relies on, pinned.

grantflow stores states without the spec, rebuilds workflows with the workflow converter's
private helpers and moves the timer module's clock. A SpiffWorkflow upgrade that renames or
changes any of these fails here, with the name of what changed, before a stored round fails.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import SpiffWorkflow
import SpiffWorkflow.bpmn.specs.event_definitions.timer as spiff_timer
from SpiffWorkflow.bpmn import BpmnWorkflow

from tests.conftest import FIXTURES
from tests.engine.helpers import START_DATA
from workflows.engine import definitions, spiff


def _services(name: str, _params: dict[str, Any], _data: Mapping[str, Any]) -> Any:
    gemeinden = [{"ags": f"0831700{i}", "name": f"Gemeinde {i}", "typ": "Gemeinde", "einwohner": 1000,
                  "team": None, "team_name": None} for i in (1, 2)]
    return gemeinden if name == "load_gemeinden" else {}


def _mini_workflow() -> tuple[BpmnWorkflow, spiff.Specs]:
    compiled = definitions.compile_bundle(definitions.Bundle.from_directory(FIXTURES / "mini"))[0]
    specs = spiff.specs_from_json(compiled.spec_json)
    workflow = spiff.new_workflow(specs, _services)
    for task in workflow.get_tasks():
        task.data.update(START_DATA)
    return workflow, specs


def _without_spec(serialized: str) -> dict[str, object]:
    dct = json.loads(serialized)
    for key in ("spec", "subprocess_specs", spiff.SERIALIZER.VERSION_KEY):
        dct.pop(key, None)
    return dct


def test_the_pinned_release_and_state_format() -> None:
    assert SpiffWorkflow.__version__ == "3.2.0"
    assert spiff.SERIALIZER.VERSION == "1.5"  # stored states carry it; a new format needs a migration


def test_the_private_converter_helpers_exist() -> None:
    converter = spiff._WORKFLOW_CONVERTER
    for name in ("to_dict", "mapping_from_dict", "set_default_attributes", "subprocesses_from_dict"):
        assert callable(getattr(converter, name, None)), f"BpmnWorkflowConverter.{name} is gone"
    assert callable(getattr(BpmnWorkflow, "delete_subprocess", None))


def test_state_without_spec_round_trips_like_spiffworkflow_itself() -> None:
    workflow, specs = _mini_workflow()
    workflow.do_engine_steps()
    ours = spiff.load_state(spiff.dump_state(workflow), specs, _services)
    theirs = spiff.SERIALIZER.deserialize_json(spiff.SERIALIZER.serialize_json(workflow))
    assert _without_spec(spiff.SERIALIZER.serialize_json(ours)) == _without_spec(
        spiff.SERIALIZER.serialize_json(theirs))
    assert [t.task_spec.name for t in ours.get_tasks()] == [t.task_spec.name for t in theirs.get_tasks()]
    assert "spec" not in json.loads(spiff.dump_state(workflow))
    # saving skips the spec but writes everything else SpiffWorkflow's own serializer writes
    saved = json.loads(spiff.dump_state(workflow))
    assert saved.pop(spiff.SERIALIZER.VERSION_KEY) == spiff.SERIALIZER.VERSION
    theirs_saved = _without_spec(spiff.SERIALIZER.serialize_json(workflow))
    assert theirs_saved.pop("typename") == "BpmnWorkflow"  # the registry's tag; the engine knows the type
    assert saved == theirs_saved


def test_the_timer_module_reads_its_clock_by_name() -> None:
    real = spiff_timer.datetime
    moment = datetime(2017, 11, 1, 9, 0, tzinfo=UTC)
    with spiff.frozen_at(moment):
        assert spiff_timer.datetime.now(UTC) == moment
        assert spiff_timer.datetime.now() == moment.replace(tzinfo=None)
    assert spiff_timer.datetime is real
