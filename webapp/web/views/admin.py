"""Administration: process definitions (versions, upload) and users (roles, Gemeinde, active)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from werkzeug.wrappers import Response

from webapp.web import diagram
from webapp.web.helpers import actor, database, login_required, page_arg, page_count, see_other
from workflows.engine import deployment
from workflows.errors import DefinitionProblem, InvalidDefinition, ValidationFailed
from workflows.identity import accounts

bp = Blueprint("admin", __name__, url_prefix="/admin")
PER_PAGE = 50


@bp.get("/")
@login_required
def index() -> Response:
    return see_other("admin.definitions")


def _render_definitions(status: int = 200, problems: list[DefinitionProblem] | None = None,
                        upload_error: str | None = None) -> tuple[str, int]:
    versions = deployment.list_definitions(database(), actor().username)
    by_key: dict[str, list[deployment.DefinitionVersion]] = {}
    for v in versions:
        by_key.setdefault(v.key, []).append(v)
    return render_template("admin/definitions.html", by_key=by_key, problems=problems or [],
                           upload_error=upload_error), status


@bp.get("/definitions")
@login_required
def definitions() -> tuple[str, int]:
    return _render_definitions()


@bp.get("/definitions/<key>")
@login_required
def definition(key: str) -> str:
    versions = deployment.list_definitions(database(), actor().username, key)
    sources = deployment.latest_sources(database(), actor().username, key)
    return render_template("admin/definition.html", key=key, versions=versions,
                           diagrams=diagram.render_sources(sources, own=key))


@bp.post("/definitions/upload")
@login_required
def upload() -> Any:
    """Deploy the current bundle plus the uploaded file(s); refused uploads store nothing."""
    files = [f for f in request.files.getlist("file") if f and f.filename]
    uploads = [(f.filename or "", f.read()) for f in files]
    try:
        outcomes = deployment.deploy_upload(database(), actor().username, uploads,
                                            message_schema=request.form.get("kind") == "message")
    except InvalidDefinition as exc:
        return _render_definitions(422, problems=exc.problems)
    except ValidationFailed as exc:
        return _render_definitions(422, upload_error=" ".join(e.message for e in exc.errors))
    created = [o for o in outcomes if o.created]
    if created:
        flash("Bereitgestellt: " + ", ".join(f"{o.key} Version {o.version}" for o in created) + ".", "success")
    else:
        flash("Geprüft und gültig, aber keine Änderung an einem Prozess: es wurde keine neue Version angelegt.",
              "info")
    for note in dict.fromkeys(n for o in outcomes for n in o.notes):
        flash(f"Hinweis: {note}", "info")
    return see_other("admin.definitions")


@bp.get("/users")
@login_required
def users() -> str:
    query = request.args.get("q", "")
    items, total = accounts.list_users(database(), actor().username, query=query, page=page_arg(), per_page=PER_PAGE)
    return render_template("admin/users.html", items=items, total=total, query=query, page=page_arg(),
                           pages=page_count(total, PER_PAGE))


def _render_user_form(values: dict[str, Any], errors: dict[str, str], create: bool,
                      status: int = 200) -> tuple[str, int]:
    choices = accounts.admin_choices(database())
    return render_template("admin/user_form.html", values=values, errors=errors, create=create,
                           choices=choices), status


@bp.get("/users/new")
@login_required
def new_user() -> tuple[str, int]:
    accounts.list_users(database(), actor().username, per_page=1)  # 403 for non-admins
    return _render_user_form({"roles": [], "active": True}, {}, create=True)


@bp.get("/users/<username>")
@login_required
def edit_user(username: str) -> tuple[str, int]:
    info = accounts.get_user(database(), actor().username, username)
    return _render_user_form(vars(info), {}, create=False)


def _save(create: bool, username: str | None = None) -> Any:
    values: dict[str, Any] = {
        "username": username or request.form.get("username", ""),
        "display_name": request.form.get("display_name", ""),
        "email": request.form.get("email", ""),
        "gemeinde_ags": request.form.get("gemeinde_ags", "") or None,
        "roles": request.form.getlist("roles"),
        "active": True,
    }
    try:
        info = accounts.save_user(database(), actor().username, username=values["username"],
                                  display_name=values["display_name"], roles=values["roles"],
                                  gemeinde_ags=values["gemeinde_ags"], email=values["email"],
                                  password=request.form.get("password") or None, create=create)
    except ValidationFailed as exc:
        if not create:
            values["active"] = accounts.get_user(database(), actor().username, username or "").active
        return _render_user_form(values, {e.field: e.message for e in exc.errors}, create, 422)
    flash(f"Benutzer „{info.username}“ gespeichert.", "success")
    return see_other("admin.edit_user", username=info.username)


@bp.post("/users/new")
@login_required
def create_user() -> Any:
    return _save(create=True)


@bp.post("/users/<username>")
@login_required
def update_user(username: str) -> Any:
    return _save(create=False, username=username)


@bp.post("/users/<username>/active")
@login_required
def set_active(username: str) -> Any:
    active = request.form.get("active") == "1"
    try:
        accounts.set_active(database(), actor().username, username, active)
    except ValidationFailed as exc:
        flash(exc.errors[0].message, "error")
        return see_other("admin.edit_user", username=username)
    flash(f"Benutzer „{username}“ {'aktiviert' if active else 'deaktiviert'}.", "success")
    return see_other("admin.edit_user", username=username)
