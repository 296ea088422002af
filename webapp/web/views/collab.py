"""Working together: Suche, Übernehmen/Zurückgeben/Zuweisen, Kommentare, Vertretung (account page).

The inbox, task and round pages include the partials in `templates/collab/`; the functions they call
(`collab_marks`, `collab_panel`, ...) are put into every template by
`inject`, so those pages' own views stay as they are.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, render_template, request
from werkzeug.wrappers import Response

from webapp.web.helpers import actor, database, login_required, safe_next, see_other
from workflows.collab import claims, comments, deputies, panel, search
from workflows.errors import Conflict, Forbidden, NotFound, ValidationFailed
from workflows.identity import authz
from workflows.inbox.shapes import TaskSummary

bp = Blueprint("collab", __name__)


@bp.app_context_processor
def inject() -> dict[str, Any]:
    return {"collab_is_team_lead": _is_team_lead, "collab_marks": _marks, "collab_panel": _panel}


def _is_team_lead() -> bool:
    return authz.TEAM_LEAD_ROLE in actor().roles


def _marks(items: list[TaskSummary]) -> dict[int, claims.ClaimInfo]:
    return claims.inbox_marks(database(), actor().username, [t.id for t in items])


def _panel(*, instance_id: int | None = None, task_id: int | None = None) -> panel.Panel:
    return panel.page_panel(database(), actor().username, instance_id=instance_id, task_id=task_id)


# --------------------------------------------------------------------------- search

@bp.get("/suche")
@login_required
def search_view() -> str:
    result = search.search(database(), actor().username, request.args.get("q", ""))
    return render_template("collab/search.html", result=result)


# --------------------------------------------------------------------------- Übernehmen

def _back_to_task(task_id: int) -> Response:
    return see_other("tasks.task", task_id=task_id)


def _claim_action(task_id: int, action: Any, done: str) -> Response:
    try:
        action()
    except (Conflict, Forbidden) as exc:
        flash(exc.message, "error")
    else:
        flash(done, "success")
    return _back_to_task(task_id)


@bp.post("/tasks/<int:task_id>/uebernehmen")
@login_required
def claim(task_id: int) -> Response:
    return _claim_action(task_id, lambda: claims.claim(database(), task_id, actor().username),
                         "Sie haben die Aufgabe übernommen. Ihre Kolleginnen und Kollegen sehen, dass Sie sie "
                         "bearbeiten.")


@bp.post("/tasks/<int:task_id>/zurueckgeben")
@login_required
def release(task_id: int) -> Response:
    return _claim_action(task_id, lambda: claims.release(database(), task_id, actor().username),
                         "Die Aufgabe ist zurückgegeben; jede berechtigte Person kann sie jetzt übernehmen.")


@bp.get("/team")
@login_required
def team() -> str:
    """The team lead's overview of the team's open tasks: who works on what; assign from here."""
    return render_template("collab/team.html", items=claims.team_tasks(database(), actor().username))


def _assignable(task_id: int) -> claims.ClaimInfo:
    """The claim of a task the team lead may assign: 404 for tasks one may not see, 403 for others'."""
    info = claims.claim_info(database(), task_id, actor().username)
    if not info.may_assign:
        raise Forbidden(f"Aufgaben zuweisen darf die {authz.TEAM_LEAD_ROLE}, für offene Aufgaben ihrer Teams.")
    return info


def _assign_page(task_id: int, info: claims.ClaimInfo, chosen: str = "", error: str | None = None,
                 status: int = 200) -> tuple[str, int]:
    return render_template("collab/assign.html", claim=info, task=claims.task_summary_of(database(), task_id),
                           people=claims.candidates(database(), task_id, actor().username),
                           chosen=chosen, error=error), status


@bp.get("/tasks/<int:task_id>/zuweisen")
@login_required
def assign_form(task_id: int) -> tuple[str, int]:
    return _assign_page(task_id, _assignable(task_id))


@bp.post("/tasks/<int:task_id>/zuweisen")
@login_required
def assign(task_id: int) -> Any:
    """Refusals about the chosen person are shown beside the field, the choice kept (422; 409 if the task moved)."""
    info = _assignable(task_id)
    username = request.form.get("username", "").strip()
    if not username:
        return _assign_page(task_id, info, error="Bitte wählen Sie aus, wem Sie die Aufgabe zuweisen.", status=422)
    try:
        assigned = claims.assign(database(), task_id, username, actor().username)
    except Conflict as exc:
        return _assign_page(task_id, info, username, exc.message, 409)
    except (Forbidden, NotFound) as exc:  # the task was checked above: these are about the chosen person
        return _assign_page(task_id, info, username, exc.message, 422)
    flash(f"Die Aufgabe ist {assigned.claimed_by_name} zugewiesen; die Person wurde benachrichtigt.", "success")
    return see_other("collab.team")


# --------------------------------------------------------------------------- comments

def _comment(target: dict[str, int], back: str) -> Any:
    text = request.form.get("text", "")
    try:
        comments.add_comment(database(), actor().username, text, **target)
    except ValidationFailed as exc:
        return render_template("collab/comment_form.html", text=text, target=target, back=back,
                               errors=[e.message for e in exc.errors] or [exc.message]), 422
    flash("Kommentar gespeichert.", "success")
    return see_other("tasks.task", task_id=target["task_id"]) if "task_id" in target else \
        see_other("instances.detail", instance_id=target["instance_id"])


@bp.post("/instances/<int:instance_id>/kommentare")
@login_required
def comment_round(instance_id: int) -> Any:
    return _comment({"instance_id": instance_id}, safe_next(request.form.get("back"), f"/instances/{instance_id}"))


@bp.post("/tasks/<int:task_id>/kommentare")
@login_required
def comment_task(task_id: int) -> Any:
    return _comment({"task_id": task_id}, safe_next(request.form.get("back"), f"/tasks/{task_id}"))


# --------------------------------------------------------------------------- Vertretung

def _render_deputies(status: int = 200, *, values: dict[str, str] | None = None,
                     errors: dict[str, str] | None = None) -> tuple[str, int]:
    overview = deputies.overview(database(), actor().username)
    return render_template("collab/account_deputies.html", overview=overview, values=values or {},
                           errors=errors or {}, reasons=deputies.REASONS, describe=deputies.describe), status


@bp.get("/konto/vertretung")
@login_required
def deputy_list() -> tuple[str, int]:
    return _render_deputies()


@bp.post("/konto/vertretung")
@login_required
def deputy_create() -> Any:
    values = {k: request.form.get(k, "") for k in ("deputy", "starts_on", "ends_on", "reason")}
    try:
        info = deputies.name_deputy(database(), actor().username, values["deputy"], values["starts_on"],
                                    values["ends_on"], values["reason"])
    except ValidationFailed as exc:
        errors = {e.field: e.message for e in exc.errors}
        return _render_deputies(422, values=values, errors=errors)
    flash(f"{info.deputy_name} vertritt Sie vom {deputies.describe(info)}.", "success")
    return see_other("collab.deputy_list")


@bp.post("/konto/vertretung/<int:deputy_id>/beenden")
@login_required
def deputy_end(deputy_id: int) -> Any:
    try:
        deputies.end_deputy(database(), deputy_id, actor().username)
    except ValidationFailed as exc:
        flash(exc.message, "error")
    else:
        flash("Die Vertretung ist beendet.", "success")
    return see_other("collab.deputy_list")
