"""The real round under attack: twenty clients on one task, a step committed between read and load, cancel.

The Gemeinde's Abfrage is a subprocess that is pruned from the state when it finishes, so a client
that read the task row before another committed finds the task gone from the state it loads.
"""

from __future__ import annotations

import threading
from typing import Any

import pytest
from sqlalchemy import select, update

from tests.web.conftest import make_app
from tests.web.grant_round import deploy, open_round, ready
from workflows import engine
from workflows.errors import Conflict
from workflows.foerderung.demo import username_for
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskRow

CLIENTS = 20
ANSWER = {"entscheidung": "uebertragung", "ansprechperson": "Bürgermeisteramt", "anzahl_gefluechtete": 40}


def _gemeinden(count: int) -> list[str]:
    return [username_for(d["name"]) for d in demo_rueckmeldungen("ortenaukreis").values()][:count]


def _race(db: Database, task_id: int, user: str) -> list[Any]:
    barrier = threading.Barrier(CLIENTS)
    results: list[Any] = [None] * CLIENTS

    def client(index: int) -> None:
        barrier.wait()
        try:
            results[index] = engine.complete_task(db, task_id, ANSWER, user)
        except Exception as exc:  # asserted by the caller
            results[index] = exc

    threads = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(t.is_alive() for t in threads)
    return results


def test_twenty_clients_on_one_task_one_wins_every_loser_gets_a_conflict(db: Database) -> None:
    deploy(db)
    open_round(db)
    for user in _gemeinden(3):
        (task,) = ready(db, user, "rueckmeldung_abgeben")
        results = _race(db, task.id, user)
        winners = [r for r in results if isinstance(r, engine.StepResult)]
        losers = [r for r in results if not isinstance(r, engine.StepResult)]
        assert len(winners) == 1, results
        assert all(isinstance(r, Conflict) and r.http_status == 409 for r in losers), losers


def test_a_task_gone_from_the_state_between_reading_and_loading_is_a_conflict(db: Database) -> None:
    """Deterministic form of the race: the row still says ready, the state no longer has the task."""
    deploy(db)
    open_round(db)
    (user,) = _gemeinden(1)
    (task,) = ready(db, user, "rueckmeldung_abgeben")
    engine.complete_task(db, task.id, ANSWER, user)
    with db.write() as session:  # what the loser read before the winner committed
        session.execute(update(TaskRow).where(TaskRow.id == task.id).values(status="ready"))
    with pytest.raises(Conflict) as caught:
        engine.complete_task(db, task.id, ANSWER, user)
    assert caught.value.http_status == 409


def test_cancelling_a_round_in_the_abfrage_stops_it(db: Database) -> None:
    deploy(db)
    iid = open_round(db)
    for user in _gemeinden(2):  # some Abfragen finished and pruned, the others open
        (task,) = ready(db, user, "rueckmeldung_abgeben")
        engine.complete_task(db, task.id, ANSWER, user)
    engine.cancel_instance(db, iid, "sachbearbeitung", "Förderprogramm eingestellt")
    with db.read() as session:
        assert session.get(ProcessInstance, iid).status == "cancelled"  # type: ignore[union-attr]
        open_rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == iid, TaskRow.status == "ready"))
        assert list(open_rows) == []
    assert ready(db, _gemeinden(3)[2], "rueckmeldung_abgeben") == []


def test_vorgang_abbrechen_in_the_browser_answers_with_the_cancelled_round(db: Database) -> None:
    deploy(db)
    iid = open_round(db)
    (user,) = _gemeinden(1)
    (task,) = ready(db, user, "rueckmeldung_abgeben")
    engine.complete_task(db, task.id, ANSWER, user)
    client = make_app(db).test_client()
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    response = client.post(f"/instances/{iid}/cancel", data={"reason": "Doppelt angelegt"})
    assert response.status_code == 303
    page = client.get(f"/instances/{iid}")
    assert page.status_code == 200 and "abgebrochen" in page.get_data(as_text=True)
    with db.read() as session:
        assert session.get(ProcessInstance, iid).status == "cancelled"  # type: ignore[union-attr]
