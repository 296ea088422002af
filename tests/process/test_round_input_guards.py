"""Schema-valid input that would break a round is refused with a field pointer and a German message."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.web.grant_round import SB, deploy, one, prefill
from workflows import clock, engine
from workflows.engine import scripting
from workflows.errors import ProcessStepFailed, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import Landkreis


def _opening(db: Database, start: dict[str, object] | None = None) -> tuple[int, dict[str, object]]:
    deploy(db)
    engine.start_instance(db, "grant_round", "Runde", SB, start)
    task = one(db, SB, "runde_eroeffnen")
    return task.id, prefill(db, task.id, SB)


def _refused(db: Database, task_id: int, values: dict[str, object]) -> ValidationFailed:
    with pytest.raises(ValidationFailed) as caught:
        engine.complete_task(db, task_id, values, SB)
    assert one(db, SB, "runde_eroeffnen").id == task_id  # nothing moved
    return caught.value


@pytest.mark.parametrize("days", [0, -30])
def test_a_rueckmeldefrist_that_has_passed_is_refused(db: Database, days: int) -> None:
    task_id, values = _opening(db)
    error = _refused(db, task_id, {**values, "rueckmeldefrist": (clock.today() + timedelta(days=days)).isoformat()})
    assert [(e.pointer, e.message) for e in error.errors] == [
        ("/rueckmeldefrist", "Die Rückmeldefrist muss in der Zukunft liegen.")]


def _step_refused(db: Database, task_id: int, values: dict[str, object]) -> ProcessStepFailed:
    with pytest.raises(ProcessStepFailed) as caught:
        engine.complete_task(db, task_id, values, SB)
    assert one(db, SB, "runde_eroeffnen").id == task_id  # nothing moved
    return caught.value


def test_an_unknown_landkreis_is_refused_at_the_start_with_a_pointer_not_a_python_name(db: Database) -> None:
    deploy(db)
    with pytest.raises(ValidationFailed) as caught:
        engine.start_instance(db, "grant_round", "Runde", SB, {"landkreis": "atlantis"})
    assert [e.pointer for e in caught.value.errors] == ["/landkreis"]
    assert "Diesen Landkreis gibt es nicht" in caught.value.errors[0].message


def test_the_landkreis_is_the_started_one_whatever_the_opening_form_posts(db: Database) -> None:
    task_id, values = _opening(db)
    engine.complete_task(db, task_id, {**values, "landkreis": "atlantis"}, SB)  # readOnly: the prefill stands
    assert len(engine_rows(db, "rueckmeldung_abgeben")) == 51  # the Ortenaukreis's Gemeinden were asked


def test_a_landkreis_without_gemeinden_is_refused(db: Database) -> None:
    deploy(db)
    with db.write() as session:
        session.add(Landkreis(key="leer", name="Leerkreis"))
    task_id, values = _opening(db, {"landkreis": "leer"})
    error = _step_refused(db, task_id, values)
    assert [e.pointer for e in error.errors] == ["/landkreis"] and "keine Gemeinden" in error.message


def engine_rows(db: Database, element: str) -> list[object]:
    from sqlalchemy import select

    from workflows.storage.models import TaskRow

    with db.read() as session:
        return list(session.scalars(select(TaskRow.id).where(TaskRow.element_id == element)))


def test_an_empty_applicant_list_is_refused_by_the_form() -> None:
    import json
    from pathlib import Path

    from workflows.engine import forms

    schema = json.loads((Path(__file__).resolve().parents[2] / "forms/bewerbungen.schema.json").read_text())
    errors = forms.validation_errors(schema, {"bewerbungen": []})
    assert [e.pointer for e in errors] == ["/bewerbungen"] and "Mindestens 1" in errors[0].message


def test_the_rule_is_callable_from_the_sandbox() -> None:
    data = {"form": {"rueckmeldefrist": "2018-02-01"}}
    assert scripting.evaluate("runde_eroeffnen_fehler(form, '2018-01-01')", data) == {}


def test_the_rounds_dates_are_checked_in_order_beside_their_fields(db: Database) -> None:
    task_id, values = _opening(db)
    future = (clock.today() + timedelta(days=60)).isoformat()
    cases = [
        ({"foerderzeitraum_beginn": "2019-01-01", "foerderzeitraum_ende": "2018-12-31"}, "/foerderzeitraum_ende",
         "Das Ende des Förderzeitraums muss nach seinem Beginn (01.01.2019) liegen."),
        ({"stichtag": "2016-09-15"}, "/stichtag",
         "Der Stichtag muss im Förderzeitraum liegen (01.01.2017 bis 31.12.2018)."),
        ({"stichtag": "2018-12-01", "rueckmeldefrist": "2018-11-30"}, "/rueckmeldefrist",
         "Die Rückmeldefrist muss nach dem Stichtag (01.12.2018) liegen: die Gemeinden melden die Zahl "
         "dieses Tages."),
    ]
    for change, pointer, message in cases:
        error = _refused(db, task_id, {**values, "rueckmeldefrist": future, **change})
        assert [(e.pointer, e.message) for e in error.errors] == [(pointer, message)], change


def test_the_default_deadline_follows_the_rounds_own_stichtag() -> None:
    """Six weeks after the Stichtag for a round opened in time; four weeks from today when that has passed."""
    in_time = scripting.evaluate("runde_vorbelegung('2017-10-02')", {})
    assert (in_time["stichtag"], in_time["rueckmeldefrist"]) == ("2017-09-15", "2017-10-27")
    late = scripting.evaluate("runde_vorbelegung(today())", {})
    assert late["rueckmeldefrist"] == (clock.today() + timedelta(weeks=4)).isoformat()
    assert scripting.evaluate("runde_eroeffnen_fehler(form, '2017-10-02')", {"form": in_time}) == {}
