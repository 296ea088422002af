"""Health, readiness, request ids, the reverse proxy, secure cookies and `/metrics`, on the real app."""

from __future__ import annotations

import json
import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask, request
from sqlalchemy import func, select, update

from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import START_DATA, gemeinde_user, ready_rows, start_mini
from webapp import create_app
from workflows import engine, logsetup, settings
from workflows.storage.db import Database
from workflows.storage.models import Job, ProcessInstance, utcnow


def make_app(db: Database, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False, **config}, database=db)


def metric(text: str, name: str, **labels: str) -> float:
    """The value of one sample in Prometheus' text format (labels in any order)."""
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}(?:\{{(.*)\}})? (\S+)", line)
        if match and dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or "")) == labels:
            return float(match.group(2))
    raise AssertionError(f"{name}{labels} not in metrics:\n{text}")


def test_health_and_readiness_need_no_login(sqlite_db: Database, tmp_path: Path) -> None:
    client = make_app(sqlite_db).test_client()
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get("/readyz").get_json() == {"status": "ok"}
    empty = make_app(Database(f"sqlite:///{tmp_path / 'leer.db'}")).test_client()
    assert empty.get("/healthz").status_code == 200
    response = empty.get("/readyz")
    assert response.status_code == 503 and "grantflow db upgrade" in response.get_json()["detail"]
    unreachable = make_app(Database("postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=2")).test_client()
    response = unreachable.get("/readyz")
    assert response.status_code == 503 and response.get_json()["detail"] == "Die Datenbank ist nicht erreichbar."


def test_request_ids_are_honoured_or_made_and_appear_in_every_log_line(
        sqlite_db: Database, capsys: pytest.CaptureFixture[str]) -> None:
    logsetup.configure(settings.Settings.from_environment({"GRANTFLOW_LOG_FORMAT": "json"}))
    try:
        client = make_app(sqlite_db).test_client()
        assert client.get("/healthz", headers={"X-Request-ID": "proxy-42"}).headers["X-Request-ID"] == "proxy-42"
        made = client.get("/login", headers={"X-Request-ID": "nicht <erlaubt>"}).headers["X-Request-ID"]
        assert re.fullmatch(r"[0-9a-f]{32}", made)
        logging.getLogger("workflows.test").warning("outside a request")
    finally:
        logging.getLogger().handlers.clear()
    lines = [json.loads(line) for line in capsys.readouterr().err.splitlines()]
    assert [line["request_id"] for line in lines] == ["proxy-42", made, "-"]
    assert lines[0]["message"].startswith("GET /healthz 200 ") and lines[1]["message"].startswith("GET /login 200 ")
    assert lines[2]["message"] == "outside a request"
    assert {"time", "level", "logger"} <= set(lines[0])


def test_behind_the_proxy_the_forwarded_client_and_scheme_count(sqlite_db: Database,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRANTFLOW_PROXY_COUNT", "1")
    app = make_app(sqlite_db)
    app.add_url_rule("/_probe", "probe", lambda: f"{request.remote_addr} {request.scheme} {request.host}")
    headers = {"X-Forwarded-For": "10.1.2.3", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "grantflow.lra.de"}
    assert app.test_client().get("/_probe", headers=headers).get_data(as_text=True) == "10.1.2.3 https grantflow.lra.de"
    monkeypatch.setenv("GRANTFLOW_PROXY_COUNT", "0")
    direct = make_app(sqlite_db)
    direct.add_url_rule("/_probe", "probe", lambda: f"{request.remote_addr} {request.scheme}")
    assert direct.test_client().get("/_probe", headers=headers).get_data(as_text=True) == "127.0.0.1 http"


def _login_cookie(app: Flask) -> str:
    response = app.test_client().post("/login", data={"username": "sachbearbeitung", "password": "demo"})
    assert response.status_code == 303
    return response.headers["Set-Cookie"]


def test_session_cookies_are_secure_in_production_and_short_lived(sqlite_db: Database,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    assert "Secure" not in _login_cookie(make_app(sqlite_db))
    production = create_app({"SECRET_KEY": "k", "WTF_CSRF_ENABLED": False}, database=sqlite_db, production=True)
    cookie = _login_cookie(production)
    assert "Secure" in cookie and "HttpOnly" in cookie
    assert production.permanent_session_lifetime == timedelta(hours=10)  # a working day
    monkeypatch.setenv("GRANTFLOW_SECURE_COOKIES", "0")
    assert "Secure" not in _login_cookie(create_app({"SECRET_KEY": "k", "WTF_CSRF_ENABLED": False},
                                                    database=sqlite_db, production=True))


@pytest.fixture
def metrics_app(mini_db: Database) -> Flask:
    return make_app(mini_db, GRANTFLOW_METRICS_TOKEN="geheim-123")


def test_metrics_only_for_administration_or_the_token(metrics_app: Flask) -> None:
    client = metrics_app.test_client()
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer falsch"}).status_code == 401
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    assert client.get("/metrics").status_code == 403
    with client.session_transaction() as session:
        session["user"] = "admin"
    assert client.get("/metrics").status_code == 200
    anonymous = metrics_app.test_client()
    response = anonymous.get("/metrics", headers={"Authorization": "Bearer geheim-123"})
    assert response.status_code == 200 and response.mimetype == "text/plain"


def test_metrics_count_steps_and_read_the_database(metrics_app: Flask, mini_db: Database) -> None:
    client = metrics_app.test_client()
    token = {"Authorization": "Bearer geheim-123"}

    def scrape() -> str:
        return client.get("/metrics", headers=token).get_data(as_text=True)

    def steps(text: str, operation: str, outcome: str = "ok") -> float:
        try:
            return metric(text, "grantflow_steps_total", operation=operation, outcome=outcome)
        except AssertionError:
            return 0.0

    before = scrape()
    round_id = start_mini(mini_db)
    first, second = ready_rows(mini_db, round_id, "answer")[:2]
    for row in (first, second):
        engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 1},
                             gemeinde_user(mini_db, str(row.assignee_gemeinde)))
    with pytest.raises(Exception, match="bereits erledigt"):
        engine.complete_task(mini_db, first.id, {"entscheidung": "selbst", "anzahl": 1},
                             gemeinde_user(mini_db, str(first.assignee_gemeinde)))
    after = scrape()
    assert steps(after, "complete_task") - steps(before, "complete_task") == 2
    assert steps(after, "complete_task", "conflict") - steps(before, "complete_task", "conflict") == 1
    assert steps(after, "start_instance") - steps(before, "start_instance") == 1
    assert metric(after, "grantflow_step_duration_seconds_count", operation="complete_task") >= 3
    assert metric(after, "grantflow_open_tasks", lane="Gemeinde") == 49
    assert metric(after, "grantflow_instances_running") == 1
    assert metric(after, "grantflow_timer_lag_seconds") == 0
    with mini_db.read() as session:  # the mails the new Gemeinde tasks queued
        waiting = session.scalar(select(func.count()).select_from(Job).where(Job.status == "pending"))
    assert waiting and metric(after, "grantflow_jobs_waiting") == waiting
    assert metric(after, "grantflow_stoerungen") == 0
    with mini_db.write() as session:  # a deadline an hour overdue that no ticker has fired yet
        session.execute(update(ProcessInstance).values(next_timer_at=utcnow() - timedelta(hours=1)))
    assert 3500 < metric(scrape(), "grantflow_timer_lag_seconds") < 4000
    engine.fire_due_timers(mini_db)  # the ticker looks: the real deadline (2030) is not due, next_timer_at is reset
    final = scrape()
    assert metric(final, "grantflow_timer_lag_seconds") == 0
    assert steps(final, "fire_timer") - steps(after, "fire_timer") == 1


def test_demo_mode_is_off_unless_asked_for(sqlite_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GRANTFLOW_DEMO_MODE", raising=False)
    deploy_dir(sqlite_db, FIXTURES / "mini")
    page = create_app({"SECRET_KEY": "k"}, database=sqlite_db).test_client().get("/login").get_data(as_text=True)
    assert "Demo-Modus" not in page and START_DATA
    monkeypatch.setenv("GRANTFLOW_DEMO_MODE", "1")
    page = create_app({"SECRET_KEY": "k"}, database=sqlite_db).test_client().get("/login").get_data(as_text=True)
    assert "Demo-Modus" in page
