"""A two-pool collaboration exchanging correlated messages runs in grantflow as in bare SpiffWorkflow:
each pool is its own process; a thrown message reaches the partner instance that waits for it (by
its correlation), or starts the partner, in the same transaction. A person's message needs the
right correlation too."""

from __future__ import annotations

from typing import Any

import pytest
from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.spiff.parser.process import SpiffBpmnParser
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select

from tests.conftest import FIXTURES
from workflows import engine
from workflows.engine import definitions
from workflows.engine.spiff import load_state, specs_from_json
from workflows.errors import Conflict, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessDefinition, ProcessInstance, TaskRow

COLLAB = FIXTURES / "collab"


def _bare_outcome(aktenzeichen: str) -> dict[str, Any]:
    parser = SpiffBpmnParser()
    parser.add_bpmn_file(str(COLLAB / "bpmn" / "antrag_bescheid.bpmn"))
    workflow = BpmnWorkflow(*parser.get_collaboration("antrag_collab"))
    workflow.do_engine_steps()
    while ready := workflow.get_tasks(state=TaskState.READY, manual=True):
        task = ready[0]
        task.set_data(**({"aktenzeichen": aktenzeichen, "betrag": 5} if task.task_spec.bpmn_id == "stellen"
                         else {"bewilligt": True}))
        task.run()
        workflow.do_engine_steps()
    assert workflow.is_completed()
    return {sub.spec.name: dict(sub.data) for sub in workflow.subprocesses.values()}


def _data(db: Database, instance_id: int) -> tuple[str, dict[str, Any]]:
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        workflow = load_state(instance.state, specs_from_json(instance.definition.spec_json))
        return instance.status, dict(workflow.data if workflow.is_completed() else workflow.last_task.data)


def _ready(db: Database, process: str) -> dict[str, TaskRow]:
    with db.read() as session:
        rows = session.execute(select(TaskRow, ProcessInstance.business_key).join(ProcessInstance)
                               .join(ProcessDefinition).where(ProcessDefinition.key == process,
                                                              TaskRow.status == "ready")).all()
        return {key: row for row, key in rows}


@pytest.fixture
def collab(db: Database) -> Database:
    with db.write() as session:
        outcomes = definitions.deploy(session, definitions.Bundle.from_directory(COLLAB), "test")
    assert {o.key for o in outcomes} == {"antragsteller", "bewilligung"}
    return db


def _file(db: Database, aktenzeichen: str) -> int:
    instance_id = engine.start_instance(db, "antragsteller", aktenzeichen, "sachbearbeitung", {}).instance_id
    engine.complete_task(db, _ready(db, "antragsteller")[aktenzeichen].id,
                         {"aktenzeichen": aktenzeichen, "betrag": 5}, "sachbearbeitung")
    return instance_id


def test_thrown_messages_start_and_answer_the_partner_by_correlation(collab: Database) -> None:
    first, second = _file(collab, "AZ-1"), _file(collab, "AZ-2")
    checks = _ready(collab, "bewilligung")  # each Antrag started its own Bewilligung, named after the sender
    assert set(checks) == {"AZ-1", "AZ-2"}
    engine.complete_task(collab, checks["AZ-2"].id, {"bewilligt": True}, "dezernat")
    status, data = _data(collab, second)
    assert status == "completed"
    assert {k: data[k] for k in ("aktenzeichen", "betrag", "bescheid")} == _bare_outcome("AZ-2")["antragsteller"]
    assert _data(collab, first)[0] == "running"  # the Bescheid for AZ-2 did not reach AZ-1
    with collab.read() as session:
        received = session.scalars(select(Event).where(Event.kind == "message_received")).all()
    assert sorted((e.payload["message"], e.payload["from_instance"] is not None) for e in received) == [
        ("antrag", True), ("antrag", True), ("bescheid", True)]


def test_a_person_must_give_a_message_that_belongs_to_the_round(collab: Database) -> None:
    first = _file(collab, "AZ-1")
    with pytest.raises(Conflict, match=r"gehört nicht zu diesem Vorgang.*aktenzeichen=AZ-9.*aktenzeichen=AZ-1"):
        engine.deliver_message(collab, first, "bescheid", {"aktenzeichen": "AZ-9", "bewilligt": False},
                               "sachbearbeitung")
    with pytest.raises(ValidationFailed) as contradiction:
        engine.deliver_message(collab, first, "bescheid", {"aktenzeichen": "AZ-1", "bewilligt": False},
                               "sachbearbeitung", correlation={"aktenzeichen": "AZ-9"})
    assert "widerspricht dem Inhalt" in contradiction.value.errors[0].message
    with pytest.raises(ValidationFailed) as unknown:
        engine.deliver_message(collab, first, "bescheid", {"bewilligt": False}, "sachbearbeitung",
                               correlation={"kennung": "x"})
    assert unknown.value.errors[0].pointer == "/correlation/kennung"
    assert _data(collab, first)[0] == "running"  # nothing was applied
    engine.deliver_message(collab, first, "bescheid", {"aktenzeichen": "AZ-1", "bewilligt": False},
                           "sachbearbeitung")
    status, data = _data(collab, first)
    assert status == "completed" and data["bescheid"] == {"aktenzeichen": "AZ-1", "bewilligt": False}


def test_the_cli_takes_correlation_keys(collab: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from webapp.cli import main

    first = _file(collab, "AZ-1")
    monkeypatch.setenv("DATABASE_URL", collab.url)
    runner = CliRunner()
    wrong = runner.invoke(main, ["message", str(first), "bescheid", "--user", "sachbearbeitung",
                                 "--data", '{"bewilligt": true}', "--key", "aktenzeichen=AZ-2"])
    assert wrong.exit_code == 1 and "gehört nicht zu diesem Vorgang" in wrong.output
    assert "Traceback" not in wrong.output
    malformed = runner.invoke(main, ["message", str(first), "bescheid", "--user", "sachbearbeitung",
                                     "--data", "{}", "--key", "aktenzeichen"])
    assert malformed.exit_code == 1 and "NAME=WERT" in malformed.output
    right = runner.invoke(main, ["message", str(first), "bescheid", "--user", "sachbearbeitung",
                                 "--data", '{"bewilligt": true}', "--key", "aktenzeichen=AZ-1"])
    assert right.exit_code == 0, right.output
    assert _data(collab, first)[0] == "completed"


def test_a_message_finds_its_round_by_correlation_alone(collab: Database) -> None:
    first, second = _file(collab, "AZ-1"), _file(collab, "AZ-2")
    with pytest.raises(Conflict, match="Kein laufender Vorgang wartet"):
        engine.deliver_correlated(collab, "bescheid", {"aktenzeichen": "AZ-7", "bewilligt": True}, "sachbearbeitung")
    with pytest.raises(Conflict, match="Kein laufender Vorgang wartet"):
        engine.deliver_correlated(collab, "antrag", {"aktenzeichen": "AZ-1"}, "sachbearbeitung")
    result = engine.deliver_correlated(collab, "bescheid", {"bewilligt": True}, "sachbearbeitung",
                                       correlation={"aktenzeichen": "AZ-2"}, process_key="antragsteller")
    assert result.instance_id == second and result.status == "completed"
    assert _data(collab, first)[0] == "running"


def test_the_web_form_takes_a_correlation_key(collab: Database) -> None:
    from tests.web.conftest import make_app

    first = _file(collab, "AZ-1")
    client = make_app(collab).test_client()
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    page = client.get(f"/instances/{first}").get_data(as_text=True)
    assert "Korrelationsschlüssel „aktenzeichen“" in page
    url = f"/instances/{first}/messages/bescheid"
    wrong = client.post(url, data={"_correlation.aktenzeichen": "AZ-2"})
    assert wrong.status_code == 409 and "gehört nicht zu diesem Vorgang" in wrong.get_data(as_text=True)
    assert _data(collab, first)[0] == "running"
    right = client.post(url, data={"_correlation.aktenzeichen": "AZ-1"})
    assert right.status_code == 303, right.get_data(as_text=True)[:500]
    assert _data(collab, first)[0] == "completed"
