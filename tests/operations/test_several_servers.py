"""Two production servers (gunicorn, two workers each) and two tickers on one PostgreSQL schema.

Rounds are driven through both servers at once and their deadlines fired by both tickers; nothing
may be lost or done twice: every task completed once by its own Gemeinde, each round's sum over
all answers, exactly one fired deadline per round, an intact audit chain, and the servers' step
counters adding up to the steps taken.
"""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests
from sqlalchemy import func, select

from tests.conftest import FIXTURES, _pg_db, deploy_dir
from tests.engine.helpers import gemeinde_user, ready_rows
from tests.operations.processes import cli, environment, production_server, ticker
from tests.operations.test_web_operations import metric
from workflows.audit import keys
from workflows.identity import tokens
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance, TaskRow

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.timeout(900)]
DRIVEN, OVERDUE = 2, 6
REMINDER = Path(__file__).resolve().parent / "fixtures" / "erinnerung"  # a deadline 3 s after the start


@pytest.fixture
def pg_db(pg_schema_url: str, tmp_path: Path) -> Iterator[Database]:
    database = _pg_db(pg_schema_url, tmp_path)
    deploy_dir(database, FIXTURES / "mini")
    deploy_dir(database, REMINDER)
    yield database
    database.dispose()


def _post(url: str, path: str, token: str, body: dict[str, object]) -> dict[str, object]:
    response = requests.post(f"{url}{path}", json=body, headers={"Authorization": f"Bearer {token}"}, timeout=120)
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    result: dict[str, object] = response.json()
    return result


def _answer(url: str, task_id: int, token: str, body: dict[str, object], retried: list[int]) -> None:
    """Complete as a client does: a 409 "soeben geändert" (another Gemeinde's answer won the race for the
    round's version) is tried again; "bereits erledigt" would be a doubled step and fails the test."""
    for _ in range(20):
        response = requests.post(f"{url}/api/v1/tasks/{task_id}/complete", json=body,
                                 headers={"Authorization": f"Bearer {token}"}, timeout=120)
        if response.status_code != 409 or "soeben" not in response.json()["detail"]:
            assert response.status_code == 200, (task_id, response.status_code, response.text)
            return
        retried.append(task_id)
    raise AssertionError(f"task {task_id}: still in conflict after 20 tries")


def test_two_servers_and_two_tickers_lose_nothing_and_double_nothing(pg_db: Database, tmp_path: Path) -> None:
    gemeinde_token: dict[str, str] = {}
    token = {u: tokens.create_token(pg_db, u, "test")[1] for u in ("sachbearbeitung", "dezernat")}
    common = {"DATABASE_URL": pg_db.url, "GRANTFLOW_SECRET_KEY": "geteilt", "GRANTFLOW_METRICS_TOKEN": "m",
              "GRANTFLOW_AUDIT_KEY": keys.audit_key().decode()}  # every server signs the one chain with one key
    env_a = environment(**common, GRANTFLOW_INSTANCE_DIR=str(tmp_path / "a"))
    env_b = environment(**common, GRANTFLOW_INSTANCE_DIR=str(tmp_path / "b"))
    with production_server(env_a) as (url_a, _), production_server(env_b) as (url_b, _):
        servers = itertools.cycle([url_a, url_b])
        overdue = [int(_post(next(servers), "/api/v1/instances", token["sachbearbeitung"],
                             {"process": "erinnerung", "business_key": f"Erinnerung {n}"})["instance_id"])
                   for n in range(OVERDUE)]
        driven = [int(_post(next(servers), "/api/v1/instances", token["sachbearbeitung"],
                            {"process": "mini_round", "business_key": f"Runde {n}",
                             "data": {"landkreis": "ortenaukreis", "frist": "2030-01-31"}})["instance_id"])
                  for n in range(DRIVEN)]
        answers = [row for rid in driven for row in ready_rows(pg_db, rid, "answer")]
        for row in answers:
            user = gemeinde_user(pg_db, str(row.assignee_gemeinde))
            gemeinde_token.setdefault(user, tokens.create_token(pg_db, user, "test")[1])
        retried: list[int] = []
        anzahl = {row.assignee_gemeinde: n for n, row in enumerate(ready_rows(pg_db, driven[0], "answer"), 1)}

        with ticker(env_a, interval=1), ticker(env_b, interval=1), ThreadPoolExecutor(8) as pool:
            jobs = [pool.submit(_answer, url, row.id, gemeinde_token[gemeinde_user(pg_db, str(row.assignee_gemeinde))],
                                {"entscheidung": "uebertragen", "anzahl": anzahl[row.assignee_gemeinde]}, retried)
                    for row, url in zip(answers, servers, strict=False)]
            for job in jobs:
                job.result()
            for rid, (first, second) in zip(driven, [(url_a, url_b), (url_b, url_a)], strict=True):
                (draft,) = ready_rows(pg_db, rid, "draft")
                _post(first, f"/api/v1/tasks/{draft.id}/complete", token["sachbearbeitung"], {"text": "Vorlage"})
                (release,) = ready_rows(pg_db, rid, "release")
                _post(second, f"/api/v1/tasks/{release.id}/complete", token["dezernat"], {"freigabe": "ja"})
                _post(first, f"/api/v1/instances/{rid}/messages/decision", token["sachbearbeitung"],
                      {"aktenzeichen": f"RPS-{rid}", "betrag": 1000.0})
            deadline = time.monotonic() + 120
            while not _all_ended(pg_db, overdue):
                assert time.monotonic() < deadline, "the tickers did not fire the overdue deadlines"
                time.sleep(0.5)
            time.sleep(2.5)  # both tickers get another round: nothing may fire twice

        scraped = [requests.get(f"{url}/metrics", headers={"Authorization": "Bearer m"}, timeout=60).text
                   for url in (url_a, url_b)]
    assert sum(metric(text, "grantflow_steps_total", operation="complete_task", outcome="ok")
               for text in scraped) == DRIVEN * (51 + 2)
    if retried:
        assert sum(metric(text, "grantflow_steps_total", operation="complete_task", outcome="conflict")
                   for text in scraped if "outcome=\"conflict\"" in text) == len(retried)

    with pg_db.read() as session:
        for rid in driven:
            instance = session.get(ProcessInstance, rid)
            assert instance is not None and instance.status == "completed"
            assert re.search(rf'"total": ?{sum(range(1, 52))}\b', instance.state)  # every answer counted once
            rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == rid)).all()
            assert sorted(r.element_id for r in rows) == sorted(["answer"] * 51 + ["draft", "release"])
            assert {r.status for r in rows} == {"completed"}
            assert all(r.completed_by == gemeinde_user(pg_db, str(r.assignee_gemeinde))
                       for r in rows if r.element_id == "answer")
            assert len({r.assignee_gemeinde for r in rows if r.element_id == "answer"}) == 51
            completed = session.scalar(select(func.count()).where(Event.instance_id == rid,
                                                                  Event.kind == "task_completed"))
            assert completed == 53
        for rid in overdue:
            fired = session.scalar(select(func.count()).where(Event.instance_id == rid, Event.kind == "timer_fired"))
            assert fired == 1
            open_rows = session.scalar(select(func.count()).where(TaskRow.instance_id == rid,
                                                                  TaskRow.status == "ready"))
            assert open_rows == 0
    assert "Protokoll intakt" in cli(env_a, "audit", "verify").stdout


def _all_ended(db: Database, instance_ids: list[int]) -> bool:
    with db.read() as session:
        return set(session.scalars(select(ProcessInstance.status).where(ProcessInstance.id.in_(instance_ids)))) \
            == {"completed"}
