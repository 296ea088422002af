"""Administration: move running rounds to another version of their process (dry run, apply, back)."""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request
from werkzeug.wrappers import Response

from webapp.web.helpers import actor, database, login_required, see_other
from workflows.engine import deployment, migration
from workflows.errors import ValidationFailed

bp = Blueprint("migrations", __name__, url_prefix="/admin/migrations")


def _lines(name: str) -> list[str]:
    return [line.strip() for line in request.values.get(name, "").splitlines() if line.strip()]


@bp.route("/", methods=["GET", "POST"])
@login_required
def index() -> tuple[str, int] | Response:
    """GET with a process and version: the dry run; POST: move the movable rounds and show the outcome."""
    db, username = database(), actor().username
    versions = deployment.list_definitions(db, username)
    key = request.values.get("key") or (versions[0].key if versions else "")
    to_version = request.values.get("to", type=int)
    plan, error = None, None
    if key and to_version:
        try:
            mapping = migration.parse_mapping(_lines("mapping"))
            defaults = migration.parse_defaults(_lines("defaults"))
            if request.method == "POST":
                plan = migration.migrate_instances(db, key, to_version, username, mapping, defaults)
                moved = sum(check.moved for check in plan.rounds)
                flash(f"{moved} {'Vorgang' if moved == 1 else 'Vorgänge'} auf Version {to_version} verschoben.",
                      "success")
            else:
                plan = migration.plan_migration(db, key, to_version, username, mapping, defaults)
        except ValidationFailed as exc:
            error = " ".join(e.message for e in exc.errors)
    moves = migration.recent_moves(db, key, username) if key else []
    status = 422 if error else 200
    return render_template("admin/migrations.html", versions=versions, key=key, to_version=to_version,
                           plan=plan, moves=moves, error=error, mapping=request.values.get("mapping", ""),
                           defaults=request.values.get("defaults", "")), status


@bp.post("/back/<int:instance_id>")
@login_required
def move_back(instance_id: int) -> Response:
    migration.migrate_back(database(), instance_id, actor().username)
    flash(f"Vorgang {instance_id} ist wieder auf seiner vorigen Version.", "success")
    return see_other("migrations.index", key=request.form.get("key", ""))
