"""RFC 9457 problem details for every error under `/api/v1`, registered on the blueprint.

`type` is a relative URI to the problem's section on the API documentation page; `detail` is
German and meant for the person who caused the error; `instance` is the request path.
No handler ever shows a traceback: unexpected exceptions are logged and answered with a 500.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, current_app, request
from werkzeug.exceptions import HTTPException, MethodNotAllowed, RequestEntityTooLarge

from webapp.api import bp
from webapp.api.schemas import Problem
from workflows.errors import GrantflowError, ProcessStepFailed, TaskAlreadyCompleted, ValidationFailed

PROBLEM_JSON = "application/problem+json"

# status -> (type slug, German title)
PROBLEMS: dict[int, tuple[str, str]] = {
    400: ("bad-request", "Ungültige Anfrage"),
    401: ("unauthorized", "Nicht angemeldet"),
    403: ("forbidden", "Keine Berechtigung"),
    404: ("not-found", "Nicht gefunden"),
    405: ("method-not-allowed", "Methode nicht erlaubt"),
    406: ("not-acceptable", "Antwortformat nicht verfügbar"),
    409: ("conflict", "Konflikt"),
    412: ("precondition-failed", "Vorgang inzwischen geändert"),
    413: ("too-large", "Anfrage zu groß"),
    415: ("unsupported-media-type", "Inhaltstyp nicht unterstützt"),
    422: ("validation-failed", "Ungültige Eingaben"),
    500: ("internal-error", "Interner Fehler"),
}
# problems more specific than their status
SPECIAL: dict[str, str] = {
    "already-completed": "Aufgabe bereits erledigt",
    "process-step-failed": "Prozessschritt fehlgeschlagen",
}

BEARER_CHALLENGE = 'Bearer realm="grantflow"'


class ApiProblem(Exception):
    """Raised by views and the auth hook; turned into a problem response by the handler below."""

    def __init__(self, status: int, detail: str, *, slug: str | None = None,
                 headers: dict[str, str] | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.status, self.detail, self.slug = status, detail, slug
        self.headers = headers or {}
        self.extra = extra


def type_uri(slug: str) -> str:
    return f"/api/v1/docs#problem-{slug}"


def problem(status: int, detail: str, *, slug: str | None = None, headers: dict[str, str] | None = None,
            **extra: Any) -> Response:
    """A problem+json response. `extra` members (e.g. `errors`) are added to the body."""
    default_slug, title = PROBLEMS.get(status, ("about:blank", "Fehler"))
    slug = slug or default_slug
    title = SPECIAL.get(slug, title)
    body = Problem(type=type_uri(slug), title=title, status=status, detail=detail, instance=request.path, **extra)
    response = Response(json.dumps(body.to_json(), ensure_ascii=False), status=status, mimetype=PROBLEM_JSON)
    if status == 401:
        response.headers["WWW-Authenticate"] = BEARER_CHALLENGE
    response.headers.update(headers or {})
    return response


@bp.errorhandler(ApiProblem)
def _api_problem(exc: ApiProblem) -> Response:
    return problem(exc.status, exc.detail, slug=exc.slug, headers=exc.headers, **exc.extra)


@bp.errorhandler(GrantflowError)
def _domain_error(exc: GrantflowError) -> Response:
    status = exc.http_status if exc.http_status in PROBLEMS else 400
    if isinstance(exc, ValidationFailed):
        errors = [{"pointer": e.pointer, "detail": e.message} for e in exc.errors]
        return problem(422, exc.message, errors=errors)
    if isinstance(exc, TaskAlreadyCompleted):  # who and when also for machines: username, ISO 8601
        known = {"completed_by": exc.username, "completed_at": exc.completed_at}
        return problem(409, exc.message, slug="already-completed", **{k: v for k, v in known.items() if v})
    if isinstance(exc, ProcessStepFailed):
        return problem(422, exc.message, slug="process-step-failed",
                       errors=[{"pointer": e.pointer, "detail": e.message} for e in exc.errors])
    if status == 422:
        return problem(422, exc.message, errors=[])
    return problem(status, exc.message)


HTTP_DETAILS = {
    400: "Die Anfrage ist fehlerhaft.",
    404: "Unter dieser Adresse gibt es nichts.",
    415: "Der Inhaltstyp der Anfrage wird nicht unterstützt.",
}


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response | HTTPException:
    status = exc.code or 500
    if status < 400:
        return exc
    if isinstance(exc, RequestEntityTooLarge):
        limit = current_app.config.get("MAX_CONTENT_LENGTH")
        return problem(413, f"Die Anfrage ist zu groß (höchstens {limit} Bytes)." if limit
                       else "Die Anfrage ist zu groß.")
    if isinstance(exc, MethodNotAllowed):
        allowed = sorted(exc.valid_methods or [])
        return problem(405, f"Die Methode {request.method} ist hier nicht erlaubt. Erlaubt: {', '.join(allowed)}.",
                       headers={"Allow": ", ".join(allowed)})
    if status == 422:
        return problem(422, HTTP_DETAILS.get(status, "Ungültige Eingaben."), errors=[])
    if status not in PROBLEMS:
        return problem(status, exc.description or "Fehler.")
    return problem(status, HTTP_DETAILS.get(status, exc.description or ""))


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Unerwarteter Fehler in %s %s", request.method, request.path)
    return problem(500, "Ein unerwarteter Fehler ist aufgetreten; er wurde protokolliert.")
