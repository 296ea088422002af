"""Work the CLI runs in one process: many task completions from a file, the ticker loop."""

from __future__ import annotations

import json
import logging
import signal
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click

from workflows import engine
from workflows.errors import GrantflowError, ValidationFailed
from workflows.storage.db import Database

log = logging.getLogger("grantflow.ticker")


def _lines(path: Path) -> Iterator[tuple[int, str]]:
    with path.open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield number, line


def _parse(line: str, default_user: str | None) -> tuple[int, str, dict[str, Any]]:
    """One line `{"task_id": 1, "user": "kehl", "data": {...}}`; raises GrantflowError with the reason."""
    try:
        item = json.loads(line.strip())
    except json.JSONDecodeError as exc:
        raise GrantflowError(f"kein gültiges JSON ({exc.msg}, Spalte {exc.colno})") from exc
    if not isinstance(item, dict):
        raise GrantflowError("muss ein JSON-Objekt sein")
    task_id, user, data = item.get("task_id"), item.get("user") or default_user, item.get("data", {})
    if not isinstance(task_id, int) or isinstance(task_id, bool):
        raise GrantflowError("'task_id' fehlt oder ist keine ganze Zahl")
    if not isinstance(user, str) or not user:
        raise GrantflowError("'user' fehlt (oder --user angeben)")
    if not isinstance(data, dict):
        raise GrantflowError("'data' muss ein JSON-Objekt sein")
    return task_id, user, data


def _describe(exc: GrantflowError) -> str:
    if isinstance(exc, ValidationFailed):
        return "; ".join([exc.message, *(f"{e.pointer or '/'}: {e.message}" for e in exc.errors)])
    return exc.message


def complete_from_file(database: Database, path: Path, default_user: str | None) -> int:
    """Complete the task of each line in turn (each its own transaction); report every line. Returns failures."""
    done = failed = 0
    for number, line in _lines(path):
        try:
            task_id, user, data = _parse(line, default_user)
            result = engine.complete_task(database, task_id, data, user)
        except GrantflowError as exc:
            failed += 1
            click.secho(f"Zeile {number}: Fehler: {_describe(exc)}", fg="red", err=True)
            continue
        done += 1
        click.echo(f"Zeile {number}: Aufgabe {task_id} erledigt; Vorgang {result.instance_id}: {result.status}, "
                   f"{len(result.new_task_ids)} neue Aufgaben.")
    click.echo(f"{done} erledigt, {failed} fehlgeschlagen.")
    return failed


def tick_forever(database: Database, interval: float) -> None:
    """Fire due timers every `interval` seconds until SIGTERM or SIGINT; a failed round is logged and retried."""
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    log.info("ticker started, every %.0f s", interval)
    while not stop.is_set():
        try:
            fired = engine.fire_due_timers(database)
            database.optimize()
            if fired:
                log.info("ticker: %s instances advanced", fired)
        except Exception:  # the database may be away for a moment; the next round retries
            log.exception("ticker round failed")
        stop.wait(interval)
    log.info("ticker stopped")
