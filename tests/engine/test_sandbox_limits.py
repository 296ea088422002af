"""Scripts that would compute or allocate without end are stopped; the step is refused, others go on."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from tests.conftest import FIXTURES, serve
from tests.engine.helpers import START_DATA, ready_rows
from webapp import create_app
from workflows import engine
from workflows.engine import definitions, limits, scripting
from workflows.errors import ProcessStepFailed
from workflows.identity import users
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, Landkreis, ProcessInstance, TaskRow

COUNT_SCRIPT = ("<bpmn:script>total = sum(a['anzahl'] for a in answers if a['entscheidung'] == 'uebertragen')"
                "</bpmn:script>")

EXPRESSIONS = [
    "10**10**10", "'a'*10**9", "[0]*10**9", "10**9*'a'", "list(range(10**9))", "pow(10, 10**10)", "1 << 10**10",
    "'%0999999999d' % 1", "f'{1:>999999999}'", "'a'.ljust(10**9)", "'a'.center(10**9)", "'a'.zfill(10**9)",
    "('a'*1000000).replace('a', 'aa')", "'x'.join(['a'*1000000]*100)", "sum([[1]*1000]*1000, [])",
    "str([('a'*1000000)]*1000)", "repr(['a'*100000]*100)", "f'{[\"a\"*100000]*100}'", "round(5, -10**9)",
    "(lambda f: f(f))(lambda f: f(f))", "[x for x in range(1000) for y in range(1000) for z in range(1000)]",
    "('a'*1000).translate({97: 'b'*10000})", "'\\t'.expandtabs(10**9)",
]
SCRIPTS = [
    "while True:\n    pass",
    "def f(n):\n    return f(n + 1)\nf(0)",
    "x = []\nwhile True:\n    x.append(1)",
    "s = 'a'\nfor i in range(100):\n    s = s + s",
    "s = 'a'\nfor i in range(100):\n    s += s",
    "x = [1]\nfor i in range(100):\n    x.extend(x)",
    "def f(n):\n    try:\n        return f(n + 1)\n    except Exception:\n        return f(n + 1)\nf(0)",
    "while True:\n    try:\n        x = 10**10**10\n    except Exception:\n        pass",
    "x = ['a' * 1000000]\nwhile True:\n    x = x + x",
]


def _refused_in_time(run: object) -> ProcessStepFailed:
    started = time.monotonic()
    with pytest.raises(ProcessStepFailed) as caught:
        run()  # type: ignore[operator]
    assert time.monotonic() - started < limits.STEP_SECONDS * 5  # generous: a bound, not a benchmark
    assert "angehalten" in caught.value.message
    return caught.value


@pytest.mark.parametrize("expression", EXPRESSIONS)
def test_runaway_expressions_are_stopped(expression: str) -> None:
    _refused_in_time(lambda: scripting.evaluate(expression, {}))


@pytest.mark.parametrize("script", SCRIPTS)
def test_runaway_scripts_are_stopped(script: str) -> None:
    _refused_in_time(lambda: scripting.SandboxEnvironment().execute(script, {}))


@pytest.mark.parametrize("script", [
    "try:\n    x = 1\nexcept:\n    pass",
    "class A:\n    pass",
    "while True:\n    try:\n        pass\n    finally:\n        continue",
    "def f():\n    try:\n        pass\n    finally:\n        return 1",
])
def test_constructs_that_could_swallow_a_limit_are_refused_at_deploy(script: str) -> None:
    assert scripting.check_expression(script, "exec")


def test_names_that_could_catch_a_limit_are_not_offered() -> None:
    for name in ("BaseException", "SystemExit"):
        with pytest.raises(NameError):
            scripting.evaluate(name, {})


def test_ordinary_values_within_the_limits_still_work() -> None:
    assert scripting.evaluate("isinstance('a', str) and str(5) + f'{3!r:>4}' + '%5d' % 3", {}) == "5   3    3"
    assert scripting.evaluate("2**64 * 3 + (1 << 10)", {}) == 2**64 * 3 + 1024
    assert scripting.evaluate("len('ab' * 1000) + len([0] * 1000) + sum(range(100))", {}) == 2000 + 1000 + 4950
    assert scripting.evaluate("', '.join(str(i) for i in range(3)).center(9, '*')", {}) == "*0, 1, 2*"


def _attack_round(db: Database, script: str) -> int:
    """The mini round on a one-Gemeinde Landkreis with `script` as its counting step; returns the task id."""
    bundle = definitions.Bundle.from_directory(FIXTURES / "mini")
    path = "bpmn/mini_round.bpmn"
    text = bundle.files[path].decode().replace(COUNT_SCRIPT, f"<bpmn:script>{script}</bpmn:script>")
    with db.write() as session:
        definitions.deploy(session, bundle.with_file(path, text.encode()), "test")
        kreis = Landkreis(key="mini", name="Minikreis")
        session.add(kreis)
        session.flush()
        session.add(Gemeinde(ags="09999001", name="Einsdorf", landkreis_id=kreis.id))
    with db.write() as session:
        users.upsert_user(session, "einsdorf", "Einsdorf", ["Gemeinde"], users.hash_password("x"), "09999001")
    result = engine.start_instance(db, "mini_round", "Angriff", "sachbearbeitung", {**START_DATA, "landkreis": "mini"})
    (row,) = ready_rows(db, result.instance_id)
    return row.id


@pytest.mark.parametrize("script", ["total = 10**10**10", "total = 0\nwhile True:\n    total += 1"])
def test_a_runaway_step_is_refused_stores_nothing_and_blocks_no_other_writer(db: Database, script: str) -> None:
    task_id = _attack_round(db, script)
    outcome: list[BaseException] = []

    def attack() -> None:
        try:
            engine.complete_task(db, task_id, {"entscheidung": "uebertragen", "anzahl": 1}, "einsdorf")
        except BaseException as exc:  # asserted below
            outcome.append(exc)

    thread = threading.Thread(target=attack)
    thread.start()
    # another writer in the meantime: waits at most for the step's limit, never fails with "database is locked"
    other = engine.start_instance(db, "mini_round", "Andere Runde", "sachbearbeitung", START_DATA)
    thread.join(timeout=60)
    assert not thread.is_alive()
    (error,) = outcome
    assert isinstance(error, ProcessStepFailed)
    assert "Zählen" in error.message and "angehalten" in error.message
    assert "ProcessStepFailed" not in error.message and "Error" not in error.message
    assert ready_rows(db, other.instance_id)
    with db.read() as session:
        row = session.get(TaskRow, task_id)
        assert row is not None and row.status == "ready"
        assert session.get(ProcessInstance, row.instance_id).version == 1  # type: ignore[union-attr]


def test_the_server_answers_others_while_a_runaway_expression_is_refused(sqlite_db: Database) -> None:
    """Before the limits, `10**10**10` held the interpreter lock: every `GET /login` timed out."""
    task_id = _attack_round(sqlite_db, "total = 10**10**10")
    app = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False}, database=sqlite_db)
    with serve(app) as base:
        attacker = requests.Session()
        attacker.post(f"{base}/login", data={"username": "einsdorf", "password": "x"}, timeout=10)
        results: list[int] = []
        thread = threading.Thread(target=lambda: results.append(attacker.post(
            f"{base}/tasks/{task_id}", data={"entscheidung": "uebertragen", "anzahl": "1"}, timeout=30).status_code))
        thread.start()
        for _ in range(5):
            assert requests.get(f"{base}/login", timeout=10).status_code == 200
        thread.join(timeout=30)
    assert results == [422]


def test_the_cli_calls_a_locked_database_busy_not_outdated() -> None:
    import sqlite3

    import click
    from click.testing import CliRunner
    from sqlalchemy.exc import OperationalError

    from webapp.cli import friendly

    @click.command()
    @friendly
    def write() -> None:
        raise OperationalError("BEGIN IMMEDIATE", {}, sqlite3.OperationalError("database is locked"))

    result = CliRunner().invoke(write)
    assert result.exit_code == 1
    assert "belegt" in result.output and "db upgrade" not in result.output
