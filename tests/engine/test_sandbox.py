"""The script sandbox with real attack strings, at deploy time and at run time."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES
from tests.engine.helpers import START_DATA, ready_rows
from workflows import engine
from workflows.engine import definitions, scripting
from workflows.engine.spiff import dump_state, load_state, new_workflow, specs_from_json
from workflows.errors import ProcessStepFailed
from workflows.identity import users
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, Landkreis, ProcessInstance

ATTACKS = [
    "__import__('os').system('id')",
    "open('/etc/hostname').read()",
    "().__class__.__base__.__subclasses__()",
    "getattr((), '__class__')",
    "type(()).mro()",
    "[x for x in (1).__class__.__mro__]",
    "'{0.__class__}'.format(1)",
    "eval('1+1')",
    "exec('x=1')",
    "globals()",
    "vars()",
    "compile('1', 'x', 'eval')",
    "(lambda: 1).__code__",
    "dict.__dict__",
]


@pytest.mark.parametrize("attack", ATTACKS)
def test_attack_strings_never_run(attack: str) -> None:
    with pytest.raises((SyntaxError, NameError, NotImplementedError, AttributeError, TypeError)):
        scripting.evaluate(attack, {})


def test_ordinary_scripts_still_work() -> None:
    data = {"rows": [{"n": 2}, {"n": 3}], "name": "Kehl"}
    assert scripting.evaluate("sum(r['n'] for r in rows) * 2", data) == 10
    assert scripting.evaluate("sorted([r['n'] for r in rows], reverse=True)", data) == [3, 2]
    assert scripting.evaluate("'Gemeinde ' + name.upper()", data) == "Gemeinde KEHL"
    assert scripting.evaluate("date_add('2018-01-31', months=1)", {}) == "2018-02-28"
    context: dict[str, object] = {"rows": [1, 2]}
    scripting.SandboxEnvironment().execute("total = 0\nfor r in rows:\n    total += r\nd = {}\nd['a'] = total", context)
    assert context["total"] == 3 and context["d"] == {"a": 3}


def test_a_script_failing_at_run_time_fails_the_step_and_stores_nothing(sqlite_db: Database) -> None:
    bundle = definitions.Bundle.from_directory(FIXTURES / "mini")
    path = "bpmn/mini_round.bpmn"
    text = bundle.files[path].decode().replace(
        "<bpmn:script>total = sum(a['anzahl'] for a in answers if a['entscheidung'] == 'uebertragen')</bpmn:script>",
        "<bpmn:script>total = open('/etc/hostname').read()</bpmn:script>")
    bundle = bundle.with_file(path, text.encode())
    with sqlite_db.write() as session:
        definitions.deploy(session, bundle, "test")
    # a one-Gemeinde Landkreis, so that the script runs right after one answer
    with sqlite_db.write() as session:
        kreis = Landkreis(key="mini", name="Minikreis")
        session.add(kreis)
        session.flush()
        session.add(Gemeinde(ags="09999001", name="Einsdorf", landkreis_id=kreis.id))
    with sqlite_db.write() as session:
        users.upsert_user(session, "einsdorf", "Einsdorf", ["Gemeinde"], users.hash_password("x"), "09999001")
    result = engine.start_instance(sqlite_db, "mini_round", "Angriff", "sachbearbeitung",
                                   {**START_DATA, "landkreis": "mini"})
    (row,) = ready_rows(sqlite_db, result.instance_id)
    with sqlite_db.read() as session:
        version = session.get(ProcessInstance, result.instance_id).version  # type: ignore[union-attr]
    with pytest.raises(ProcessStepFailed, match=r"Zählen.*open"):
        engine.complete_task(sqlite_db, row.id, {"entscheidung": "uebertragen", "anzahl": 1}, "einsdorf")
    with sqlite_db.read() as session:
        assert session.get(ProcessInstance, result.instance_id).version == version  # type: ignore[union-attr]
        assert session.scalar(select(func.count()).select_from(ProcessInstance)) == 1
    assert ready_rows(sqlite_db, result.instance_id)[0].id == row.id


def test_restored_workflows_get_the_sandbox_back() -> None:
    compiled = definitions.compile_bundle(definitions.Bundle.from_directory(FIXTURES / "mini"))[0]
    specs = specs_from_json(compiled.spec_json)
    workflow = load_state(dump_state(new_workflow(specs)), specs)
    assert isinstance(workflow.script_engine.environment, scripting.SandboxEnvironment)
