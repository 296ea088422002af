"""Administration: Störungen (jobs that failed every attempt: list, retry, skip with a reason) and the mail outbox."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from werkzeug.wrappers import Response

from webapp.web.helpers import actor, database, login_required, see_other
from workflows import inbox
from workflows.engine import stoerungen
from workflows.errors import ValidationFailed

bp = Blueprint("stoerungen", __name__, url_prefix="/admin")


@bp.get("/stoerungen/")
@login_required
def index() -> str:
    return render_template("admin/stoerungen.html", items=stoerungen.list_stoerungen(database(), actor().username))


@bp.post("/stoerungen/<int:job_id>/retry")
@login_required
def retry(job_id: int) -> Response:
    stoerungen.retry(database(), job_id, actor().username)
    flash("Der Auftrag wird erneut versucht.", "success")
    return see_other("stoerungen.index")


@bp.post("/stoerungen/<int:job_id>/skip")
@login_required
def skip(job_id: int) -> Any:
    try:
        stoerungen.skip(database(), job_id, actor().username, request.form.get("begruendung", ""))
    except ValidationFailed as exc:
        flash(exc.errors[0].message, "error")
        return see_other("stoerungen.index")
    flash("Der Schritt wurde übersprungen; der Vorgang geht weiter.", "success")
    return see_other("stoerungen.index")


@bp.get("/postausgang")
@login_required
def outbox() -> str:
    return render_template("admin/postausgang.html", items=inbox.list_outbox_mails(database(), actor().username))
