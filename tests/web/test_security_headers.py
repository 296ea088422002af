"""HSTS and Secure cookies behind HTTPS, no versions in `Server`, a session of a working day."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

import requests
from flask import Flask
from werkzeug.serving import make_server

from webapp.extensions import QuietRequestHandler


def _login(app: Flask, base_url: str) -> tuple[str, dict[str, str]]:
    response = app.test_client().post("/login", data={"username": "sachbearbeitung", "password": "demo"},
                                      base_url=base_url)
    assert response.status_code == 303
    return response.headers["Set-Cookie"], dict(response.headers)


def test_behind_https_the_cookie_is_secure_and_hsts_is_sent(app: Flask) -> None:
    cookie, headers = _login(app, "https://grantflow.example")
    assert "Secure" in cookie
    assert headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_over_plain_http_neither_is_claimed(app: Flask) -> None:
    cookie, headers = _login(app, "http://127.0.0.1")
    assert "Secure" not in cookie and "Strict-Transport-Security" not in headers


def test_a_session_lasts_a_working_day_not_a_month(app: Flask) -> None:
    cookie, _ = _login(app, "http://127.0.0.1")
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    remaining = expires - datetime.now(UTC)
    assert timedelta(hours=9) < remaining <= timedelta(hours=10)


def test_the_server_header_names_no_versions(app: Flask) -> None:
    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=QuietRequestHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        response = requests.get(f"http://127.0.0.1:{server.server_port}/login", timeout=10)
    finally:
        server.shutdown()
        thread.join(timeout=10)
    assert response.status_code == 200
    assert response.headers["Server"] == "grantflow"
