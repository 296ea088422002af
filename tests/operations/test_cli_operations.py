"""The CLI as operations uses it: a fast start, bulk completion, the ticker loop, the production server."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import requests
from alembic import command
from sqlalchemy import delete, func, select, update

from tests.conftest import FIXTURES
from tests.engine.helpers import answer_all, gemeinde_user, ready_rows, start_mini
from tests.operations.processes import cli, environment, production_server, ticker
from tests.operations.test_web_operations import metric
from workflows import engine
from workflows.collab import comments, search
from workflows.identity import tokens
from workflows.storage import migrate
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance, SearchEntry, SearchWord, TaskRow, utcnow

HEAVY = ("flask", "SpiffWorkflow", "weasyprint", "sqlalchemy", "gunicorn", "prometheus_client")


def test_help_imports_none_of_the_heavy_libraries() -> None:
    probe = ("import sys\nfrom webapp.cli import main\ntry:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
             f"print(sorted({{m.split('.')[0] for m in sys.modules}} & set({HEAVY!r})))")
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert result.stdout.strip().splitlines()[-1] == "[]", result.stdout + result.stderr
    assert "backup" in result.stdout and "restore" in result.stdout


def _env(db: Database, tmp_path: Path, **extra: str) -> dict[str, str]:
    return environment(DATABASE_URL=db.url, GRANTFLOW_INSTANCE_DIR=str(tmp_path / "instance"), **extra)


def test_complete_many_tasks_from_a_json_lines_file(mini_db: Database, tmp_path: Path) -> None:
    round_id = start_mini(mini_db)
    rows = ready_rows(mini_db, round_id, "answer")
    lines = [json.dumps({"task_id": row.id, "user": gemeinde_user(mini_db, str(row.assignee_gemeinde)),
                         "data": {"entscheidung": "selbst", "anzahl": 2}}) for row in rows[:40]]
    lines[3:3] = ["", "[1, 2]", '{"task_id": "7"}', lines[0]]  # blank, not an object, bad id, done twice
    lines.append(json.dumps({"task_id": rows[40].id, "data": {"entscheidung": "selbst"}}))  # the user of --user
    jsonl = tmp_path / "antworten.jsonl"
    jsonl.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = cli(_env(mini_db, tmp_path), "complete", "--from", str(jsonl),
                 "--user", gemeinde_user(mini_db, str(rows[40].assignee_gemeinde)), ok=False)
    assert "40 erledigt, 4 fehlgeschlagen." in result.stdout
    assert result.stdout.count(" erledigt; Vorgang") == 40
    assert "Zeile 5: Fehler: muss ein JSON-Objekt sein" in result.stderr
    assert "Zeile 6: Fehler: 'task_id' fehlt oder ist keine ganze Zahl" in result.stderr
    assert "Zeile 7: Fehler: Diese Aufgabe wurde bereits erledigt" in result.stderr
    assert "Zeile 45: Fehler:" in result.stderr and "/anzahl" in result.stderr
    assert len(ready_rows(mini_db, round_id, "answer")) == 11
    err = cli(_env(mini_db, tmp_path), "complete", "5", "--from", str(jsonl), ok=False).stderr
    assert "nur eines davon" in err
    assert "--from DATEI" in cli(_env(mini_db, tmp_path), "complete", "5", ok=False).stderr


def test_search_reindex_finds_a_round_whose_index_rows_were_lost(mini_db: Database, tmp_path: Path) -> None:
    """A round from before migration 0012 has no index rows: `grantflow search reindex` builds them from
    its rows and history (the name, the open tasks, an Aktenzeichen delivered), and running it again adds nothing."""
    other = start_mini(mini_db, "Ortenaukreis 2019-2020")
    round_id = start_mini(mini_db, "Rastatt 2017-2018")
    answer_all(mini_db, round_id)
    (draft,) = ready_rows(mini_db, round_id, "draft")
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = ready_rows(mini_db, round_id, "release")
    engine.complete_task(mini_db, release.id, {"freigabe": "ja"}, "dezernat")
    engine.deliver_message(mini_db, round_id, "decision", {"aktenzeichen": "RPS-15.2-0815", "betrag": 1000.0},
                           "sachbearbeitung")
    comments.add_comment(mini_db, "sachbearbeitung", "Rückruf bei Frau Özdemir", instance_id=round_id)
    kehl = next(r for r in ready_rows(mini_db, other, "answer") if gemeinde_user(mini_db, r.assignee_gemeinde or "")
                == "kehl")

    def found() -> dict[str, list[tuple[str, int]]]:
        return {q: [(h.kind, h.round_id) for h in search.search(mini_db, user, q).hits]
                for q, user in (("rastatt 2017", "sachbearbeitung"), ("rps 0815", "dezernat"),
                                ("özdemir", "dezernat"), ("rückmeldung kehl 2019", "kehl"))}

    before = found()
    assert before == {"rastatt 2017": [("aktenzeichen", round_id), ("round", round_id)],
                      "rps 0815": [("aktenzeichen", round_id)], "özdemir": [("comment", round_id)],
                      "rückmeldung kehl 2019": [("task", other)]}
    with mini_db.write() as session:  # as before migration 0012: no entries but the comment's
        lost = select(SearchEntry.id).where(SearchEntry.kind != "comment")
        session.execute(delete(SearchWord).where(SearchWord.entry_id.in_(lost)))
        session.execute(delete(SearchEntry).where(SearchEntry.kind != "comment"))
    assert found() == {**{q: [] for q in before}, "özdemir": [("comment", round_id)]}

    with mini_db.read() as session:
        open_tasks = session.scalar(select(func.count()).select_from(TaskRow).where(TaskRow.status == "ready"))
    out = cli(_env(mini_db, tmp_path), "search", "reindex").stdout
    assert f"Suchindex neu aufgebaut: 2 Vorgänge, {open_tasks} offene Aufgaben." in out
    assert found() == before
    with mini_db.read() as session:
        entries = session.scalar(select(func.count()).select_from(SearchEntry))
    cli(_env(mini_db, tmp_path), "search", "reindex")
    with mini_db.read() as session:
        assert session.scalar(select(func.count()).select_from(SearchEntry)) == entries
    assert found() == before
    assert [h.task_id for h in search.search(mini_db, "kehl", "rückmeldung kehl 2019").hits] == [kehl.id]


def test_db_upgrade_drops_unclassified_names_and_builds_the_index_again(mini_db: Database, tmp_path: Path) -> None:
    """A database from before migration 0016 may hold a name indexed without its field's class (found by every
    staff member): `grantflow db upgrade` drops such names and builds the index again; a second run only
    says the database is current."""
    round_id = start_mini(mini_db, "Rastatt 2017-2018")
    command.downgrade(migrate.alembic_config(mini_db.url), "0015")
    with mini_db.write() as session:  # as the index wrote a classified field's name before the fix
        search.add_entry(session, round_id=round_id, instance_id=round_id, kind="person", text="Erika Kontaktperson")
        search.write_entries(session)
    assert [h.kind for h in search.search(mini_db, "dezernat", "kontaktperson").hits] == ["person"]

    first = cli(_env(mini_db, tmp_path), "db", "upgrade").stdout
    assert "Suchindex neu aufgebaut: 1 Vorgänge" in first
    assert search.search(mini_db, "dezernat", "kontaktperson").hits == []
    assert [h.kind for h in search.search(mini_db, "sachbearbeitung", "rastatt 2017").hits] == ["round"]
    again = cli(_env(mini_db, tmp_path), "db", "upgrade").stdout
    assert "Datenbank ist aktuell" in again and "Suchindex" not in again


def _timer_fired(db: Database, instance_id: int) -> bool:
    with db.read() as session:
        return session.scalar(select(Event.id).where(Event.instance_id == instance_id,
                                                     Event.kind == "timer_fired")) is not None


def test_the_ticker_loop_fires_due_timers_until_sigterm(mini_db: Database, tmp_path: Path) -> None:
    round_id = start_mini(mini_db)
    with mini_db.write() as session:
        session.execute(update(ProcessInstance).values(next_timer_at=utcnow()))
    with ticker(_env(mini_db, tmp_path)) as process:
        deadline = time.monotonic() + 60
        while not _timer_fired(mini_db, round_id):
            assert process.poll() is None, process.communicate()
            assert time.monotonic() < deadline, "the ticker did not fire the due timer"
            time.sleep(0.2)
    assert process.returncode == 0  # SIGTERM ends the loop cleanly
    assert "--now und --loop" in cli(_env(mini_db, tmp_path), "tick", "--loop", "--now", "2030-01-01T00:00:00+01:00",
                                     ok=False).stderr


def test_production_refuses_unsafe_settings(sqlite_db: Database, tmp_path: Path) -> None:
    err = cli(_env(sqlite_db, tmp_path), "serve", "--production", ok=False).stderr
    assert "GRANTFLOW_SECRET_KEY" in err
    err = cli(_env(sqlite_db, tmp_path, GRANTFLOW_SECRET_KEY="k", GRANTFLOW_DEMO_MODE="1"), "serve", "--production",
              ok=False).stderr
    assert "--allow-demo" in err


def test_gunicorn_workers_serve_and_their_metrics_add_up(sqlite_db: Database, tmp_path: Path) -> None:
    cli(_env(sqlite_db, tmp_path), "deploy", str(FIXTURES / "mini"))
    round_id = start_mini(sqlite_db)
    rows = ready_rows(sqlite_db, round_id, "answer")[:12]
    headers = {}
    for row in rows:
        user = gemeinde_user(sqlite_db, str(row.assignee_gemeinde))
        headers[row.id] = {"Authorization": f"Bearer {tokens.create_token(sqlite_db, user, 'test')[1]}"}
    env = _env(sqlite_db, tmp_path, GRANTFLOW_SECRET_KEY="k", GRANTFLOW_METRICS_TOKEN="m")
    with production_server(env, workers=3) as (url, _process):
        for row in rows:
            response = requests.post(f"{url}/api/v1/tasks/{row.id}/complete", headers=headers[row.id], timeout=60,
                                     json={"entscheidung": "selbst", "anzahl": 1})
            assert response.status_code == 200, response.text
        for _ in range(6):  # whichever worker answers the scrape, it reports the steps of all of them
            scraped = requests.get(f"{url}/metrics", headers={"Authorization": "Bearer m"}, timeout=30)
            assert metric(scraped.text, "grantflow_steps_total", operation="complete_task", outcome="ok") == 12
        assert requests.get(f"{url}/metrics", timeout=30).status_code == 401
        assert requests.get(f"{url}/healthz", timeout=30).json() == {"status": "ok"}
    assert len(ready_rows(sqlite_db, round_id, "answer")) == 51 - 12


def test_a_new_database_gets_its_roles_and_its_first_administrator_from_the_command_line(tmp_path: Path) -> None:
    """README Betrieb: `db upgrade`, then `user create` for the first Administration, who can log in;
    bad input is refused in German and changes nothing."""
    from webapp import create_app
    from workflows.identity.users import User

    url = f"sqlite:///{tmp_path}/neu.db"
    env = environment(DATABASE_URL=url, GRANTFLOW_INSTANCE_DIR=str(tmp_path / "instance"))
    assert "Rollen" in cli(env, "db", "upgrade").stdout
    unknown = cli(env, "user", "create", "admin", "--name", "Erste Administration", "--role", "Chef",
                  "--password", "geheim-genug", ok=False)
    assert "Unbekannte Rolle 'Chef'" in unknown.stderr
    short = cli(env, "user", "create", "admin", "--name", "Erste Administration", "--role", "Administration",
                "--password", "kurz", ok=False)
    assert "mindestens 8 Zeichen" in short.stderr
    made = cli(env, "user", "create", "Admin", "--name", "Erste Administration", "--role", "Administration",
               "--password", "geheim-genug").stdout
    assert "Benutzer admin angelegt (Administration)" in made
    again = cli(env, "user", "create", "admin", "--name", "Noch eine", "--role", "Administration",
                "--password", "geheim-genug", ok=False)
    assert "gibt es bereits" in again.stderr
    database = Database(url)
    with database.read() as session:
        assert [u.username for u in session.scalars(select(User))] == ["admin"]
        assert session.scalar(select(Event.actor).where(Event.kind == "user_created")) == "kommandozeile"
    client = create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False},
                        database=database).test_client()
    assert client.post("/login", data={"username": "admin", "password": "geheim-genug"}).status_code == 303
    assert client.get("/admin/users").status_code == 200
    database.dispose()
