"""The `grantflow` command as a user runs it: separate processes, real database, clear errors.

Every call is a new Python process, so driving a round through the CLI is also the restart
test: nothing survives between steps but what the database holds.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import FIXTURES
from workflows.storage.db import Database

GRANTFLOW = str(Path(sys.executable).parent / "grantflow")


def run(db: Database, *args: str, ok: bool = True) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DATABASE_URL": db.url}
    result = subprocess.run([GRANTFLOW, *args], capture_output=True, text=True, env=env, timeout=120)
    assert "Traceback" not in result.stderr, result.stderr
    if ok:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0, result.stdout
    return result


def inbox(db: Database, user: str) -> list[dict[str, object]]:
    return json.loads(run(db, "tasks", "--user", user, "--json").stdout)["tasks"]


def test_a_round_survives_restarts_between_every_step(db: Database) -> None:
    run(db, "db", "upgrade")
    assert "Version 1 (neue Version)" in run(db, "deploy", str(FIXTURES / "mini")).stdout
    data = json.dumps({"landkreis": "ortenaukreis", "frist": "2030-01-31"})
    assert "gestartet (51 neue Aufgaben)" in run(db, "start", "mini_round", "--business-key", "CLI-Runde",
                                                 "--user", "sachbearbeitung", "--data", data).stdout
    (offenburg,) = inbox(db, "offenburg")
    run(db, "complete", str(offenburg["id"]), "--user", "offenburg", "--data",
        '{"entscheidung": "uebertragen", "anzahl": 7}')
    db.dispose()  # the test process lets go too: the rest runs on what is stored
    from tests.engine.helpers import answer_all

    answer_all(Database(db.url), int(str(offenburg["instance_id"])))
    (draft,) = inbox(db, "sachbearbeitung")
    run(db, "complete", str(draft["id"]), "--user", "sachbearbeitung", "--data", '{"text": "Vorlage"}')
    (release,) = inbox(db, "dezernat")
    run(db, "complete", str(release["id"]), "--user", "dezernat", "--data", '{"freigabe": "ja"}')
    out = run(db, "message", str(offenburg["instance_id"]), "decision", "--user", "sachbearbeitung",
              "--data", '{"aktenzeichen": "RPS-1", "betrag": 5}').stdout
    assert "completed" in out
    assert "Protokoll intakt" in run(db, "audit", "verify").stdout


def test_bad_input_gives_clear_messages_and_exit_codes(sqlite_db: Database) -> None:
    run(sqlite_db, "deploy", str(FIXTURES / "mini"))
    err = run(sqlite_db, "start", "nope", "--business-key", "X", "--user", "sachbearbeitung", ok=False).stderr
    assert "Unbekannter Prozess 'nope'" in err
    err = run(sqlite_db, "start", "mini_round", "--business-key", "X", "--user", "sachbearbeitung",
              "--data", "{kaputt", ok=False).stderr
    assert "kein gültiges JSON" in err
    err = run(sqlite_db, "complete", "424242", "--user", "offenburg", "--data", "{}", ok=False).stderr
    assert "Aufgabe 424242 nicht gefunden" in err
    run(sqlite_db, "start", "mini_round", "--business-key", "X", "--user", "sachbearbeitung",
        "--data", '{"landkreis": "ortenaukreis", "frist": "2030-01-31"}')
    (task,) = inbox(sqlite_db, "kehl")
    err = run(sqlite_db, "complete", str(task["id"]), "--user", "kehl", "--data", '{"anzahl": "viele"}',
              ok=False).stderr
    assert "/anzahl" in err and "/entscheidung" in err
    err = run(sqlite_db, "complete", str(task["id"]), "--user", "lahr", "--data", "[]", ok=False).stderr
    assert "JSON-Objekt" in err
    err = run(sqlite_db, "complete", str(task["id"]), "--user", "lahr",
              "--data", '{"entscheidung": "selbst", "anzahl": 1}', ok=False).stderr
    assert "anderen Gemeinde" in err
    run(sqlite_db, "complete", str(task["id"]), "--user", "kehl", "--data", '{"entscheidung": "selbst", "anzahl": 1}')
    err = run(sqlite_db, "complete", str(task["id"]), "--user", "kehl",
              "--data", '{"entscheidung": "selbst", "anzahl": 1}', ok=False).stderr
    assert "bereits erledigt von Kehl (Gemeindeverwaltung)" in err
    broken = FIXTURES / "mini"
    err = run(sqlite_db, "deploy", str(broken / "bpmn"), ok=False).stderr
    assert "Ordner 'bpmn/' nicht gefunden" in err
    err = run(sqlite_db, "tick", "--now", "gestern", ok=False).stderr
    assert "ISO" in err


@pytest.mark.parametrize("args", [["tasks", "--user", "niemand"], ["start", "mini_round", "--business-key", "X",
                                                                     "--user", "offenburg"]])
def test_users_without_rights_are_refused(sqlite_db: Database, args: list[str]) -> None:
    run(sqlite_db, "deploy", str(FIXTURES / "mini"))
    err = run(sqlite_db, *args, ok=False).stderr
    assert "Fehler:" in err


def test_another_landkreis_is_data(sqlite_db: Database, tmp_path: Path) -> None:
    csv_file = tmp_path / "rastatt.csv"
    csv_file.write_text("name,ags,type,population,population_year\nGaggenau,08216015,Große Kreisstadt,,\n"
                        "Rastatt,08216043,Große Kreisstadt,47500,2016\n", encoding="utf-8")
    teams = tmp_path / "teams.json"
    teams.write_text(json.dumps({"teams": {"murg": "Team Murgtal"}, "zuordnung": {"08216015": "murg"}}))
    out = run(sqlite_db, "landkreis", "import", "rastatt", "--name", "Landkreis Rastatt", "--gemeinden",
              str(csv_file), "--teams", str(teams), "--behoerde", "Landratsamt Rastatt").stdout
    assert "2 Gemeinden, 1 Regionalteams" in out
    stammdaten = tmp_path / "stammdaten.json"
    stammdaten.write_text(json.dumps({"kontakte": {"fachamt": {"name": "Eva Murr", "telefon": "07222 381-0"}},
                                      "angebot": ["Fortbildung"]}), encoding="utf-8")
    run(sqlite_db, "landkreis", "import", "rastatt", "--name", "Landkreis Rastatt", "--gemeinden", str(csv_file),
        "--teams", str(teams), "--stammdaten", str(stammdaten))
    stammdaten.write_text(json.dumps({"kontakte": {"fachamt": {"telefon": "0"}}}), encoding="utf-8")
    err = run(sqlite_db, "landkreis", "import", "rastatt", "--name", "X", "--gemeinden", str(csv_file),
              "--stammdaten", str(stammdaten), ok=False).stderr
    assert "stammdaten.json: unerwarteter Wert bei kontakte/fachamt" in err  # the name is missing
    bad = tmp_path / "bad.csv"
    bad.write_text("name,ags\nIrgendwo,123\n", encoding="utf-8")
    err = run(sqlite_db, "landkreis", "import", "rastatt", "--name", "X", "--gemeinden", str(bad), ok=False).stderr
    assert "Zeile 2" in err and "nichts importiert" in err
    from sqlalchemy import select

    from workflows.storage.models import Gemeinde

    with sqlite_db.read() as session:
        gaggenau = session.scalars(select(Gemeinde).where(Gemeinde.ags == "08216015")).one()
        assert gaggenau.landkreis.name == "Landkreis Rastatt" and gaggenau.regionalteam.name == "Team Murgtal"
        assert gaggenau.landkreis.as_document_data()["kontakte"]["fachamt"]["name"] == "Eva Murr"


def test_a_database_without_schema_gets_a_hint_not_a_traceback(tmp_path: Path) -> None:
    empty = Database(f"sqlite:///{tmp_path / 'leer.db'}")
    err = run(empty, "demo-data", ok=False).stderr
    assert "grantflow db upgrade" in err and "no such table" in err


def test_the_readmes_tick_commands_fire_the_reminder_then_the_deadline(db: Database, tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """The README's `export GRANTFLOW_DEMO_DATE=...` and its two `grantflow tick --now 2017-...` lines, run by
    bash as written, on a round opened on the Demo-Uhr of `make run` with the default deadline: the first
    reminds the silent Gemeinden, the second ends the Abfrage."""
    from datetime import date

    from sqlalchemy import func, select

    from tests.web import grant_round as gr
    from workflows import settings
    from workflows.storage.models import Event, TaskRow

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
    lines = [line.strip().split("   #")[0].strip() for line in readme.splitlines()]
    (export,) = [line for line in lines if line.startswith("export GRANTFLOW_DEMO_DATE=")]
    commands = [f"{export}; {line.removeprefix('.venv/bin/')}" for line in lines
                if line.startswith(".venv/bin/grantflow tick --now 2017")]
    assert len(commands) == 2, commands
    monkeypatch.setenv("GRANTFLOW_DEMO_DATE", export.split("=", 1)[1])
    monkeypatch.setenv("GRANTFLOW_INSTANCE_DIR", str(tmp_path))  # where the Demo-Uhr is kept, for both
    settings.load()
    gr.deploy(db)
    iid = gr.open_round(db)
    frist = date.fromisoformat(inbox_data(db, iid)["rueckmeldefrist"])
    assert frist == date(2017, 10, 27)  # six weeks after the round's own Stichtag, on the Demo-Uhr
    (kehl,) = gr.ready(db, "kehl", "rueckmeldung_abgeben")
    gr.complete(db, kehl.id, {"entscheidung": "uebertragung", "anzahl_gefluechtete": 368,
                              "ansprechperson": "Bürgermeisteramt"}, "kehl")
    env = {**os.environ, "DATABASE_URL": db.url, "PATH": f"{Path(GRANTFLOW).parent}:{os.environ['PATH']}"}

    def reminders() -> int:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(Event).where(
                Event.kind == "notification_queued")) or 0

    def open_answers() -> int:
        with db.read() as session:
            return session.scalar(select(func.count()).select_from(TaskRow).where(
                TaskRow.element_id == "rueckmeldung_abgeben", TaskRow.status == "ready")) or 0

    first = subprocess.run(["bash", "-c", commands[0]], capture_output=True, text=True, env=env, timeout=300)
    assert first.returncode == 0, first.stderr
    assert reminders() == 50 and open_answers() == 50  # every silent Gemeinde reminded, still asked
    second = subprocess.run(["bash", "-c", commands[1]], capture_output=True, text=True, env=env, timeout=300)
    assert second.returncode == 0, second.stderr
    assert open_answers() == 0 and reminders() == 50
    worker = subprocess.run(["grantflow", "worker", "--once"], capture_output=True, text=True, env=env, timeout=300)
    assert worker.returncode == 0, worker.stderr  # the worker (make run's thread) hands the answers to the round
    assert gr.ready(db, gr.SB, "stellenbemessung_pruefen")  # the round went on without the silent ones
    monkeypatch.undo()
    settings.load()


def inbox_data(db: Database, iid: int) -> dict[str, object]:
    from workflows import inbox as read_models

    return dict(read_models.get_instance(db, iid, "sachbearbeitung").data)
