"""Wiring of blueprints, CSRF protection, template filters, security headers and error pages."""

from __future__ import annotations

import importlib.util
import logging
from datetime import datetime
from typing import Any

from flask import Flask, abort, g, render_template, request, session
from flask.sessions import SecureCookieSessionInterface
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException
from werkzeug.serving import WSGIRequestHandler
from werkzeug.wrappers import Response

from workflows import clock, formatting
from workflows.errors import Forbidden, GrantflowError
from workflows.identity import authz

log = logging.getLogger(__name__)
csrf = CSRFProtect()

ERROR_TITLES = {
    400: "Ungültige Anfrage",
    401: "Anmeldung erforderlich",
    403: "Keine Berechtigung",
    404: "Nicht gefunden",
    405: "Aktion nicht erlaubt",
    409: "Konflikt",
    413: "Datei zu groß",
    422: "Eingaben nicht verarbeitbar",
    429: "Zu viele Anfragen",
    500: "Interner Fehler",
}
ERROR_TEXTS = {
    400: "Die Anfrage konnte nicht verarbeitet werden.",
    401: "Bitte melden Sie sich an.",
    403: "Sie haben keine Berechtigung für diese Seite oder Aktion.",
    404: "Die angeforderte Seite gibt es nicht, oder sie ist für Sie nicht sichtbar.",
    405: "Diese Aktion ist hier nicht möglich.",
    409: "Der Vorgang wurde inzwischen geändert; es wurde nichts gespeichert.",
    413: "Die Datei ist zu groß. Erlaubt sind höchstens 2 MB.",
    422: "Die Eingaben konnten nicht verarbeitet werden.",
    429: "Zu viele Anfragen. Bitte warten Sie einen Moment.",
    500: "Es ist ein unerwarteter Fehler aufgetreten. Bitte versuchen Sie es später erneut; "
         "die Administration wurde informiert.",
}
CSP = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'self'; object-src 'none'")


def _fmt(fn: Any) -> Any:
    def apply(value: Any, *args: Any) -> str:
        if value is None or value == "":
            return "–"
        try:
            return fn(value, *args)
        except (TypeError, ValueError):
            return str(value)

    return apply


def _register_filters(app: Flask) -> None:
    from webapp.web import presenting

    app.jinja_env.filters["eur"] = _fmt(formatting.format_eur)
    app.jinja_env.filters["date_de"] = _fmt(formatting.format_day_of)
    app.jinja_env.filters["datetime_de"] = _fmt(formatting.format_datetime)
    app.jinja_env.filters["number_de"] = _fmt(formatting.format_number)
    app.jinja_env.filters["event_label"] = presenting.event_label
    app.jinja_env.filters["status_label"] = lambda s: presenting.STATUS_LABELS.get(s, s)
    app.jinja_env.filters["filesize"] = lambda n: (f"{formatting.format_number(n / 1024, 0)} KB" if n < 1024 * 1024
                                                   else f"{formatting.format_number(n / 1048576, 1)} MB")


def _load_actor() -> None:
    """Load the logged-in user per request; a deactivated or deleted user is logged out."""
    g.actor = None
    username = session.get("user")
    if not username:
        return
    from webapp.web.helpers import database

    try:
        with database().read() as db_session:
            g.actor = authz.load_actor(db_session, username)
    except Forbidden:
        session.clear()


def _error_page(status: int, message: str | None = None, title: str | None = None) -> tuple[Any, int]:
    if request.path.startswith("/api/"):  # an address no API route takes (e.g. a newline in it): problem+json too
        from webapp.api.problems import problem

        return problem(status, message or ERROR_TEXTS.get(status, "")), status
    return render_template("error.html", status=status, title=title or ERROR_TITLES.get(status, "Fehler"),
                           message=message or ERROR_TEXTS.get(status, "")), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(GrantflowError)
    def domain_error(exc: GrantflowError) -> tuple[Any, int]:
        return _error_page(exc.http_status, exc.message)

    @app.errorhandler(CSRFError)
    def csrf_error(exc: CSRFError) -> tuple[Any, int]:
        return _error_page(400, "Die Sicherheitsprüfung des Formulars ist fehlgeschlagen (die Sitzung ist "
                                "vielleicht abgelaufen). Bitte laden Sie die Seite neu und senden Sie das "
                                "Formular erneut.", "Formular abgelaufen")

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> tuple[Any, int] | HTTPException:
        if exc.code is None or exc.code < 400:
            return exc
        return _error_page(exc.code)

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> tuple[Any, int]:
        log.exception("unhandled error on %s %s", request.method, request.path)
        return _error_page(500)


HSTS = "max-age=31536000; includeSubDomains"


def _security_headers(response: Response) -> Response:
    if request.is_secure:  # behind the Landratsamt's HTTPS proxy (ProxyFix sets the scheme)
        response.headers.setdefault("Strict-Transport-Security", HSTS)
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        response.headers.setdefault("Content-Security-Policy", CSP)
    if g.get("actor") is not None:
        response.headers.setdefault("Cache-Control", "private, no-store")
    return response


class SessionOverHttps(SecureCookieSessionInterface):
    """The session cookie is `Secure` whenever the request came over HTTPS (or the setting says so)."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure


class QuietRequestHandler(WSGIRequestHandler):
    """`grantflow serve`'s handler: the `Server` header names no product versions."""

    def version_string(self) -> str:
        return "grantflow"


MAX_ID = 2**63 - 1  #: what the databases' integer keys hold


def _ids_in_range() -> None:
    """An id in a URL that no database row can have (20 digits) is a 404, never a 500 from the driver."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 0 <= value <= MAX_ID:
            abort(404)


def init_app(app: Flask) -> None:
    """Blueprints (auth, tasks, instances, documents, admin, notifications; api if present), CSRF, errors."""
    app.session_interface = SessionOverHttps()
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # token lives as long as the session
    csrf.init_app(app)
    _register_filters(app)
    _register_errors(app)
    app.before_request(_ids_in_range)
    app.before_request(_load_actor)
    app.after_request(_security_headers)

    @app.context_processor
    def inject() -> dict[str, Any]:
        return {"current_actor": g.get("actor"), "now": datetime.now(formatting.TIMEZONE),
                "demo_mode": app.config.get("GRANTFLOW_DEMO_MODE", False), "demo_uhr": clock.demo_now}

    from webapp.web.views import (
        account,
        admin,
        auth,
        bulk,
        collab,
        documents,
        instances,
        migrations,
        notifications,
        records,
        stoerungen,
        tasks,
    )

    for module in (auth, tasks, bulk, instances, documents, admin, migrations, notifications, account, stoerungen,
                   records, collab):
        app.register_blueprint(module.bp)
    if importlib.util.find_spec("webapp.api") is not None:
        from webapp import api

        api_bp = getattr(api, "bp", None)
        if api_bp is not None:
            csrf.exempt(api_bp)
            app.register_blueprint(api_bp)
