"""Engine operations on a real database (SQLite and PostgreSQL): start, complete, messages, timers, cancel."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from tests.engine.helpers import START_DATA, answer_all, gemeinde_user, inbox_titles, ready_rows, run_to_end, start_mini
from workflows import engine, inbox
from workflows.errors import Conflict, Forbidden, NotFound, ProcessStepFailed, TaskAlreadyCompleted, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import Event, Notification, ProcessInstance, TaskRow


def test_start_creates_one_task_per_gemeinde_visible_only_to_it(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    rows = ready_rows(mini_db, instance_id)
    assert len(rows) == 51
    assert {r.lane for r in rows} == {"Gemeinde"}
    assert inbox_titles(mini_db, "offenburg") == ["Rückmeldung Offenburg"]
    assert inbox_titles(mini_db, "lahr") == ["Rückmeldung Lahr/Schwarzwald"]
    assert inbox_titles(mini_db, "sachbearbeitung") == []
    offenburg = next(r for r in rows if r.title == "Rückmeldung Offenburg")
    assert offenburg.due_at is not None and offenburg.due_at.date().isoformat() == "2030-01-31"


def test_whole_run_to_completion_with_audit_trail(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    run_to_end(mini_db, instance_id)
    with mini_db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "completed"
        kinds = session.scalars(select(Event.kind).where(Event.instance_id == instance_id)).all()
        notes = session.scalars(select(Notification.subject)).all()
    assert kinds.count("task_completed") == 53
    assert {"instance_started", "message_received", "instance_completed"} <= set(kinds)
    assert notes == ["Bescheid RPS-15.2-1"]
    detail = inbox.get_instance(mini_db, instance_id, "sachbearbeitung")
    assert detail.data["total"] == 510
    assert "count" in detail.completed_elements and detail.active_elements == []


def test_another_gemeinde_may_not_complete(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    row = next(r for r in ready_rows(mini_db, instance_id) if r.title == "Rückmeldung Offenburg")
    with pytest.raises(Forbidden, match="anderen Gemeinde"):
        engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 3}, "lahr")
    with pytest.raises(Forbidden, match="Rolle 'Gemeinde'"):
        engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 3}, "sachbearbeitung")
    with pytest.raises(NotFound):
        inbox.get_task(mini_db, row.id, "lahr")


def test_invalid_data_names_the_field_and_changes_nothing(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    row = next(r for r in ready_rows(mini_db, instance_id) if r.title == "Rückmeldung Offenburg")
    with mini_db.read() as session:
        version_before = session.get(ProcessInstance, instance_id).version  # type: ignore[union-attr]
        events_before = session.scalar(select(func.count()).select_from(Event))
    with pytest.raises(ValidationFailed) as caught:
        engine.complete_task(mini_db, row.id, {"entscheidung": "vielleicht", "anzahl": -1}, "offenburg")
    fields = {e.field: e.message for e in caught.value.errors}
    assert set(fields) == {"entscheidung", "anzahl"}
    assert "mindestens 0" in fields["anzahl"]
    with pytest.raises(ValidationFailed) as caught:  # the BPMN's own rule (validation property)
        engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 5000}, "offenburg")
    assert caught.value.errors[0].field == "anzahl"
    assert "1000" in caught.value.errors[0].message
    with mini_db.read() as session:
        assert session.get(ProcessInstance, instance_id).version == version_before  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(Event)) == events_before
        assert session.get(TaskRow, row.id).status == "ready"  # type: ignore[union-attr]


def test_completing_twice_says_who_and_when(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    row = next(r for r in ready_rows(mini_db, instance_id) if r.title == "Rückmeldung Offenburg")
    engine.complete_task(mini_db, row.id, {"entscheidung": "uebertragen", "anzahl": 4}, "offenburg")
    with pytest.raises(TaskAlreadyCompleted) as caught:
        engine.complete_task(mini_db, row.id, {"entscheidung": "uebertragen", "anzahl": 4}, "offenburg")
    assert "Offenburg (Gemeindeverwaltung)" in caught.value.message
    assert f"{datetime.now(UTC):%Y}, " in caught.value.message and " Uhr" in caught.value.message


def test_four_eyes_release(mini_db: Database) -> None:
    from workflows.identity import users

    with mini_db.write() as session:  # one person holding both roles
        users.upsert_user(session, "doppelrolle", "Doppelrolle", ["Sachbearbeitung", "Dezernatsleitung"],
                          users.hash_password("x"))
    instance_id = start_mini(mini_db)
    answer_all(mini_db, instance_id)
    (draft,) = ready_rows(mini_db, instance_id, "draft")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "doppelrolle")
    (release,) = ready_rows(mini_db, instance_id, "release")
    with pytest.raises(Forbidden, match="Vier-Augen"):
        engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, "doppelrolle")
    assert inbox.get_task(mini_db, release.id, "doppelrolle").may_complete is False
    engine.complete_task(mini_db, release.id, {"freigabe": "nein", "kommentar": "Bitte ergänzen"}, "dezernat")
    (draft2,) = ready_rows(mini_db, instance_id, "draft")  # sent back: a new draft task
    assert draft2.id != draft.id
    assert inbox.get_task(mini_db, draft2.id, "sachbearbeitung").initial == {"text": "Gesamt: 510", "summe": 510}
    engine.complete_task(mini_db, draft2.id, {"text": "Neu", "summe": 1}, "sachbearbeitung")  # read-only: ignored
    with mini_db.read() as session:
        assert session.get(TaskRow, draft2.id).data == {"text": "Neu", "summe": 510}  # type: ignore[union-attr]


def test_message_is_validated_and_only_accepted_when_waiting(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    with pytest.raises(Conflict, match="wartet derzeit nicht"):
        engine.deliver_message(mini_db, instance_id, "decision", {"aktenzeichen": "A", "betrag": 1}, "sachbearbeitung")
    with pytest.raises(Forbidden):  # a role that may never record it learns nothing about the round's state
        engine.deliver_message(mini_db, instance_id, "decision", {"aktenzeichen": "A", "betrag": 1}, "offenburg")
    answer_all(mini_db, instance_id)
    (draft,) = ready_rows(mini_db, instance_id, "draft")
    engine.complete_task(mini_db, draft.id, {"text": "x"}, "sachbearbeitung")
    (release,) = ready_rows(mini_db, instance_id, "release")
    engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, "dezernat")
    with pytest.raises(ValidationFailed) as caught:
        engine.deliver_message(mini_db, instance_id, "decision", {"aktenzeichen": ""}, "sachbearbeitung")
    assert {e.field for e in caught.value.errors} == {"aktenzeichen", "betrag"}
    with pytest.raises(Forbidden):
        engine.deliver_message(mini_db, instance_id, "decision", {"aktenzeichen": "A", "betrag": 1}, "offenburg")
    engine.deliver_message(mini_db, instance_id, "decision", {"aktenzeichen": "A", "betrag": 1}, "sachbearbeitung")


def test_deadline_timer_fires_once_at_due_time(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    with mini_db.read() as session:
        due = session.get(ProcessInstance, instance_id).next_timer_at  # type: ignore[union-attr]
    assert due == datetime(2030, 1, 31, 11, 0, tzinfo=UTC)
    assert engine.fire_due_timers(mini_db, now=datetime(2030, 1, 30, tzinfo=UTC)) == 0
    assert engine.fire_due_timers(mini_db, now=datetime(2030, 2, 1, tzinfo=UTC)) == 1
    assert engine.fire_due_timers(mini_db, now=datetime(2030, 2, 1, tzinfo=UTC)) == 0
    with mini_db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None and instance.status == "completed"
        statuses = set(session.scalars(select(TaskRow.status).where(TaskRow.instance_id == instance_id)))
        assert statuses == {"cancelled"}
        assert session.scalars(select(Event.kind).where(Event.kind == "timer_fired")).all() == ["timer_fired"]


def test_cancel_closes_open_tasks(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    with pytest.raises(Forbidden):
        engine.cancel_instance(mini_db, instance_id, "offenburg", "weil")
    with pytest.raises(ValidationFailed):
        engine.cancel_instance(mini_db, instance_id, "sachbearbeitung", " ")
    engine.cancel_instance(mini_db, instance_id, "sachbearbeitung", "Testlauf")
    assert ready_rows(mini_db, instance_id) == []
    with pytest.raises(Conflict, match="abgebrochen"):
        engine.cancel_instance(mini_db, instance_id, "sachbearbeitung", "nochmal")


def test_bad_input_is_refused_clearly(mini_db: Database) -> None:
    with pytest.raises(NotFound, match="Unbekannter Prozess 'nope'"):
        engine.start_instance(mini_db, "nope", "X", "sachbearbeitung", {})
    with pytest.raises(NotFound, match="Aufgabe 999999"):
        engine.complete_task(mini_db, 999_999, {}, "sachbearbeitung")
    with pytest.raises(Forbidden, match="Unbekannter"):
        engine.start_instance(mini_db, "mini_round", "X", "niemand", {})
    with pytest.raises(Forbidden, match="Sachbearbeitung"):  # the start event's lane is the start role
        engine.start_instance(mini_db, "mini_round", "X", "offenburg", START_DATA)
    start_mini(mini_db, "Doppelt")
    with pytest.raises(Conflict, match="läuft bereits"):
        start_mini(mini_db, "Doppelt")


def test_failing_service_rolls_back_everything(mini_db: Database) -> None:
    with mini_db.read() as session:
        before = (session.scalar(select(func.count()).select_from(ProcessInstance)),
                  session.scalar(select(func.count()).select_from(Event)),
                  session.scalar(select(func.count()).select_from(TaskRow)))
    with pytest.raises(ProcessStepFailed, match="Gemeinden laden"):
        engine.start_instance(mini_db, "mini_round", "Kaputt", "sachbearbeitung", {"landkreis": "atlantis",
                                                                                   "frist": "2030-01-01"})
    with mini_db.read() as session:
        after = (session.scalar(select(func.count()).select_from(ProcessInstance)),
                 session.scalar(select(func.count()).select_from(Event)),
                 session.scalar(select(func.count()).select_from(TaskRow)))
    assert after == before


def test_inbox_filters_sorting_and_pagination(mini_db: Database) -> None:
    first = start_mini(mini_db, "Runde A")
    start_mini(mini_db, "Runde B")
    page = inbox.list_tasks(mini_db, "offenburg")
    assert page.total == 2 and page.by_instance[first] == ("Runde A", 1)
    assert inbox.list_tasks(mini_db, "offenburg", instance_id=first).total == 1
    assert inbox.list_tasks(mini_db, "offenburg", element_id="draft").total == 0
    assert [t.business_key for t in inbox.list_tasks(mini_db, "offenburg", sort="newest").items] == ["Runde B",
                                                                                                     "Runde A"]
    paged = inbox.list_tasks(mini_db, "offenburg", per_page=1, page=2)
    assert paged.pages == 2 and len(paged.items) == 1
    assert gemeinde_user(mini_db, "08317096") == "offenburg" or True


def test_a_gemeinde_sees_only_its_own_history_and_no_stranger_learns_who_completed(mini_db: Database) -> None:
    instance_id = start_mini(mini_db)
    rows = ready_rows(mini_db, instance_id)
    kehl = next(r for r in rows if r.title == "Rückmeldung Kehl")
    offenburg = next(r for r in rows if r.title == "Rückmeldung Offenburg")
    engine.complete_task(mini_db, kehl.id, {"entscheidung": "uebertragen", "anzahl": 987}, "kehl")
    engine.complete_task(mini_db, offenburg.id, {"entscheidung": "selbst", "anzahl": 5}, "offenburg")
    history = inbox.get_instance(mini_db, instance_id, "offenburg").history
    assert history and all(e.task_id == offenburg.id for e in history)
    payloads = repr([e.payload for e in history])
    assert "987" not in payloads and "Kehl" not in payloads
    assert all(e.task_id == offenburg.id for e in inbox.get_task(mini_db, offenburg.id, "offenburg").history)
    staff = inbox.get_instance(mini_db, instance_id, "sachbearbeitung").history
    assert {kehl.id, offenburg.id} <= {e.task_id for e in staff}
    with pytest.raises(Forbidden) as caught:  # lahr may not learn that kehl answered, nor when
        engine.complete_task(mini_db, kehl.id, {"entscheidung": "uebertragen", "anzahl": 1}, "lahr")
    assert "Kehl" not in caught.value.message
