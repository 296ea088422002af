"""Helpers shared by the blueprints: the database, the current actor, access decorators."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import current_app, flash, g, redirect, request, url_for
from werkzeug.wrappers import Response

from workflows.identity.authz import Actor
from workflows.storage.db import Database

F = TypeVar("F", bound=Callable[..., Any])


def database() -> Database:
    """The app's `Database` (set by the app factory)."""
    return current_app.extensions["grantflow_db"]


def actor() -> Actor:
    """The logged-in user, loaded for this request (views behind `login_required` only)."""
    return g.actor


def login_required(view: F) -> F:
    """Redirect to the login page (remembering where to come back) unless logged in."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if g.get("actor") is None:
            flash("Bitte melden Sie sich an.", "info")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return view(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


def safe_next(target: str | None, default: str) -> str:
    """Only same-site relative paths are followed after login (no open redirect)."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def see_other(endpoint: str, **values: Any) -> Response:
    """303 redirect after a successful POST."""
    return redirect(url_for(endpoint, **values), code=303)


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` rows fill (at least one, for an empty list)."""
    return max(1, -(-total // per_page))


def page_arg(name: str = "page") -> int:
    try:
        return max(1, int(request.args.get(name, "1")))
    except ValueError:
        return 1
