"""The `grantflow` command: database, deployment, demo data, and the engine's operations.

It starts fast: the engine, SQLAlchemy, Flask and WeasyPrint are imported by the commands that
use them (`_database()` wires the engine), never at the top of this module.

Every command prints a clear message and exits non-zero on error; errors a user can cause
(`GrantflowError`, bad JSON, unknown names) never show a traceback.
"""

from __future__ import annotations

import json
import signal
import sys
import threading
from collections.abc import Callable
from datetime import datetime
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

from workflows import clock, settings
from workflows.errors import GrantflowError, InvalidDefinition, ValidationFailed
from workflows.formatting import format_date, format_datetime

if TYPE_CHECKING:
    from workflows.storage.db import Database

F = TypeVar("F", bound=Callable[..., Any])
EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _fail(message: str) -> None:
    click.secho(f"Fehler: {message}", fg="red", err=True)
    sys.exit(1)


def friendly(fn: F) -> F:
    """Turn user-caused errors into a message and exit status 1."""

    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ValidationFailed as exc:
            click.secho(f"Fehler: {exc.message}", fg="red", err=True)
            for error in exc.errors:
                click.echo(f"  {error.pointer or '/'}: {error.message}", err=True)
            sys.exit(1)
        except InvalidDefinition as exc:
            click.secho("Fehler: Prozessdefinition abgelehnt, nichts gespeichert.", fg="red", err=True)
            for problem in exc.problems:
                click.echo(f"  {problem}", err=True)
            sys.exit(1)
        except GrantflowError as exc:
            _fail(exc.message)
        except _database_errors() as exc:
            detail = str(exc.orig).split("\n")[0] if exc.orig else type(exc).__name__
            if "locked" in detail.lower():
                _fail("Die Datenbank ist gerade durch einen anderen Schreibvorgang belegt; es wurde nichts "
                      "gespeichert. Bitte in einigen Sekunden erneut versuchen.")
            _fail(f"Die Datenbank ist nicht erreichbar oder nicht auf dem neuesten Stand ({detail}). "
                  "Bitte DATABASE_URL prüfen und 'grantflow db upgrade' ausführen.")

    return wrapper  # type: ignore[return-value]


def _database_errors() -> tuple[type[Exception], ...]:
    """Evaluated only when an exception arrives, so that SQLAlchemy is not imported at start-up."""
    from sqlalchemy.exc import OperationalError, ProgrammingError

    return OperationalError, ProgrammingError


def _database() -> Database:
    """The configured database, with the engine wired to its policy and services (the slow imports)."""
    from workflows import wiring
    from workflows.storage.db import Database

    wiring.install()
    return Database()


def _json_object(text: str | None, what: str) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        _fail(f"{what} ist kein gültiges JSON: {exc.msg} (Zeile {exc.lineno}, Spalte {exc.colno}).")
    if not isinstance(value, dict):
        _fail(f"{what} muss ein JSON-Objekt sein, z. B. '{{\"feld\": 1}}'.")
    return value


@click.group()
def main() -> None:
    """grantflow: der Förderprozess Integrationsmanagement als BPMN-Workflow."""
    from workflows import logsetup

    try:
        logsetup.configure(settings.load())
    except GrantflowError as exc:
        _fail(exc.message)


@main.group()
def db() -> None:
    """Datenbank verwalten."""


REINDEX_FROM = "0016"  #: a database older than this migration gets its search index built again (see 0016)


@db.command("upgrade")
@friendly
def db_upgrade() -> None:
    """Schema anlegen oder auf den neuesten Stand bringen (Alembic)."""
    from workflows.foerderung.roles import ensure_roles
    from workflows.storage import migrate

    database = _database()
    before = migrate.current_revision(database.url)
    migrate.upgrade(database.url)
    with database.write() as session:
        count = ensure_roles(session)
    click.echo(f"Datenbank ist aktuell: {_safe_url(database.url)} ({count} Rollen)")
    if before is not None and before < REINDEX_FROM:
        from workflows.collab import search as search_index

        result = search_index.reindex(database)
        click.echo(f"Suchindex neu aufgebaut: {result.rounds} Vorgänge, {result.tasks} offene Aufgaben.")


def _safe_url(url: str) -> str:
    return url.split("@")[-1] if "@" in url else url


@main.command()
@click.argument("directory", required=False, type=click.Path(file_okay=False, path_type=Path))
@click.option("--user", "actor", default=None, help="Wer die Bereitstellung vornimmt (fürs Protokoll).")
@friendly
def deploy(directory: Path | None, actor: str | None) -> None:
    """bpmn/ und forms/ aus DIRECTORY (Standard: Projektordner) prüfen und neue Versionen speichern."""
    from workflows.engine import definitions

    database = _database()
    bundle = definitions.Bundle.from_directory(directory or settings.get().definitions_dir)
    with database.write() as session:
        outcomes = definitions.deploy(session, bundle, actor)
    for outcome in outcomes:
        state = "neue Version" if outcome.created else "unverändert"
        click.echo(f"{outcome.key}: Version {outcome.version} ({state})")
        for note in outcome.notes:
            click.echo(f"  Hinweis: {note}")


@main.command("demo-data")
@friendly
def demo_data() -> None:
    """Ortenaukreis, 51 Gemeinden und Demo-Benutzer (Passwort 'demo') anlegen oder aktualisieren."""
    from workflows.foerderung import demo

    with _database().write() as session:
        counts = demo.load(session)
    click.echo(f"Demo-Daten geladen: {counts['gemeinden']} Gemeinden, {counts['users']} Benutzer (Passwort 'demo').")


@main.command()
@click.argument("process_key")
@click.option("--business-key", required=True, help="Bezeichnung des Vorgangs, z. B. 'Ortenaukreis 2017-2018'.")
@click.option("--user", "actor", required=True, help="Benutzername, der den Vorgang startet.")
@click.option("--data", "data_json", default=None, help="Startdaten als JSON-Objekt.")
@friendly
def start(process_key: str, business_key: str, actor: str, data_json: str | None) -> None:
    """Einen Vorgang des Prozesses PROCESS_KEY starten."""
    from workflows import engine

    result = engine.start_instance(_database(), process_key, business_key, actor, _json_object(data_json, "--data"))
    click.echo(f"Vorgang {result.instance_id} gestartet ({len(result.new_task_ids)} neue Aufgaben).")


@main.command()
@click.option("--user", "actor", required=True, help="Wessen Aufgaben.")
@click.option("--json", "as_json", is_flag=True, help="Maschinenlesbar ausgeben.")
@click.option("--instance", "instance_id", type=int, default=None, help="Nur Aufgaben dieses Vorgangs.")
@click.option("--limit", default=200, show_default=True)
@friendly
def tasks(actor: str, as_json: bool, instance_id: int | None, limit: int) -> None:
    """Offene Aufgaben eines Benutzers (Posteingang)."""
    from workflows import inbox

    page = inbox.list_tasks(_database(), actor, instance_id=instance_id, per_page=limit)
    if as_json:
        from webapp.api.schemas import TaskFields  # the API's own shape of a task

        click.echo(json.dumps({"total": page.total, "tasks": [TaskFields.build(t).to_json() for t in page.items]},
                              ensure_ascii=False, indent=2))
        return
    if not page.items:
        click.echo("Keine offenen Aufgaben.")
    for t in page.items:
        due = f"  fällig {t.due_at:%d.%m.%Y}" if t.due_at else ""
        click.echo(f"{t.id:>6}  {t.business_key}  {t.title}  [{t.lane}]{due}")
    if page.total > len(page.items):
        click.echo(f"... {page.total - len(page.items)} weitere")


@main.command()
@click.argument("task_id", type=int, required=False)
@click.option("--user", "actor", default=None, help="Wer die Aufgabe erledigt (bei --from: für Zeilen ohne 'user').")
@click.option("--data", "data_json", default=None, help="Formulardaten als JSON-Objekt.")
@click.option("--from", "from_file", type=EXISTING_FILE, default=None,
              help="JSON-Lines-Datei, je Zeile {\"task_id\": 1, \"user\": \"...\", \"data\": {...}}.")
@friendly
def complete(task_id: int | None, actor: str | None, data_json: str | None, from_file: Path | None) -> None:
    """Aufgabe TASK_ID mit den Formulardaten abschließen, oder viele Aufgaben aus einer Datei (--from)."""
    if from_file is not None:
        from webapp import runners

        if task_id is not None or data_json is not None:
            _fail("--from ersetzt TASK_ID und --data; bitte nur eines davon angeben.")
        if runners.complete_from_file(_database(), from_file, actor):
            sys.exit(1)
        return
    if task_id is None or actor is None or data_json is None:
        _fail("Bitte TASK_ID, --user und --data angeben (oder --from DATEI).")
    from workflows import engine

    result = engine.complete_task(_database(), task_id, _json_object(data_json, "--data"), actor)
    click.echo(f"Aufgabe {task_id} erledigt; Vorgang {result.instance_id}: {result.status}, "
               f"{len(result.new_task_ids)} neue Aufgaben.")


@main.command()
@click.argument("instance_id", type=int)
@click.argument("name")
@click.option("--user", "actor", required=True)
@click.option("--data", "data_json", required=True, help="Inhalt der Nachricht als JSON-Objekt.")
@click.option("--key", "keys", multiple=True, metavar="NAME=WERT",
              help="Korrelationsschlüssel der Nachricht (mehrfach möglich); sonst aus dem Inhalt berechnet.")
@friendly
def message(instance_id: int, name: str, actor: str, data_json: str, keys: tuple[str, ...]) -> None:
    """Eine Nachricht (z. B. 'bewilligungsbescheid') an Vorgang INSTANCE_ID zustellen."""
    from workflows import engine

    correlation = {}
    for key in keys:
        prop, separator, value = key.partition("=")
        if not separator or not prop.strip():
            _fail(f"--key erwartet NAME=WERT, nicht '{key}'.")
        correlation[prop.strip()] = value
    result = engine.deliver_message(_database(), instance_id, name, _json_object(data_json, "--data"), actor,
                                    correlation or None)
    click.echo(f"Nachricht '{name}' zugestellt; Vorgang {result.instance_id}: {result.status}.")


@main.group()
def instances() -> None:
    """Laufende Vorgänge auf eine andere Version ihres Prozesses verschieben."""


@instances.command("migrate")
@click.argument("key")
@click.option("--to", "to_version", type=int, required=True, help="Zielversion des Prozesses.")
@click.option("--dry-run", is_flag=True, help="Nur prüfen und anzeigen, nichts verschieben.")
@click.option("--map", "mappings", multiple=True, metavar="ALT=NEU", help="Element-Zuordnung (umbenannte Aufgaben).")
@click.option("--default", "defaults", multiple=True, metavar="FORMULAR.FELD=WERT",
              help="Vorgabewert für ein Pflichtfeld, das ein Formular neu verlangt.")
@click.option("--instance", "instance_ids", multiple=True, type=int, help="Nur diese Vorgänge (mehrfach möglich).")
@click.option("--user", "actor", required=True)
@friendly
def migrate_instances(key: str, to_version: int, dry_run: bool, mappings: tuple[str, ...],
                      defaults: tuple[str, ...], instance_ids: tuple[int, ...], actor: str) -> None:
    """Laufende Vorgänge von KEY auf Version --to verschieben (mit --dry-run: nur prüfen)."""
    from workflows.engine import migration

    mapping, values = migration.parse_mapping(list(mappings)), migration.parse_defaults(list(defaults))
    if dry_run:
        plan = migration.plan_migration(_database(), key, to_version, actor, mapping, values)
    else:
        plan = migration.migrate_instances(_database(), key, to_version, actor, mapping, values,
                                           list(instance_ids) or None)
    for check in plan.rounds:
        if instance_ids and check.instance_id not in instance_ids:
            continue
        verdict = ("verschoben" if check.moved else "kann verschoben werden" if check.movable
                   else "kann nicht verschoben werden")
        click.echo(f"Vorgang {check.instance_id} ({check.business_key}), Version {check.from_version} → "
                   f"{plan.to_version}: {verdict}")
        for line in check.reasons:
            click.echo(f"  Grund: {line}")
        for line in check.changes:
            click.echo(f"  Änderung: {line}")
    if not plan.rounds:
        click.echo(f"Keine laufenden Vorgänge von '{key}' auf einer anderen Version als {to_version}.")


@instances.command("migrate-back")
@click.argument("instance_id", type=int)
@click.option("--user", "actor", required=True)
@friendly
def migrate_back(instance_id: int, actor: str) -> None:
    """Einen verschobenen Vorgang auf seine vorige Version zurückholen (solange nichts geschehen ist)."""
    from workflows.engine import migration

    migration.migrate_back(_database(), instance_id, actor)
    click.echo(f"Vorgang {instance_id} ist wieder auf seiner vorigen Version.")


@main.command()
@click.option("--now", "now_text", default=None, help="Uhrzeit simulieren (ISO, z. B. 2018-01-31T12:00:00+01:00).")
@click.option("--loop", is_flag=True, help="Dauerhaft laufen (eigener Prozess, z. B. systemd); Ende mit SIGTERM.")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(min=1),
              help="Sekunden zwischen zwei Durchläufen (mit --loop).")
@friendly
def tick(now_text: str | None, loop: bool, interval: float) -> None:
    """Fällige Timer auslösen (Fristen, Erinnerungen)."""
    now = None
    if now_text:
        if loop:
            _fail("--now und --loop schließen sich aus.")
        try:
            now = datetime.fromisoformat(now_text)
        except ValueError:
            _fail(f"--now ist kein ISO-Zeitpunkt: {now_text!r}")
        if now.tzinfo is None:
            _fail("--now braucht eine Zeitzone, z. B. +01:00.")
    database = _database()
    if loop:
        from webapp import runners

        runners.tick_forever(database, interval)
        return
    from workflows import engine

    fired = engine.fire_due_timers(database, now=now)
    database.optimize()
    click.echo(f"{fired} Vorgänge mit fälligen Timern weitergeführt.")
    if now is not None and (demo := clock.advance_demo(now)) is not None:
        click.echo(f"Demo-Uhr: {format_datetime(demo)}.")


@main.command()
@click.option("--once", is_flag=True, help="Nur die fälligen Aufträge ausführen, dann beenden.")
@friendly
def worker(once: bool) -> None:
    """Aufträge ausführen (Dokumente, E-Mails, wiederholte Fristen, Ergebnisse von Teilvorgängen), bis der Prozess
    beendet wird."""
    from workflows import jobs

    database = _database()
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    done = jobs.run_worker(database, stop, once=once)
    click.echo(f"{done} Aufträge ausgeführt.")


@main.group("audit")
def audit_group() -> None:
    """Protokoll prüfen."""


@audit_group.command("verify")
@click.option("--expect-head", default=None, help="Früher notierter Hash des letzten Eintrags (muss noch da sein).")
@friendly
def audit_verify(expect_head: str | None) -> None:
    """Die Hash-Kette des Protokolls prüfen; nennt jeden veränderten oder gelöschten Eintrag."""
    from workflows import audit

    with _database().read() as session:
        count, problems = audit.verify(session)
        newest = audit.head(session)
        if expect_head and not audit.contains(session, expect_head):
            problems.append(audit.ChainProblem(0, f"Der notierte Eintrag {expect_head[:16]}… fehlt: "
                                                  "Einträge am Ende wurden gelöscht."))
    if problems:
        for problem in problems:
            click.secho(f"Eintrag {problem.event_id}: {problem.message}", fg="red", err=True)
        _fail(f"Protokoll beschädigt: {len(problems)} Befund(e) in {count} Einträgen.")
    click.echo(f"Protokoll intakt: {count} Einträge geprüft.")
    if newest:
        click.echo(f"Letzter Eintrag: Nr. {newest[0]}, Hash {newest[1]} (notieren, um späteres Kürzen zu erkennen)")


@main.group("retention")
def retention_group() -> None:
    """Löschkonzept: Bewerberdaten beendeter Stellenbesetzungen löschen."""


@retention_group.command("apply")
@click.option("--dry-run", is_flag=True, help="Nur anzeigen, was gelöscht würde; nichts ändern.")
@click.option("--days", type=click.IntRange(min=0), default=None,
              help="Frist in Tagen nach dem Ende (Standard: GRANTFLOW_RETENTION_DAYS).")
@friendly
def retention_apply(dry_run: bool, days: int | None) -> None:
    """Bewerberdaten und Schwerbehinderung beendeter Vorgänge nach Ablauf der Frist durch eine Markierung
    ersetzen (Zustand, Aufgaben, Protokoll, Mitteilungen); der Inhalt von Dokumenten mit solchen Daten wird
    gelöscht (ihr Eintrag bleibt), hochgeladene Bewerbungen werden gelöscht."""
    from workflows import retention

    done = retention.apply_retention(_database(), dry_run=dry_run, days=days)
    prefix = "Würde löschen" if dry_run else "Gelöscht"
    changed = [e for e in done if e.changed]
    for e in changed:
        click.echo(f"{prefix}: Vorgang {e.instance_id} ({e.business_key}, beendet {format_date(e.ended_at)}): "
                   f"{e.variables} Werte, {e.task_rows} Aufgaben, {e.events} Protokolleinträge, "
                   f"{len(e.documents)} Dokumente, {e.other_rows} weitere Einträge.")
    verb = "geprüft, nichts geändert (Probelauf)" if dry_run else "abgeschlossen"
    click.echo(f"Löschkonzept {verb}: {len(done)} beendete Vorgänge, {len(changed)} mit Bewerberdaten.")


@main.group()
def search() -> None:
    """Suchindex."""


@search.command("reindex")
@friendly
def search_reindex() -> None:
    """Den Suchindex aller Vorgänge neu aufbauen (etwa für Runden von vor der Suche); beliebig oft ausführbar."""
    from workflows.collab import search as search_index

    result = search_index.reindex(_database())
    click.echo(f"Suchindex neu aufgebaut: {result.rounds} Vorgänge, {result.tasks} offene Aufgaben.")


@main.group()
def landkreis() -> None:
    """Stammdaten eines Landkreises."""


@landkreis.command("import")
@click.argument("key")
@click.option("--name", required=True, help="z. B. 'Landkreis Rastatt'.")
@click.option("--gemeinden", "gemeinden_csv", required=True, type=EXISTING_FILE,
              help="CSV mit name, ags, type, population, population_year.")
@click.option("--teams", "teams_json", type=EXISTING_FILE,
              help="JSON mit 'teams' (Schlüssel -> Name) und 'zuordnung' (AGS -> Schlüssel).")
@click.option("--behoerde", default="", help="Briefkopf, z. B. 'Landratsamt Rastatt'.")
@click.option("--amt", default="", help="z. B. 'Amt für Migration und Integration'.")
@click.option("--strasse", default="")
@click.option("--plz", default="")
@click.option("--ort", default="")
@click.option("--stammdaten", "stammdaten_json", type=EXISTING_FILE,
              help="JSON mit Ansprechpersonen, Angebot und Bewerbungsweg für die Schreiben.")
@friendly
def landkreis_import(key: str, name: str, gemeinden_csv: Path, teams_json: Path | None,
                     stammdaten_json: Path | None, **letterhead: str) -> None:
    """Landkreis KEY mit seinen Gemeinden (und Regionalteams) anlegen oder aktualisieren."""
    from workflows.foerderung import masterdata

    teams, zuordnung = masterdata.read_teams_json(teams_json) if teams_json else ({}, {})
    extra: dict[str, Any] = {"stammdaten": masterdata.read_stammdaten_json(stammdaten_json)} if stammdaten_json else {}
    data = masterdata.LandkreisData(key=key, name=name, gemeinden=masterdata.read_gemeinden_csv(gemeinden_csv),
                                    teams=teams, zuordnung=zuordnung,
                                    letterhead={**{k: v for k, v in letterhead.items() if v}, **extra})
    with _database().write() as session:
        counts = masterdata.import_landkreis(session, data)
    click.echo(f"Landkreis '{key}': {counts['gemeinden']} Gemeinden, {counts['teams']} Regionalteams.")


@main.group()
def documents() -> None:
    """Dokumente (PDF)."""


@documents.command("sample")
@click.argument("outdir", type=click.Path(file_okay=False, path_type=Path))
@friendly
def documents_sample(outdir: Path) -> None:
    """Jede Dokumentart mit Demodaten nach OUTDIR rendern, zur Durchsicht."""
    from workflows import wiring
    from workflows.foerderung.samples import render_samples

    wiring.install()  # registers the document kinds (no database needed)

    for path in render_samples(outdir):
        click.echo(str(path))


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True)
@click.option("--no-ticker", is_flag=True, help="Keinen Timer-Thread im Hintergrund starten.")
@click.option("--no-worker", is_flag=True, help="Keinen Auftrags-Worker im Hintergrund starten.")
@click.option("--production", is_flag=True, help="gunicorn mit mehreren Prozessen statt des Entwicklungsservers.")
@click.option("--workers", default=2, show_default=True, type=click.IntRange(min=1), help="gunicorn-Prozesse.")
@click.option("--allow-demo", is_flag=True, help="Produktion trotz GRANTFLOW_DEMO_MODE=1 starten.")
@friendly
def serve(host: str, port: int, no_ticker: bool, no_worker: bool, production: bool, workers: int,
          allow_demo: bool) -> None:
    """Die Web-Anwendung starten (Entwicklungsserver mit Timer- und Auftrags-Thread, oder --production)."""
    if production:
        from webapp import production as gunicorn_server

        gunicorn_server.serve(settings.get(), host, port, workers, allow_demo)
        return
    from webapp import create_app
    from webapp.worker_thread import start_background_worker

    app = create_app(start_ticker=not no_ticker)
    from webapp.extensions import QuietRequestHandler

    if not no_worker:
        start_background_worker(app)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True, request_handler=QuietRequestHandler)


@main.group("user")
def user_group() -> None:
    """Benutzer von der Kommandozeile anlegen (z. B. die erste Administration einer neuen Datenbank)."""


@user_group.command("create")
@click.argument("username")
@click.option("--name", "display_name", required=True, help="Anzeigename, z. B. 'Sabine Keller'.")
@click.option("--role", "roles", multiple=True, required=True, help="Rolle (mehrfach möglich), z. B. Administration.")
@click.option("--gemeinde", "gemeinde_ags", default=None, help="AGS der Gemeinde (für die Rolle Gemeinde).")
@click.option("--email", default="", help="E-Mail-Adresse für Benachrichtigungen.")
@click.password_option("--password", prompt="Anfangspasswort", confirmation_prompt="Passwort wiederholen",
                       help="Anfangspasswort (sonst wird danach gefragt).")
@friendly
def user_create(username: str, display_name: str, roles: tuple[str, ...], gemeinde_ags: str | None, email: str,
                password: str) -> None:
    """Den Benutzer USERNAME mit Rollen und Anfangspasswort anlegen."""
    from workflows.identity import accounts

    info = accounts.create_user_on_command_line(_database(), username=username, display_name=display_name,
                                                roles=roles, gemeinde_ags=gemeinde_ags, email=email,
                                                password=password)
    click.echo(f"Benutzer {info.username} angelegt ({', '.join(info.roles)}).")


@main.group("token")
def token_group() -> None:
    """Persönliche API-Tokens verwalten (Anmeldung an /api/v1 mit 'Authorization: Bearer ...')."""


@token_group.command("create")
@click.argument("username")
@click.option("--name", default="", help="Wofür das Token ist, z. B. 'Fachverfahren'.")
@friendly
def token_create(username: str, name: str) -> None:
    """Ein API-Token für USERNAME erzeugen; es wird nur dieses eine Mal angezeigt."""
    from workflows.identity import tokens

    token_id, plaintext = tokens.create_token(_database(), username, name)
    click.echo(f"API-Token {token_id} für {username} erzeugt. Es wird nur jetzt angezeigt:")
    click.echo(plaintext)


@token_group.command("list")
@click.argument("username")
@friendly
def token_list(username: str) -> None:
    """Die API-Tokens von USERNAME (ohne die Tokens selbst)."""
    from workflows.identity import tokens

    rows = tokens.list_tokens(_database(), username)
    if not rows:
        click.echo("Keine API-Tokens.")
    for t in rows:
        state = f"widerrufen {t.revoked_at:%d.%m.%Y %H:%M}" if t.revoked_at else "aktiv"
        used = f"zuletzt benutzt {t.last_used_at:%d.%m.%Y %H:%M}" if t.last_used_at else "nie benutzt"
        click.echo(f"{t.id:>5}  {t.name or '(ohne Namen)'}  erzeugt {t.created_at:%d.%m.%Y %H:%M}  {used}  {state}")


@token_group.command("revoke")
@click.argument("token_id", type=int)
@friendly
def token_revoke(token_id: int) -> None:
    """Das API-Token TOKEN_ID widerrufen (wirkt sofort)."""
    from workflows.identity import tokens

    info = tokens.revoke_token(_database(), token_id)
    click.echo(f"API-Token {info.id} von {info.username} ist widerrufen.")


# --------------------------------------------------------------------------- backup and restore

@main.command()
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@friendly
def backup(file: Path) -> None:
    """Eine konsistente Sicherung der Datenbank nach FILE schreiben, auch während die Anwendung läuft."""
    from workflows.storage import backup as backups

    size = backups.backup(_database(), file)
    click.echo(f"Sicherung geschrieben: {file} ({size:,} Bytes)".replace(",", "."))


@main.command()
@click.argument("file", type=EXISTING_FILE)
@friendly
def restore(file: Path) -> None:
    """Die Sicherung FILE in die (leere) Datenbank aus DATABASE_URL einspielen."""
    from workflows.storage import backup as backups

    database = _database()
    backups.restore(database, file)
    click.echo(f"Sicherung eingespielt: {_safe_url(database.url)}. Bitte 'grantflow audit verify' ausführen.")

if __name__ == "__main__":
    main()
