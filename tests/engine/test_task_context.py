"""A user task's declared context: what its page, the API and the prefill show, and what deploy refuses."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES
from tests.engine.helpers import gemeinde_user, ready_rows, start_mini
from workflows import inbox
from workflows.engine import definitions
from workflows.engine.context import data_names, parse
from workflows.errors import InvalidDefinition
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow

MINI = definitions.Bundle.from_directory(FIXTURES / "mini")


def _with(bundle: definitions.Bundle, name: str, old: str, new: str) -> definitions.Bundle:
    text = bundle.files[name].decode()
    assert old in text
    return bundle.with_file(name, text.replace(old, new).encode())


def test_a_title_reading_undeclared_data_is_refused_in_german_and_nothing_is_deployed(db: Database) -> None:
    bundle = _with(MINI, "bpmn/mini_round.bpmn", 'name="context" value="gemeinde, frist"',
                   'name="context" value="frist"')
    with pytest.raises(InvalidDefinition) as caught, db.write() as session:
        definitions.deploy(session, bundle, "test")
    (problem,) = caught.value.problems
    assert problem.element_id == "answer" and problem.file == "bpmn/mini_round.bpmn" and problem.line
    assert problem.message.startswith("Der Titel liest Daten, die der Kontext der Aufgabe nicht nennt: gemeinde.")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_a_prefill_reading_undeclared_data_and_a_bad_context_are_refused() -> None:
    bundle = _with(MINI, "bpmn/mini_round.bpmn", 'name="context" value="total"', 'name="context" value=""')
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(bundle)
    assert [p.message.split(":")[0] for p in caught.value.problems] == [
        "Die Vorbelegung des Formulars liest Daten, die der Kontext der Aufgabe nicht nennt"]
    bad = _with(MINI, "bpmn/mini_round.bpmn", 'name="context" value="total"', "name=\"context\" value=\"total['x']\"")
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(bad)
    assert "Eigenschaft 'context' abgelehnt" in caught.value.problems[0].message
    assert "name=Ausdruck" in caught.value.problems[0].message
    sandboxed = _with(MINI, "bpmn/mini_round.bpmn", 'name="context" value="total"',
                      "name=\"context\" value=\"total, x=__import__('os')\"")
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(sandboxed)
    assert "Eigenschaft 'context' abgelehnt (x)" in caught.value.problems[0].message


def test_names_called_as_functions_and_bound_in_comprehensions_are_no_data() -> None:
    assert data_names("f(a, dict(b, c=d)) + [x['v'] for x in e] + today()") == {"a", "b", "d", "e"}
    assert data_names("form['x'] + g") == {"g"}
    spec = parse("stelle, nr=stelle['stelle_nr']")
    assert spec.names == ("stelle",) and spec.expressions == (("nr", "stelle['stelle_nr']"),)


def test_the_task_shows_its_declared_context_and_nothing_else(mini_db: Database) -> None:
    round_id = start_mini(mini_db)
    row = ready_rows(mini_db, round_id, "answer")[0]
    detail = inbox.get_task(mini_db, row.id, gemeinde_user(mini_db, str(row.assignee_gemeinde)))
    assert set(detail.context) == {"gemeinde", "frist"}  # the round's other Gemeinden are not in it
    assert detail.context["gemeinde"]["ags"] == row.assignee_gemeinde


def test_a_child_task_without_context_shows_the_called_process_inputs(db: Database) -> None:
    bundle = _with(definitions.Bundle.from_directory(FIXTURES / "children"), "bpmn/kind.bpmn",
                   '<spiffworkflow:property name="context" value="gemeinde, frist" />', "")
    with db.write() as session:
        definitions.deploy(session, bundle, "test")
    from tests.engine.test_children import start

    parent = start(db, n=2)
    row = ready_rows_of_children(db, parent)[0]
    user = gemeinde_user(db, str(row.assignee_gemeinde))
    detail = inbox.get_task(db, row.id, user)
    assert set(detail.context) == {"gemeinde", "frist", "erinnerung"}  # the declared inputs, nothing else


def ready_rows_of_children(db: Database, parent: int) -> list[TaskRow]:
    with db.read() as session:
        return list(session.scalars(select(TaskRow).join(ProcessInstance, ProcessInstance.id == TaskRow.instance_id)
                                    .where(ProcessInstance.parent_id == parent, TaskRow.status == "ready")))


def test_a_form_schema_or_validation_reading_undeclared_data_is_refused() -> None:
    """The served schema (`formSchema`: e.g. the applicants' names as an `enum`) and the validation's messages are
    the form the person sees: they may read only what the task declares, as title and prefill."""
    schema = _with(MINI, "bpmn/mini_round.bpmn", '<spiffworkflow:property name="dueDate" value="frist" />',
                   '<spiffworkflow:property name="dueDate" value="frist" />\n'
                   '          <spiffworkflow:property name="formSchema" value="{\'description\': str(gemeinden)}" />')
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(schema)
    (problem,) = caught.value.problems
    assert problem.element_id == "answer"
    assert problem.message.startswith("Das Formular (formSchema) liest Daten, die der Kontext der Aufgabe nicht "
                                      "nennt: gemeinden.")
    validation = _with(MINI, "bpmn/mini_round.bpmn", "if form['anzahl'] &gt; 1000 else {}",
                       "if form['anzahl'] &gt; len(gemeinden) else {}")
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(validation)
    assert [p.message.split(":")[0] for p in caught.value.problems] == [
        "Die Prüfung des Formulars (validation) liest Daten, die der Kontext der Aufgabe nicht nennt"]
    declared = _with(MINI, "bpmn/mini_round.bpmn", 'name="context" value="gemeinde, frist"',
                     'name="context" value="gemeinde, frist, gemeinden"')
    definitions.compile_bundle(_with(declared, "bpmn/mini_round.bpmn", "if form['anzahl'] &gt; 1000 else {}",
                                     "if form['anzahl'] &gt; len(gemeinden) else {}"))  # declared: deploys
