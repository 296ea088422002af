"""Logging in and out, the brake on guessing, CSRF, error pages, security headers."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
from flask import Flask

from tests.web.conftest import LoginAs, make_app
from workflows.identity import accounts
from workflows.storage.db import Database
from workflows.storage.models import LoginThrottle, utcnow

WRONG = "Benutzername oder Passwort ist falsch."


def test_login_page_shows_demo_logins_only_in_demo_mode(app: Flask, mini_db: Database) -> None:
    page = app.test_client().get("/login").get_data(as_text=True)
    assert '<html lang="de">' in page and "Demo-Zugänge" in page and "sachbearbeitung" in page
    quiet = make_app(mini_db, GRANTFLOW_DEMO_MODE=False).test_client().get("/login").get_data(as_text=True)
    assert "Anmelden" in quiet and "Demo-Zugänge" not in quiet


def test_login_success_sets_a_safe_session_cookie_and_logout_clears_it(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/login", data={"username": "Offenburg", "password": "demo"})
    assert response.status_code == 303 and response.headers["Location"] == "/tasks"
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    with client.session_transaction() as session:
        assert dict(session) == {"user": "offenburg", "_permanent": True}
    assert client.get("/tasks").status_code == 200
    assert client.post("/logout").status_code == 303
    assert client.get("/tasks").status_code == 302


def test_wrong_password_and_unknown_user_get_the_same_message(app: Flask) -> None:
    client = app.test_client()
    for username in ("offenburg", "gibt-es-nicht"):
        response = client.post("/login", data={"username": username, "password": "falsch"})
        assert response.status_code == 401
        assert WRONG in response.get_data(as_text=True)


def test_repeated_failures_slow_down(app: Flask, mini_db: Database) -> None:
    client = app.test_client()
    for _ in range(accounts.FREE_ATTEMPTS):
        assert client.post("/login", data={"username": "lahr", "password": "x"}).status_code == 401
    refused = client.post("/login", data={"username": "lahr", "password": "demo"})  # even the right one
    assert refused.status_code == 429
    assert re.search(r"Zu viele fehlgeschlagene Anmeldeversuche\. Bitte warten Sie (29|30) Sekunden",
                     refused.get_data(as_text=True))
    with mini_db.write() as session:  # the delay has passed
        row = session.get(LoginThrottle, "lahr")
        assert row is not None and row.failures == accounts.FREE_ATTEMPTS
        for counter in session.query(LoginThrottle):  # the account's, and this address's
            counter.last_failure_at = utcnow() - timedelta(minutes=1)
    assert client.post("/login", data={"username": "lahr", "password": "demo"}).status_code == 303
    with mini_db.read() as session:
        assert session.get(LoginThrottle, "lahr") is None


def test_delay_grows_and_is_capped() -> None:
    assert accounts.delay_after(accounts.FREE_ATTEMPTS - 1) == timedelta(0)
    assert accounts.delay_after(accounts.FREE_ATTEMPTS + 2) == 4 * accounts.BASE_DELAY
    assert accounts.delay_after(100) == accounts.MAX_DELAY


def test_next_parameter_is_followed_only_within_the_site(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/instances").headers["Location"].startswith("/login?next=/instances")
    ok = client.post("/login", data={"username": "sachbearbeitung", "password": "demo", "next": "/instances"})
    assert ok.headers["Location"] == "/instances"
    other = app.test_client().post("/login", data={"username": "sachbearbeitung", "password": "demo",
                                                   "next": "//evil.example/x"})
    assert other.headers["Location"] == "/tasks"


def test_deactivated_user_is_logged_out(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("lahr")
    assert client.get("/tasks").status_code == 200
    accounts.set_active(mini_db, "admin", "lahr", False)
    assert client.get("/tasks").status_code == 302


@pytest.mark.parametrize("path", ["/tasks", "/instances", "/documents", "/notifications", "/admin/users"])
def test_pages_need_a_login(app: Flask, path: str) -> None:
    response = app.test_client().get(path)
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_csrf_token_is_required_on_every_form(mini_db: Database, round_id: int) -> None:
    app = make_app(mini_db, WTF_CSRF_ENABLED=True)
    client = app.test_client()
    response = client.post("/login", data={"username": "offenburg", "password": "demo"})
    assert response.status_code == 400
    assert "Sicherheitsprüfung des Formulars ist fehlgeschlagen" in response.get_data(as_text=True)
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    for path in ("/logout", f"/instances/{round_id}/cancel", "/instances/new", "/tasks/1",
                 f"/instances/{round_id}/messages/decision"):
        assert client.post(path, data={"reason": "x"}).status_code == 400, path
    # with the token from the page it goes through
    page = client.get(f"/instances/{round_id}").get_data(as_text=True)
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    assert client.post(f"/instances/{round_id}/cancel", data={"reason": "Test", "csrf_token": token}).status_code == 303


def test_error_pages_are_german_without_traceback(mini_db: Database) -> None:
    app = make_app(mini_db, PROPAGATE_EXCEPTIONS=False)

    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("geheimes Detail")

    client = app.test_client()
    with client.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    response = client.get("/gibt-es-nicht")
    assert response.status_code == 404 and "Nicht gefunden" in response.get_data(as_text=True)
    assert client.put("/tasks").status_code == 405
    response = client.get("/boom")
    text = response.get_data(as_text=True)
    assert response.status_code == 500 and "Interner Fehler" in text
    assert "geheimes Detail" not in text and "Traceback" not in text


def test_too_large_upload_gets_413(login_as: LoginAs) -> None:
    client = login_as("admin")
    big = b"x" * (2 * 1024 * 1024 + 10)
    response = client.post("/admin/definitions/upload", data={"file": (io.BytesIO(big), "a.bpmn")},
                           content_type="multipart/form-data")
    assert response.status_code == 413 and "höchstens 2 MB" in response.get_data(as_text=True)


def test_security_headers(login_as: LoginAs) -> None:
    response = login_as("sachbearbeitung").get("/tasks")
    assert response.headers["X-Frame-Options"] == "DENY"
    assert "default-src 'self'" in response.headers["Content-Security-Policy"]
    assert response.headers["Cache-Control"] == "private, no-store"
