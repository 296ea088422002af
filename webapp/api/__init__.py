"""The JSON API under `/api/v1`, described by the OpenAPI 3.1 document it serves itself.

Thin like the web views: each endpoint authenticates the bearer token (`workflows.identity.tokens`),
calls one `workflows` function as that user and renders JSON. Every error, including unknown
routes and wrong methods under `/api/v1`, is an RFC 9457 `application/problem+json` body.
The web app registers `bp` in `webapp.extensions.init_app` (CSRF-exempt: no cookies are used).
"""

from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api", __name__, url_prefix="/api/v1", template_folder="templates")

# routes and error handlers; records: attachments, exports, overview; bulk: several tasks at once;
# collab: search, claims, Vertretung, comments
from webapp.api import bulk, collab, problems, records, views  # noqa: E402,F401


def register(app: Flask) -> None:
    """Register the API blueprint unless the web layer already did."""
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
