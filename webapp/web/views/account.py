"""The user's own account: personal API tokens (create — shown once —, list, revoke), mail choice."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request

from webapp.web.helpers import actor, database, login_required, see_other
from workflows.errors import ValidationFailed
from workflows.identity import mailsettings, tokens

bp = Blueprint("account", __name__, url_prefix="/konto")


def _render(status: int = 200, *, created: str | None = None, created_name: str = "", name: str = "",
            error: str | None = None) -> tuple[str, int]:
    items = tokens.list_tokens(database(), actor().username)
    return render_template("account_tokens.html", items=items, created=created, created_name=created_name,
                           name=name, error=error), status


@bp.get("/tokens")
@login_required
def token_list() -> tuple[str, int]:
    return _render()


@bp.post("/tokens")
@login_required
def token_create() -> Any:
    """Create a token; the plaintext is shown on this one response only (never stored, never redirected)."""
    name = request.form.get("name", "").strip()
    if not name:
        return _render(422, name=name, error="Bitte geben Sie eine Bezeichnung an, z. B. „Fachverfahren Export“.")
    try:
        _, plaintext = tokens.create_token(database(), actor().username, name)
    except ValidationFailed as exc:
        return _render(422, name=name, error=" ".join(e.message for e in exc.errors))
    return _render(201, created=plaintext, created_name=name)


@bp.post("/tokens/<int:token_id>/revoke")
@login_required
def token_revoke(token_id: int) -> Any:
    info = tokens.revoke_token(database(), token_id, actor().username)  # 404 for other users' tokens
    flash(f"Das Token „{info.name or info.id}“ wurde widerrufen. Programme, die es nutzen, werden abgewiesen.",
          "success")
    return see_other("account.token_list")


@bp.get("/benachrichtigungen")
@login_required
def mail_settings() -> str:
    return render_template("account_mail.html", enabled=mailsettings.mails_enabled(database(), actor().username))


@bp.post("/benachrichtigungen")
@login_required
def mail_settings_save() -> Any:
    enabled = request.form.get("mails") == "1"
    mailsettings.set_mails_enabled(database(), actor().username, enabled)
    flash("E-Mail-Benachrichtigungen eingeschaltet." if enabled else
          "E-Mail-Benachrichtigungen ausgeschaltet. Mails zu Fristen erhalten Sie weiterhin.", "success")
    return see_other("account.mail_settings")
