"""Diagrams of the kinds SpiffWorkflow's own test suite holds run in grantflow with the same outcome
as in bare SpiffWorkflow: tasks outside lanes, scripts that print and compute with datetime."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from tests.conftest import FIXTURES
from workflows import engine
from workflows.engine import definitions
from workflows.engine.spiff import load_state, specs_from_json
from workflows.errors import Forbidden, InvalidDefinition
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

COMPAT = FIXTURES / "compat"
FORM = {"betrag": 100}


def _bare_outcome() -> dict[str, object]:
    """What a plain SpiffWorkflow user gets, with the names a script needs in the environment."""
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(COMPAT / "bpmn" / "ohne_lanes.bpmn"))
    environment = TaskDataEnvironment({"datetime": datetime, "timedelta": timedelta, "Decimal": Decimal})
    workflow = BpmnWorkflow(parser.get_spec("ohne_lanes"), script_engine=PythonScriptEngine(environment))
    workflow.do_engine_steps()
    while not workflow.is_completed():
        (task,) = workflow.get_tasks(state=TaskState.READY, manual=True)
        if task.task_spec.bpmn_id == "eingabe":
            task.set_data(**FORM)
        task.run()
        workflow.do_engine_steps()
    return {k: v for k, v in workflow.data.items() if k in ("betrag", "faellig", "brutto")}


def _deploy(db: Database) -> list[definitions.DeployOutcome]:
    with db.write() as session:
        return definitions.deploy(session, definitions.Bundle.from_directory(COMPAT), "test")


def _ready(db: Database, instance_id: int) -> list[TaskRow]:
    with db.read() as session:
        return list(session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                          TaskRow.status == "ready")))


def test_deploy_says_which_rule_gives_tasks_outside_lanes_their_role(db: Database) -> None:
    (outcome,) = _deploy(db)
    assert outcome.notes == ["Aufgaben außerhalb von Lanes ('Akte ablegen', 'Betrag eingeben') gehören zur "
                             "Rolle 'Administration' (die Standardrolle der Installation (GRANTFLOW_DEFAULT_ROLE))."]


def test_a_process_property_names_the_role_for_tasks_outside_lanes() -> None:
    source = (COMPAT / "bpmn" / "ohne_lanes.bpmn").read_bytes().replace(
        b'isExecutable="true">', b'isExecutable="true"><bpmn:extensionElements><spiffworkflow:properties>'
        b'<spiffworkflow:property name="defaultRole" value="Sachbearbeitung" /></spiffworkflow:properties>'
        b'</bpmn:extensionElements>')
    bundle = definitions.Bundle.from_directory(COMPAT).with_file("bpmn/ohne_lanes.bpmn", source)
    (compiled,) = definitions.compile_bundle(bundle)
    assert "Rolle 'Sachbearbeitung' (die Eigenschaft 'defaultRole' des Prozesses)" in compiled.notes[0]


def test_tasks_outside_lanes_run_to_the_end_like_bare_spiffworkflow(db: Database,
                                                                     caplog: pytest.LogCaptureFixture) -> None:
    _deploy(db)
    started = engine.start_instance(db, "ohne_lanes", "Kompatibilität", "admin", {})
    (eingabe,) = _ready(db, started.instance_id)
    assert eingabe.lane == "Administration"  # never 'None': someone may always complete it
    with pytest.raises(Forbidden):
        engine.complete_task(db, eingabe.id, FORM, "sachbearbeitung")
    engine.complete_task(db, eingabe.id, FORM, "admin")
    (ablegen,) = _ready(db, started.instance_id)
    with caplog.at_level(logging.INFO, logger="grantflow.scripts"):
        result = engine.complete_task(db, ablegen.id, {}, "admin")
    assert result.status == "completed"
    assert "Betrag 100" in caplog.text  # print() goes to the step's log
    with db.read() as session:
        instance = session.get(ProcessInstance, started.instance_id)
        assert instance is not None
        workflow = load_state(instance.state, specs_from_json(instance.definition.spec_json))
    ours = {k: v for k, v in workflow.data.items() if k in ("betrag", "faellig", "brutto")}
    assert ours == _bare_outcome() == {"betrag": 100, "faellig": "2017-11-29", "brutto": "119.00"}


def _refusal(old: bytes, new: bytes) -> list[str]:
    source = (COMPAT / "bpmn" / "ohne_lanes.bpmn").read_bytes()
    assert old in source
    bundle = definitions.Bundle.from_directory(COMPAT).with_file("bpmn/ohne_lanes.bpmn", source.replace(old, new))
    with pytest.raises(InvalidDefinition) as refused:
        definitions.compile_bundle(bundle)
    return [str(p) for p in refused.value.problems]


@pytest.mark.parametrize(("old", "new", "expected"), [
    (b'print("Betrag", betrag)', b'print("Betrag", betrag', "Skript abgelehnt: Zeile 1: '(' wird nicht geschlossen"),
    (b'print("Betrag", betrag)', b'x = _geheim', "der Name _geheim beginnt mit '_'"),
    (b'<bpmn:startEvent id="start" />', b'<bpmn:startEvent id="start" foo="1" />',
     "Das Attribut 'foo' ist am Element 'startEvent' nicht erlaubt"),
    (b'<bpmn:endEvent id="end" />', b'<bpmn:endEvent id="end" /><bpmn:sequenceFlow id="f9" sourceRef="end" />',
     "Element 'sequenceFlow'"),
])
def test_deploy_refusals_are_one_german_line_with_place_and_remedy(old: bytes, new: bytes, expected: str) -> None:
    (line,) = _refusal(old, new)
    assert expected in line
    assert line.startswith("bpmn/ohne_lanes.bpmn, Zeile ")
    for leak in ("SyntaxError", "('Line", '("Line', "<Element", "{http", "0x", ". .", ".."):
        assert leak not in line, line
    assert line.endswith(".") and "\n" not in line
