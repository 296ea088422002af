"""Inputs that used to answer 500: huge numbers, huge ids, failing title expressions, unbounded fields."""

from __future__ import annotations

import json

import pytest
from flask import Flask

from tests.conftest import FIXTURES
from tests.engine.helpers import START_DATA, ready_rows
from tests.web.conftest import make_app
from tests.web.grant_round import SB, deploy, open_round, prefill, ready
from workflows import engine
from workflows.engine import definitions
from workflows.errors import NotFound, ProcessStepFailed, ValidationFailed
from workflows.storage.db import Database

HUGE = 10**30
OFFENBURG = "offenburg"


@pytest.fixture
def round_db(db: Database) -> Database:
    deploy(db)
    open_round(db)
    return db


def test_a_huge_number_of_refugees_is_refused_with_a_field_message(round_db: Database) -> None:
    (task,) = ready(round_db, OFFENBURG, "rueckmeldung_abgeben")
    with pytest.raises(ValidationFailed) as caught:
        engine.complete_task(round_db, task.id, {"entscheidung": "uebertragung", "ansprechperson": "BM",
                                                 "anzahl_gefluechtete": HUGE}, OFFENBURG)
    assert [e.pointer for e in caught.value.errors] == ["/anzahl_gefluechtete"]
    assert "höchstens" in caught.value.errors[0].message


@pytest.mark.parametrize("value", [str(HUGE), "1E999999", "9" * 5000, "NaN"])
def test_huge_numbers_in_the_web_form_get_422_not_500(round_db: Database, value: str) -> None:
    (task,) = ready(round_db, OFFENBURG, "rueckmeldung_abgeben")
    client = make_app(round_db).test_client()
    with client.session_transaction() as session:
        session["user"] = OFFENBURG
    response = client.post(f"/tasks/{task.id}", data={"entscheidung": "uebertragung", "ansprechperson": "BM",
                                                      "anzahl_gefluechtete": value})
    assert response.status_code == 422
    assert ready(round_db, OFFENBURG, "rueckmeldung_abgeben")[0].id == task.id


def test_unbounded_periods_and_texts_are_refused(round_db: Database) -> None:
    """A Nachfrage period of 1e300 days, a text of a million characters."""
    engine.start_instance(round_db, "grant_round", "Zweite Runde", SB)
    (task,) = ready(round_db, SB, "runde_eroeffnen")
    values = prefill(round_db, task.id, SB)
    with pytest.raises(ValidationFailed) as caught:
        engine.complete_task(round_db, task.id, {**values, "bescheid_nachfrage_tage": 1e300}, SB)
    assert [e.pointer for e in caught.value.errors] == ["/bescheid_nachfrage_tage"]
    (answer,) = ready(round_db, OFFENBURG, "rueckmeldung_abgeben")
    with pytest.raises(ValidationFailed) as caught:
        engine.complete_task(round_db, answer.id, {"entscheidung": "uebertragung", "anzahl_gefluechtete": 3,
                                                   "ansprechperson": "x" * 1_000_000}, OFFENBURG)
    assert [e.pointer for e in caught.value.errors] == ["/ansprechperson"]


def test_every_form_bounds_its_numbers_and_texts() -> None:
    bundle = definitions.Bundle.from_directory(FIXTURES.parent.parent)

    def unbounded(node: object, path: str) -> list[str]:
        found: list[str] = []
        if isinstance(node, dict):
            kinds = node.get("type") if isinstance(node.get("type"), list) else [node.get("type")]
            fixed = {"enum", "const"} & set(node)
            if {"integer", "number"} & set(kinds) and not fixed and not {"maximum", "exclusiveMaximum"} & set(node):
                found.append(path)
            if "string" in kinds and not fixed and not {"maxLength", "format"} & set(node):
                found.append(path)
            for key, value in node.items():
                if key != "x-context":  # describes process data for display, not anything a person enters
                    found.extend(unbounded(value, f"{path}/{key}"))
        return found

    problems = [f"{name}{p}" for name, content in bundle.files.items() if name.startswith("forms/")
                for p in unbounded(json.loads(content), "")]
    assert problems == []


@pytest.mark.parametrize("path", ["/documents/{n}", "/tasks/{n}", "/instances/{n}", "/instances/{n}/diagram.svg"])
def test_a_twenty_digit_id_is_not_found(app: Flask, path: str) -> None:
    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    assert client.get(path.format(n="9" * 20)).status_code == 404


def test_the_engine_does_not_find_a_twenty_digit_id(mini_db: Database) -> None:
    with pytest.raises(NotFound):
        engine.complete_task(mini_db, 10**20, {}, "sachbearbeitung")
    with pytest.raises(NotFound):
        engine.cancel_instance(mini_db, 10**20, "sachbearbeitung", "weil")


def _mini_with_property(db: Database, old: str, new: str) -> None:
    bundle = definitions.Bundle.from_directory(FIXTURES / "mini")
    path = "bpmn/mini_round.bpmn"
    text = bundle.files[path].decode()
    assert old in text
    with db.write() as session:
        definitions.deploy(session, bundle.with_file(path, text.replace(old, new).encode()), "test")


def test_a_failing_title_expression_falls_back_to_the_step_name(db: Database) -> None:
    _mini_with_property(db, "'Rückmeldung ' + gemeinde['name']", "'Rückmeldung ' + gemeinde['gibt_es_nicht']")
    result = engine.start_instance(db, "mini_round", "Runde", "sachbearbeitung", START_DATA)
    titles = {row.title for row in ready_rows(db, result.instance_id)}
    assert titles == {"Rückmeldung"}


def test_a_failing_assignee_expression_refuses_the_step(db: Database) -> None:
    _mini_with_property(db, "gemeinde['ags']", "gemeinde['gibt_es_nicht']")
    with pytest.raises(ProcessStepFailed) as caught:
        engine.start_instance(db, "mini_round", "Runde", "sachbearbeitung", START_DATA)
    assert "assigneeGemeinde" in caught.value.message and "nichts gespeichert" in caught.value.message

