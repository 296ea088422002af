"""Call activities as child instances (SQLite and PostgreSQL): start, hand back, cancel, errors,
timers, children ending together, a restart in between, and who may reach a child.

The fixture `tests/fixtures/children`: `eltern_runde` calls `kind_abfrage` once per Gemeinde
(multi-instance), with an interrupting timer and an error boundary event on the call activity;
the child has a Gemeinde task with a reminder timer and an error end event (more than 500).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import gemeinde_user
from tests.engine.test_concurrency import _race
from workflows import engine, inbox, jobs
from workflows.engine import definitions
from workflows.errors import Conflict, Forbidden, InvalidDefinition, NotFound
from workflows.storage.db import Database
from workflows.storage.models import Event, Job, Notification, ProcessInstance, TaskRow

START = {"landkreis": "ortenaukreis", "frist": "2030-01-31", "anzahl_gemeinden": 3}
ANSWER = {"entscheidung": "uebertragen", "anzahl": 5}


@pytest.fixture
def kids_db(db: Database) -> Database:
    deploy_dir(db, FIXTURES / "children")
    return db


def start(db: Database, n: int = 3, key: str = "Runde") -> int:
    return engine.start_instance(db, "eltern_runde", key, "sachbearbeitung",
                                 dict(START, anzahl_gemeinden=n)).instance_id


def children_of(db: Database, parent_id: int) -> list[ProcessInstance]:
    with db.read() as session:
        return list(session.scalars(select(ProcessInstance).where(ProcessInstance.parent_id == parent_id)
                                    .order_by(ProcessInstance.id)))


def rows_of(db: Database, instance_id: int, status: str = "ready") -> list[TaskRow]:
    with db.read() as session:
        return list(session.scalars(select(TaskRow).where(TaskRow.instance_id == instance_id,
                                                          TaskRow.status == status).order_by(TaskRow.id)))


def instance(db: Database, instance_id: int) -> ProcessInstance:
    with db.read() as session:
        found = session.get(ProcessInstance, instance_id)
        assert found is not None
        return found


def answer(db: Database, child: ProcessInstance, data: dict[str, object] = ANSWER) -> None:
    (row,) = rows_of(db, child.id)
    engine.complete_task(db, row.id, data, gemeinde_user(db, row.assignee_gemeinde or ""))


def test_each_call_is_a_child_instance_with_only_its_declared_data(kids_db: Database) -> None:
    parent_id = start(kids_db)
    kids = children_of(kids_db, parent_id)
    assert len(kids) == 3 and {k.status for k in kids} == {"running"}
    assert {k.root_id for k in kids} == {parent_id} and {k.call_element for k in kids} == {"abfragen"}
    assert kids[0].business_key == "Runde – Abfrage Achern" and kids[0].process_key == "kind_abfrage"
    assert rows_of(kids_db, parent_id) == []  # the Gemeinde tasks belong to the children
    for kid in kids:
        (row,) = rows_of(kids_db, kid.id)
        assert row.lane == "Gemeinde" and row.due_at is not None
        state = json.loads(kid.state)
        data_keys = set().union(*(t["data"] for t in state["tasks"].values()))
        assert {"gemeinde", "frist", "erinnerung"} <= data_keys and "gemeinden" not in data_keys
        assert kid.next_timer_at is not None  # its own reminder
    specs = [t["task_spec"] for t in json.loads(instance(kids_db, parent_id).state)["tasks"].values()]
    assert specs.count("abfragen") == 1 and "abfragen [child]" not in specs  # one task waits for all three calls
    assert [k.call_slot for k in kids] == ["0", "1", "2"] and len({k.parent_task_id for k in kids}) == 1
    parent_version = instance(kids_db, parent_id).version
    answer(kids_db, kids[0])
    answer(kids_db, kids[1], {"entscheidung": "selbst", "anzahl": 7})
    assert instance(kids_db, parent_id).version == parent_version  # the others' steps leave the round alone
    assert instance(kids_db, kids[0].id).status == "completed"
    answer(kids_db, kids[2], {"entscheidung": "uebertragen", "anzahl": 9})
    (closing,) = rows_of(kids_db, parent_id)
    assert closing.element_id == "abschluss"
    detail = inbox.get_instance(kids_db, parent_id, "sachbearbeitung")
    assert detail.data["total"] == 21
    assert [a["anzahl"] for a in detail.data["antworten"]] == [5, 7, 9]  # in call order
    with kids_db.read() as session:
        returned = session.scalars(select(Event.payload).where(Event.instance_id == parent_id,
                                                               Event.kind == "child_returned")).all()
        started = session.scalar(select(func.count()).select_from(Event).where(
            Event.kind == "instance_started", Event.instance_id.in_([k.id for k in kids])))
    assert sorted(p["child"] for p in returned) == [k.id for k in kids] and started == 3
    tasks = json.loads(instance(kids_db, parent_id).state)["tasks"].values()
    call_tasks = [t for t in tasks if t["task_spec"] in ("abfragen", "abfragen [child]")]
    assert [t["task_spec"] for t in call_tasks] == ["abfragen"]  # the finished calls' instance tasks are gone
    assert "merged" not in call_tasks[0]["internal_data"]
    engine.complete_task(kids_db, closing.id, {"freigabe": "ja"}, "sachbearbeitung")
    finished = instance(kids_db, parent_id)
    assert finished.status == "completed"
    state = json.loads(finished.state)  # a finished round keeps its data once, its tree without copies
    assert state["data"]["total"] == 21 and all(not t["delta"] and not t["data"] for t in state["tasks"].values())
    detail = inbox.get_instance(kids_db, parent_id, "sachbearbeitung")
    assert detail.data["total"] == 21 and {"prepare", "abfragen"} <= set(detail.completed_elements)


def test_cancelling_the_parent_cancels_its_children_and_their_tasks(kids_db: Database) -> None:
    parent_id = start(kids_db)
    kids = children_of(kids_db, parent_id)
    answer(kids_db, kids[0])
    with pytest.raises(Conflict, match="Teilvorgang"):
        engine.cancel_instance(kids_db, kids[1].id, "sachbearbeitung", "nur dieser")
    engine.cancel_instance(kids_db, parent_id, "sachbearbeitung", "Runde entfällt")
    statuses = [instance(kids_db, k.id).status for k in kids]
    assert statuses == ["completed", "cancelled", "cancelled"]
    assert all(rows_of(kids_db, k.id) == [] for k in kids)
    assert len(rows_of(kids_db, kids[1].id, "cancelled")) == 1


def test_an_error_end_event_in_a_child_reaches_the_error_boundary_event(kids_db: Database) -> None:
    parent_id = start(kids_db)
    kids = children_of(kids_db, parent_id)
    answer(kids_db, kids[0])
    answer(kids_db, kids[1], {"entscheidung": "uebertragen", "anzahl": 600})
    (check,) = rows_of(kids_db, parent_id)
    assert check.element_id == "fehler_pruefen"
    assert [instance(kids_db, k.id).status for k in kids] == ["completed", "completed", "cancelled"]
    with kids_db.read() as session:
        (returned,) = session.scalars(select(Event.payload).where(Event.instance_id == parent_id,
                                                                  Event.kind == "child_returned")).all()
    assert returned["child"] == kids[1].id and returned["error"]["code"] == "zu_viele"


def test_timers_fire_in_children_and_a_boundary_timer_on_the_call_cancels_them(kids_db: Database) -> None:
    parent_id = start(kids_db)
    kids = children_of(kids_db, parent_id)
    answer(kids_db, kids[0])
    reminded = engine.fire_due_timers(kids_db, now=datetime(2030, 1, 31, 8, 0, tzinfo=UTC))
    assert reminded == 2  # the two children still waiting; the round's own timer is not due yet
    with kids_db.read() as session:
        notes = session.scalars(select(Notification.recipient_gemeinde).order_by(Notification.id)).all()
    assert notes == [rows_of(kids_db, k.id)[0].assignee_gemeinde for k in kids[1:]]
    assert engine.fire_due_timers(kids_db, now=datetime(2030, 1, 31, 12, 0, tzinfo=UTC)) == 1
    assert instance(kids_db, parent_id).status == "completed"  # ended at "Frist abgelaufen"
    assert [instance(kids_db, k.id).status for k in kids] == ["completed", "cancelled", "cancelled"]
    assert engine.fire_due_timers(kids_db, now=datetime(2031, 1, 1, tzinfo=UTC)) == 0


@pytest.mark.timeout(120)
def test_children_ending_at_the_same_moment_both_land(kids_db: Database) -> None:
    for _round in range(3):
        parent_id = start(kids_db, n=2, key=f"Runde {_round}")
        calls: list[tuple[int, dict[str, object], str]] = []
        for kid in children_of(kids_db, parent_id):
            (row,) = rows_of(kids_db, kid.id)
            calls.append((row.id, ANSWER, gemeinde_user(kids_db, row.assignee_gemeinde or "")))
        results = _race(kids_db, calls)
        assert all(isinstance(r, engine.StepResult) for r in results), results
        (closing,) = rows_of(kids_db, parent_id)
        assert closing.element_id == "abschluss"
        assert inbox.get_instance(kids_db, parent_id, "sachbearbeitung").data["total"] == 10
        engine.cancel_instance(kids_db, parent_id, "sachbearbeitung", "nächste Runde")


def test_a_restart_between_a_childs_end_and_the_parents_next_step(kids_db: Database) -> None:
    """The last child ends in a separate `grantflow complete` process; the round then goes on."""
    from tests.engine.test_cli_and_restart import run

    parent_id = start(kids_db)
    kids = children_of(kids_db, parent_id)
    answer(kids_db, kids[0])
    answer(kids_db, kids[1])
    kids_db.dispose()
    (row,) = rows_of(kids_db, kids[2].id)
    run(kids_db, "complete", str(row.id), "--user", gemeinde_user(kids_db, row.assignee_gemeinde or ""),
        "--data", json.dumps(ANSWER))
    kids_db.dispose()
    fresh = Database(kids_db.url)
    (closing,) = rows_of(fresh, parent_id)
    assert closing.element_id == "abschluss"
    assert inbox.get_instance(fresh, parent_id, "sachbearbeitung").data["total"] == 15
    fresh.dispose()


def test_a_gemeinde_reaches_only_its_own_child(kids_db: Database) -> None:
    parent_id = start(kids_db)
    mine, other = children_of(kids_db, parent_id)[:2]
    (my_row,) = rows_of(kids_db, mine.id)
    (other_row,) = rows_of(kids_db, other.id)
    user = gemeinde_user(kids_db, my_row.assignee_gemeinde or "")
    assert [t.id for t in inbox.list_tasks(kids_db, user, instance_id=parent_id).items] == [my_row.id]
    assert inbox.get_instance(kids_db, mine.id, user).instance.id == mine.id
    with pytest.raises(NotFound):
        inbox.get_instance(kids_db, other.id, user)
    with pytest.raises(NotFound):
        inbox.get_task(kids_db, other_row.id, user)
    with pytest.raises(Forbidden, match="anderen Gemeinde"):
        engine.complete_task(kids_db, other_row.id, ANSWER, user)
    assert instance(kids_db, other.id).status == "running"


def test_deploy_refuses_a_call_activity_to_a_process_without_io_specification(tmp_path: Path) -> None:
    bundle = definitions.Bundle.from_directory(FIXTURES / "children")
    child = bundle.files["bpmn/kind.bpmn"].decode()
    start_io, end_io = child.index("<bpmn:ioSpecification>"), child.index("</bpmn:ioSpecification>")
    stripped = child[:start_io] + child[end_io + len("</bpmn:ioSpecification>"):]
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(bundle.with_file("bpmn/kind.bpmn", stripped.encode()))
    (problem,) = caught.value.problems
    assert problem.file == "bpmn/eltern.bpmn" and problem.element_id == "abfragen"
    assert "keine ioSpecification" in problem.message and "kind_abfrage" in problem.message
    assert "bpmn/kind.bpmn" in problem.message and "dataInput" in problem.message


def store_old_version(db: Database, parser: Any) -> None:
    """Version 1 of the fixture as an older deploy stored it: its spec as `parser` (that deploy's) parses it."""
    from workflows.engine.spiff import specs_to_json
    from workflows.storage.models import ProcessDefinition

    (compiled,) = definitions.compile_bundle(definitions.Bundle.from_directory(FIXTURES / "children"))
    parser.add_bpmn_files(sorted(str(p) for p in (FIXTURES / "children" / "bpmn").glob("*.bpmn")))
    old_spec = specs_to_json(parser.get_spec("eltern_runde"), parser.get_subprocess_specs("eltern_runde"))
    with db.write() as session:
        session.add(ProcessDefinition(key="eltern_runde", version=1, name=compiled.name, content_hash="old",
                                      sources=compiled.sources, forms=compiled.forms,
                                      message_schemas=compiled.message_schemas, spec_json=old_spec))


def test_a_round_stored_before_the_change_finishes_embedded_on_its_version(db: Database) -> None:
    """A version stored by the old deploy (plain CallActivity) keeps running its calls inside the round."""
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

    store_old_version(db, SpiffBpmnParser(validator=VALIDATOR))  # what deploy used before child instances
    old_round = start(db, n=2)
    assert children_of(db, old_round) == [] and len(rows_of(db, old_round)) == 2  # embedded, as before
    (outcome,) = deploy_dir(db, FIXTURES / "children")
    assert outcome.version == 2 and outcome.created
    new_round = start(db, n=2, key="Neue Runde")
    assert len(children_of(db, new_round)) == 2
    for row in rows_of(db, old_round):
        engine.complete_task(db, row.id, ANSWER, gemeinde_user(db, row.assignee_gemeinde or ""))
    (closing,) = rows_of(db, old_round)
    engine.complete_task(db, closing.id, {"freigabe": "ja"}, "sachbearbeitung")
    assert instance(db, old_round).status == "completed" and children_of(db, old_round) == []
    assert inbox.get_instance(db, old_round, "sachbearbeitung").data["total"] == 10


def test_a_round_stored_with_a_task_per_call_finishes(db: Database) -> None:
    """Rounds stored before the calls of a multi-instance activity shared one task keep a task per
    call (some still with a copy of their item, from before the items were given away): their
    children hand back as ever."""
    from SpiffWorkflow.bpmn.parser.util import full_tag
    from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser
    from SpiffWorkflow.spiff.parser.task_spec import CallActivityParser

    from workflows.engine import spiff_children

    class TaskPerCallParser(SpiffBpmnParser):  # what deploy used before ChildMultiCall
        OVERRIDE_PARSER_CLASSES = {**SpiffBpmnParser.OVERRIDE_PARSER_CLASSES,  # noqa: RUF012
                                   full_tag("callActivity"): (CallActivityParser, spiff_children.ChildCallActivity)}

    store_old_version(db, TaskPerCallParser(validator=VALIDATOR))
    parent_id = start(db)
    kids = children_of(db, parent_id)
    assert [k.call_slot for k in kids] == [None, None, None] and len({k.parent_task_id for k in kids}) == 3
    with db.write() as session:
        row = session.get(ProcessInstance, parent_id)
        assert row is not None
        state = json.loads(row.state)
        waiting = [t for t in state["tasks"].values() if t["task_spec"] == "abfragen [child]"]
        for task, kid in zip(waiting, kids, strict=True):
            task["delta"]["updates"]["gemeinde"] = {"name": kid.business_key}  # as the oldest layout kept it
        row.state = json.dumps(state)
    for kid, anzahl in zip(kids, (1, 2, 3), strict=True):
        answer(db, kid, {"entscheidung": "uebertragen", "anzahl": anzahl})
    (closing,) = rows_of(db, parent_id)
    assert closing.element_id == "abschluss"
    assert inbox.get_instance(db, parent_id, "sachbearbeitung").data["total"] == 6


@pytest.fixture
def later_db(db: Database) -> Database:
    """The fixture with `asyncReturn` on the call activity, and a count that fails if the first answer is 5."""
    bundle = definitions.Bundle.from_directory(FIXTURES / "children")
    parent = bundle.files["bpmn/eltern.bpmn"].decode()
    parent = parent.replace('<spiffworkflow:property name="childTitle"',
                            '<spiffworkflow:property name="asyncReturn" value="true" />\n'
                            '          <spiffworkflow:property name="childTitle"')
    parent = parent.replace("total = sum(a['anzahl'] for a in antworten)",
                            "total = sum(a['anzahl'] for a in antworten) // (antworten[0]['anzahl'] - 5)")
    with db.write() as session:
        definitions.deploy(session, bundle.with_file("bpmn/eltern.bpmn", parent.encode()), "test")
    return db


def test_a_call_with_async_return_hands_back_in_a_job_after_the_last_answer(later_db: Database) -> None:
    parent_id = start(later_db, n=2)
    kids = children_of(later_db, parent_id)
    before = instance(later_db, parent_id).version
    answer(later_db, kids[0], {"entscheidung": "uebertragen", "anzahl": 6})
    answer(later_db, kids[1], {"entscheidung": "uebertragen", "anzahl": 9})
    assert instance(later_db, parent_id).version == before  # the last answer wrote its own Abfrage only
    with later_db.read() as session:
        (job,) = session.scalars(select(Job).where(Job.kind == "child_hand_back")).all()
        assert job.instance_id == parent_id and job.payload["child"] == kids[1].id
    jobs.run_worker(later_db, once=True)
    (closing,) = rows_of(later_db, parent_id)
    assert closing.element_id == "abschluss"
    assert inbox.get_instance(later_db, parent_id, "sachbearbeitung").data["total"] == 15
    with later_db.read() as session:
        assert session.scalar(select(Job.status).where(Job.kind == "child_hand_back")) == "done"
        returned = session.scalars(select(Event.payload).where(Event.kind == "child_returned")).all()
    assert sorted(p["child"] for p in returned) == [k.id for k in kids]


def test_a_failure_after_an_async_return_is_the_rounds_not_the_gemeindes(later_db: Database) -> None:
    """The round's count divides by zero: the Gemeinde's answer stands, the hand-back job fails (a
    Störung after its last attempt) with the cause in German, and the round waits, unchanged."""
    parent_id = start(later_db, n=1)
    (kid,) = children_of(later_db, parent_id)
    before = instance(later_db, parent_id).version
    answer(later_db, kid, {"entscheidung": "uebertragen", "anzahl": 5})
    assert instance(later_db, kid.id).status == "completed"
    jobs.run_worker(later_db, once=True)
    with later_db.read() as session:
        job = session.scalars(select(Job).where(Job.kind == "child_hand_back")).one()
        assert job.status in jobs.OPEN_STATUSES and job.attempts == 1
        assert "Division durch null" in (job.last_error or "") and "Zählen" in (job.last_error or "")
    assert instance(later_db, parent_id).version == before and rows_of(later_db, parent_id) == []


def test_a_restart_between_an_async_childs_end_and_the_hand_back(later_db: Database) -> None:
    """The last answer's process ends with the hand-back queued; a new `grantflow worker` process does it."""
    from tests.engine.test_cli_and_restart import run

    parent_id = start(later_db, n=1)
    (kid,) = children_of(later_db, parent_id)
    answer(later_db, kid, {"entscheidung": "uebertragen", "anzahl": 7})
    later_db.dispose()
    run(later_db, "worker", "--once")
    fresh = Database(later_db.url)
    (closing,) = rows_of(fresh, parent_id)
    assert closing.element_id == "abschluss"
    assert inbox.get_instance(fresh, parent_id, "sachbearbeitung").data["total"] == 3  # 7 // (7 - 5)
    fresh.dispose()
