"""The Flask app factory. Views are thin: they call one `workflows` function and render.

Flask and the engine are imported inside `create_app`, so that `grantflow --help` and the CLI
commands that need no web app start without them.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from workflows import settings

if TYPE_CHECKING:
    from flask import Flask

    from workflows.storage.db import Database


def _secret_key() -> str:
    """SECRET_KEY from the environment, else one generated once and kept in instance/."""
    configured = settings.get()
    if configured.secret_key:
        return configured.secret_key
    path = configured.instance_dir / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()


def create_app(config: dict[str, Any] | None = None, *, database: Database | None = None,
               start_ticker: bool = False, production: bool = False) -> Flask:
    """The web app. `production`: behind gunicorn (Secure cookies by default, metrics shared by its workers)."""
    from flask import Flask

    from workflows import wiring
    from workflows.storage.db import Database

    wiring.install()
    current = settings.load()
    app = Flask(__name__, instance_path=str(current.instance_dir))
    app.config.update(
        SECRET_KEY=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=production if current.secure_cookies is None else current.secure_cookies,
        PERMANENT_SESSION_LIFETIME=timedelta(hours=current.session_hours),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        GRANTFLOW_DEMO_MODE=current.demo_mode,
        GRANTFLOW_PRODUCTION=production,
        GRANTFLOW_METRICS_TOKEN=current.metrics_token,
    )
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key()
    app.extensions["grantflow_db"] = database or Database()

    from webapp import extensions, operations

    extensions.init_app(app)
    operations.init_app(app, proxy_count=current.proxy_count)
    if start_ticker:
        from webapp.ticker import start_background_ticker

        start_background_ticker(app)
    return app
