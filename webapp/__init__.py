"""The Flask app factory. Views are thin: they call one `workflows` function and render."""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from flask import Flask

from workflows import settings, wiring
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
               start_ticker: bool = False) -> Flask:
    wiring.install()
    app = Flask(__name__, instance_path=str(settings.load().instance_dir))
    app.config.update(
        SECRET_KEY=None,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        PERMANENT_SESSION_LIFETIME=timedelta(hours=10),  # a working day, not Flask's 31 days
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,
        GRANTFLOW_DEMO_MODE=settings.get().demo_mode,
    )
    app.config.update(config or {})
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _secret_key()
    app.extensions["grantflow_db"] = database or Database()

    from webapp import extensions

    extensions.init_app(app)
    if start_ticker:
        from webapp.ticker import start_background_ticker

        start_background_ticker(app)
    return app
