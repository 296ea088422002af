"""What operations needs from the web app: request ids and request log lines, the reverse proxy,
`/healthz`, `/readyz` and `/metrics` (the last in `webapp.metrics`). None of these need a login
except `/metrics`.
"""

from __future__ import annotations

import logging
import re
import time
import uuid

from flask import Blueprint, Flask, current_app, g, jsonify, request
from sqlalchemy.exc import SQLAlchemyError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response

from workflows import logsetup
from workflows.storage import migrate

log = logging.getLogger("grantflow.request")
bp = Blueprint("operations", __name__)
REQUEST_ID = re.compile(r"[A-Za-z0-9._:@-]{1,128}")  # what we accept from the proxy; anything else is replaced


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and answers; says nothing about the database (that is `/readyz`)."""
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> tuple[Response, int]:
    """Ready for traffic: the database answers and its schema is at the newest migration."""
    try:
        current = migrate.is_current(current_app.extensions["grantflow_db"].engine)
    except SQLAlchemyError as exc:
        log.warning("readyz: database unreachable: %s", str(exc).split("\n")[0])
        return jsonify(status="unavailable", detail="Die Datenbank ist nicht erreichbar."), 503
    if not current:
        return jsonify(status="unavailable", detail="Das Datenbankschema ist nicht aktuell: "
                                                    "'grantflow db upgrade' ausführen."), 503
    return jsonify(status="ok"), 200


def _begin_request() -> None:
    offered = request.headers.get("X-Request-ID", "")
    g.request_id = offered if REQUEST_ID.fullmatch(offered) else uuid.uuid4().hex
    g.request_token = logsetup.request_id.set(g.request_id)
    g.request_started = time.perf_counter()


def _finish_request(response: Response) -> Response:
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    started = g.get("request_started")
    millis = (time.perf_counter() - started) * 1000 if started is not None else 0.0
    log.info("%s %s %s %.0f ms", request.method, request.path, response.status_code, millis)
    return response


def _end_request(_exc: BaseException | None) -> None:
    token = g.pop("request_token", None)
    if token is not None:
        logsetup.request_id.reset(token)


def init_app(app: Flask, proxy_count: int) -> None:
    """Trust `proxy_count` reverse proxies' X-Forwarded-* headers (0: none, for a server reached directly)."""
    if proxy_count:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxy_count, x_proto=proxy_count, x_host=proxy_count,  # type: ignore[method-assign]
                                x_port=proxy_count, x_prefix=proxy_count)
    app.before_request_funcs.setdefault(None, []).insert(0, _begin_request)
    app.after_request(_finish_request)
    app.teardown_request(_end_request)
    app.register_blueprint(bp)

    from webapp import metrics

    metrics.init_app(app)
