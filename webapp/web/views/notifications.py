"""Notifications addressed to the actor (their roles, their Gemeinde, or them personally)."""

from __future__ import annotations

from flask import Blueprint, render_template

from webapp.web.helpers import actor, database, login_required
from workflows import inbox

bp = Blueprint("notifications", __name__)


@bp.get("/notifications")
@login_required
def index() -> str:
    items = inbox.list_notifications(database(), actor().username)
    return render_template("notifications.html", items=items)
