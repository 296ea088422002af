"""The inbox ("Meine Aufgaben") and the task page with its form."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, render_template, request

from webapp.web import formdata, presenting
from webapp.web.helpers import actor, database, login_required, page_arg, see_other
from workflows import bulk, engine, inbox
from workflows.engine import forms
from workflows.errors import Conflict, ValidationFailed
from workflows.storage.models import utcnow

bp = Blueprint("tasks", __name__)

SORT_LABELS = {"due": "Fälligkeit", "newest": "Neueste zuerst", "oldest": "Älteste zuerst"}
NEW_FOR = timedelta(days=2)
PER_PAGE = 25


@bp.get("/tasks", endpoint="inbox")
@login_required
def inbox_view() -> str:
    """The actor's open tasks: filter by round and task type, sort, paginate."""
    sort = request.args.get("sort", "due")
    sort = sort if sort in SORT_LABELS else "due"
    try:
        instance_id = int(request.args["vorgang"]) if request.args.get("vorgang") else None
    except ValueError:
        instance_id = None
    element_id = request.args.get("typ") or None
    db, user = database(), actor().username
    page = inbox.list_tasks(db, user, instance_id=instance_id, element_id=element_id, sort=sort,
                            page=page_arg(), per_page=PER_PAGE)
    types = inbox.element_ids_by_name(db, user)
    type_options = [(types[name], name, count) for name, count in page.by_type.items() if name in types]
    total_open = sum(count for _, count in page.by_instance.values())
    together = bool(element_id and len(page.items) > 1
                    and bulk.bulk_allowed(inbox.get_task_form(db, page.items[0].id, user).schema))
    return render_template("inbox.html", page=page, sort=sort, sort_labels=SORT_LABELS, instance_id=instance_id,
                           element_id=element_id, type_options=type_options, total_open=total_open,
                           new_since=utcnow() - NEW_FOR, together=together)



def _render_task(detail: inbox.TaskDetail, raw: formdata.Raw, errors: dict[str, str],
                 status: int = 200) -> tuple[str, int]:
    schema = detail.schema
    labels = presenting.Labels.from_forms(schema, *detail.forms)
    summary = presenting.summarize(detail.context, labels, skip=set(schema.get("properties", {})),
                                   gemeinde_only_ags=actor().gemeinde_ags, gemeinde_view=not detail.whole_round)
    given = {k: v for k, v in detail.initial.items()  # read-only values are shown from the task, not the post
             if isinstance(schema.get("properties", {}).get(k), dict) and schema["properties"][k].get("readOnly")}
    shown = {k: v for k, v in formdata.to_raw(schema, given).items() if k.split(".")[0] in given}
    fields = formdata.build_fields(schema, {**raw, **shown}, errors)
    formdata.link_documents(fields, {d.filename: d.id for d in sorted(detail.documents, key=lambda d: d.version)})
    props = schema.get("properties", {})
    submitted = [(labels.label(k), labels.value(k, v)) for k, v in detail.initial.items()
                 if not formdata.is_hidden_fixed(props.get(k) or {})] if detail.task.status != "ready" else []
    history = presenting.group_history(detail.history, detail.history_more)[:12]
    field_names = _field_names(fields)
    error_list = [(name if name in field_names else "", message) for name, message in errors.items()]
    templates = inbox.template_sources(database(), detail.task.id, actor().username) \
        if detail.may_complete and inbox.template_fields(schema) else []  # a read only for forms that offer one
    return render_template("task.html", detail=detail, task=detail.task, fields=fields, summary=summary,
                           errors=error_list, submitted=submitted, tallies=detail.tallies, labels=labels,
                           history=history, schema=schema, templates=templates), status


def _field_names(fields: list[formdata.Field]) -> set[str]:
    names: set[str] = set()
    for f in fields:
        names.add(f.name)
        names |= _field_names(f.children)
        for row in f.rows:
            names |= _field_names(row)
    return names


@bp.get("/tasks/<int:task_id>")
@login_required
def task(task_id: int) -> tuple[str, int]:
    """The task; `?vorlage=<id>` starts its form from another task of its kind ("Vorlage übernehmen")."""
    db, user = database(), actor().username
    detail = inbox.get_task(db, task_id, user)
    source = request.args.get("vorlage", "")
    taken = inbox.template_values(db, task_id, int(source), user) if source.isdigit() and int(source) < 2**31 else {}
    if taken:
        flash("Angaben aus der Vorlage übernommen: bitte prüfen und absenden.", "info")
    return _render_task(detail, formdata.to_raw(detail.schema, {**detail.initial, **taken}), {})


@bp.post("/tasks/<int:task_id>")
@login_required
def submit(task_id: int) -> Any:
    """Add/remove a row (re-render), or convert the form and complete the task via the engine.

    A successful submission loads the workflow once (in the engine); the full task view is loaded
    only to show the form again.
    """
    db, user = database(), actor().username
    form = inbox.get_task_form(db, task_id, user)  # 404 before anything else for tasks one may not see
    raw = formdata.raw_from_multidict(request.form)
    changed = formdata.row_action(raw, request.form.get("_action", ""))
    if changed is not None:
        return _render_task(inbox.get_task(db, task_id, user), changed, {})
    data, conversion_errors = formdata.parse(form.schema, raw)
    if conversion_errors:
        detail = inbox.get_task(db, task_id, user)
        data = forms.restore_read_only(detail.schema, data, detail.initial)  # read-only values: from the server
        others = {k: v for k, v in formdata.errors_by_path(forms.validation_errors(detail.schema, data)).items()
                  if k not in conversion_errors and k.split(".")[0] not in conversion_errors}
        return _render_task(detail, formdata.compact(detail.schema, raw), {**conversion_errors, **others}, 422)
    try:
        result = engine.complete_task(db, task_id, data, user)  # restores read-only values itself
    except ValidationFailed as exc:
        return _render_task(inbox.get_task(db, task_id, user), formdata.compact(form.schema, raw),
                            formdata.errors_by_path(exc.errors), 422)
    except Conflict as exc:
        return render_template("error.html", status=409, title="Bereits erledigt" if "bereits erledigt"
                               in exc.message else "Konflikt", message=exc.message,
                               back=("tasks.inbox", "Zurück zu meinen Aufgaben")), 409
    flash(f"Erledigt: {form.title}.", "success")
    if result.status == "completed":  # a Gemeinde's Abfrage ends with its answer; the round goes on
        flash("Ihr Teil des Vorgangs ist damit abgeschlossen." if result.part_of else
              "Der Vorgang ist damit abgeschlossen.", "info")
    busy = inbox.in_progress(db, result.instance_id, user)
    if busy:
        flash(f"Wird im Hintergrund erstellt: {', '.join(busy)}. Der Vorgang zeigt es, sobald es fertig ist.", "info")
        return see_other("instances.detail", instance_id=result.instance_id)
    return see_other("tasks.inbox")
