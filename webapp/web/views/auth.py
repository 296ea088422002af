"""Logging in and out. The session holds only the username; the actor is loaded per request."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, flash, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from webapp.web.helpers import database, safe_next
from workflows.identity import accounts

bp = Blueprint("auth", __name__)

DEMO_LOGINS = [
    ("sachbearbeitung", "Sachbearbeitung (Amt für Migration und Integration)"),
    ("dezernat", "Dezernatsleitung"),
    ("ausschuss1", "Verwaltungsausschuss, Vorsitz"),
    ("ausschuss2", "Verwaltungsausschuss"),
    ("personalamt", "Personalamt"),
    ("personalrat", "Personalrat"),
    ("admin", "Administration"),
    ("offenburg", "Gemeinde: Stadt Offenburg"),
    ("lahr", "Gemeinde: Lahr/Schwarzwald"),
    ("kappel-grafenhausen", "Gemeinde: Kappel-Grafenhausen"),
]


@bp.get("/")
def home() -> Response:
    return redirect(url_for("tasks.inbox" if session.get("user") else "auth.login"))


def _login_page(status: int = 200, error: str | None = None, username: str = "") -> tuple[Any, int]:
    demo = DEMO_LOGINS if current_app.config.get("GRANTFLOW_DEMO_MODE") else []
    return render_template("login.html", error=error, username=username, demo_logins=demo,
                           next=safe_next(request.values.get("next"), "")), status


@bp.route("/login", methods=["GET", "POST"])
def login() -> Any:
    """Show the login form; on POST check the password (with the brake on repeated failures)."""
    if request.method == "GET":
        return _login_page()
    username = request.form.get("username", "")
    password = request.form.get("password", "")
    try:
        canonical = accounts.authenticate(database(), username, password, address=request.remote_addr or "")
    except (accounts.LoginFailed, accounts.LoginThrottled) as exc:
        return _login_page(exc.http_status, exc.message, username)
    session.clear()  # no session fixation: a fresh session for the logged-in user
    session["user"] = canonical
    session.permanent = True
    return redirect(safe_next(request.form.get("next"), url_for("tasks.inbox")), code=303)


@bp.post("/logout")
def logout() -> Response:
    session.clear()
    flash("Sie sind abgemeldet.", "info")
    return redirect(url_for("auth.login"), code=303)
