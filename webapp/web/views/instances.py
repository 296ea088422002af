"""Rounds ("Vorgänge"): list, start, detail with diagram and history, messages, cancel."""

from __future__ import annotations

import json
from typing import Any

from flask import Blueprint, flash, render_template, request
from werkzeug.wrappers import Response

from webapp.web import diagram, formdata, presenting
from webapp.web.helpers import actor, database, login_required, page_arg, page_count, see_other
from workflows import engine, inbox
from workflows.engine import forms
from workflows.errors import FieldError, ValidationFailed
from workflows.identity import accounts, authz

bp = Blueprint("instances", __name__)

STATUS_FILTERS = {"": "Alle", "running": "Laufend", "completed": "Abgeschlossen", "cancelled": "Abgebrochen"}
PER_PAGE = 25
HISTORY_PER_PAGE = 100


@bp.get("/instances")
@login_required
def index() -> str:
    status = request.args.get("status", "")
    status = status if status in STATUS_FILTERS else ""
    db, user = database(), actor().username
    items, total = inbox.list_instances(db, user, status=status or None, page=page_arg(), per_page=PER_PAGE)
    whole = authz.may_see_whole_round(actor())
    startable = inbox.startable_processes(db, user) if whole else []
    return render_template("instances.html", items=items, total=total, status=status, status_filters=STATUS_FILTERS,
                           page=page_arg(), pages=page_count(total, PER_PAGE), startable=startable,
                           gemeinde_view=not whole)


def _render_new(values: dict[str, str], errors: dict[str, str], status: int = 200) -> tuple[str, int]:
    db, user = database(), actor().username
    processes = inbox.startable_processes(db, user)
    return render_template("instance_new.html", processes=processes, landkreise=accounts.list_landkreise(db),
                           values=values, errors=errors), status


@bp.get("/instances/new")
@login_required
def new() -> tuple[str, int]:
    if not inbox.startable_processes(database(), actor().username):
        return render_template("error.html", status=403, title="Keine Berechtigung",
                               message="Sie dürfen keinen Vorgang starten."), 403
    return _render_new({"landkreis": "ortenaukreis"}, {})


@bp.post("/instances/new")
@login_required
def start() -> Any:
    """Start a round with the start data {landkreis, ...extra JSON}."""
    values = {k: request.form.get(k, "") for k in ("process", "business_key", "landkreis", "extra")}
    errors: dict[str, str] = {}
    data: dict[str, Any] = {}
    if values["landkreis"]:
        data["landkreis"] = values["landkreis"]
    if values["extra"].strip():
        try:
            extra = json.loads(values["extra"])
        except json.JSONDecodeError as exc:
            extra = None
            errors["extra"] = f"Kein gültiges JSON (Zeile {exc.lineno}, Spalte {exc.colno})."
        if extra is not None and not isinstance(extra, dict):
            errors["extra"] = 'Bitte ein JSON-Objekt angeben, z. B. {"frist": "2026-11-30"}.'
        elif isinstance(extra, dict):
            data.update(extra)
    if not values["process"]:
        errors["process"] = "Bitte einen Prozess wählen."
    if not values["business_key"].strip():
        errors["business_key"] = "Bitte eine Bezeichnung angeben, z. B. „Ortenaukreis 2026-2027“."
    if errors:
        return _render_new(values, errors, 422)
    try:
        result = engine.start_instance(database(), values["process"], values["business_key"], actor().username, data)
    except ValidationFailed as exc:
        return _render_new(values, {e.field or "extra": e.message for e in exc.errors}, 422)
    flash(f"Vorgang „{values['business_key'].strip()}“ gestartet.", "success")
    return see_other("instances.detail", instance_id=result.instance_id)


def _render_detail(instance_id: int, status: int = 200, *, cancel_error: str | None = None,
                   message_name: str | None = None, message_raw: formdata.Raw | None = None,
                   message_errors: dict[str, str] | None = None) -> tuple[str, int]:
    page = inbox.instance_page(database(), instance_id, actor().username)
    detail = page.detail
    labels = presenting.Labels.from_forms(*page.forms)
    diagrams = diagram.render_sources(detail.sources, detail.active_elements, detail.completed_elements,
                                      lane_heads=True, own=detail.instance.process_key)
    message_forms = []
    for m in page.message_forms:
        raw = message_raw if m.name == message_name and message_raw is not None \
            else formdata.to_raw(m.schema, formdata.prefill_from(m.schema, detail.data))
        errs = message_errors if m.name == message_name and message_errors else {}
        message_forms.append((m, formdata.build_fields(m.schema, raw, errs), errs))
    facts = presenting.summarize(detail.data, labels, skip=labels.table_keys(), flat_dicts=False)
    names = _element_names(detail.sources)
    active_names = list(dict.fromkeys(names.get(e, e) for e in detail.active_elements
                                      if names.get(e) and not e.startswith(("Flow_", "flow_"))))
    groups: dict[str, list[inbox.TaskSummary]] = {}
    for t in detail.tasks:
        if t.status == "ready":
            groups.setdefault(t.element_name, []).append(t)
    return render_template(
        "instance.html", detail=detail, inst=detail.instance, diagrams=diagrams,
        tables=presenting.data_tables(detail.data, labels), tallies=page.tallies,
        message_forms=message_forms, may_cancel=page.may_cancel, cancel_error=cancel_error, facts=facts,
        event_detail=presenting.event_detail, open_groups=groups,
        history=presenting.group_history(detail.history, detail.history_more),
        active_names=active_names, gemeinde_view=not page.whole_round,
        own_open=[t.title for t in detail.tasks if t.status == "ready"],
        done_tasks=[t for t in detail.tasks if t.status == "completed"],
        family=page.detail.family,
    ), status


def _element_names(sources: dict[str, str]) -> dict[str, str]:
    """BPMN element id -> its name, for the diagrams of the round (to name the active steps)."""
    names: dict[str, str] = {}
    for filename, xml in sources.items():
        if filename.endswith(".bpmn"):
            for d in diagram.read_diagrams(xml, filename):
                names.update({shape.id: shape.name for shape in d.shapes if shape.name})
    return names


@bp.get("/instances/<int:instance_id>")
@login_required
def detail(instance_id: int) -> tuple[str, int]:
    return _render_detail(instance_id)


@bp.get("/instances/<int:instance_id>/protokoll")
@login_required
def history(instance_id: int) -> str:
    """The round's whole audit history, oldest first: the round and task pages show only the latest."""
    found = inbox.history_page(database(), instance_id, actor().username, page=page_arg(), per_page=HISTORY_PER_PAGE)
    return render_template("history.html", found=found, event_detail=presenting.event_detail, page=page_arg(),
                           pages=page_count(found.total, HISTORY_PER_PAGE))


@bp.get("/instances/<int:instance_id>/diagram.svg")
@login_required
def diagram_svg(instance_id: int) -> Response:
    """The diagram alone (first plane), styled, e.g. to open in a new tab or print."""
    detail = inbox.get_instance(database(), instance_id, actor().username)
    rendered = diagram.render_sources(detail.sources, detail.active_elements, detail.completed_elements,
                                      own=detail.instance.process_key)
    svg = rendered[0][1] if rendered else diagram.render_svg(diagram.Diagram("", [], []))
    svg = svg.replace("<defs>", f"<style>{diagram.STANDALONE_STYLE}</style><defs>", 1)
    return Response(svg, mimetype="image/svg+xml")


@bp.post("/instances/<int:instance_id>/cancel")
@login_required
def cancel(instance_id: int) -> Any:
    reason = request.form.get("reason", "")
    inbox.check_instance_visible(database(), instance_id, actor().username)
    try:
        engine.cancel_instance(database(), instance_id, actor().username, reason)
    except ValidationFailed as exc:
        return _render_detail(instance_id, 422, cancel_error=exc.errors[0].message if exc.errors else exc.message)
    flash("Der Vorgang wurde abgebrochen.", "success")
    return see_other("instances.detail", instance_id=instance_id)


@bp.post("/instances/<int:instance_id>/messages/<name>")
@login_required
def deliver(instance_id: int, name: str) -> Any:
    """Record a message the round waits for (e.g. the Bewilligungsbescheid); add/remove a row re-renders."""
    db, user = database(), actor().username
    available = {m.name: m for m in inbox.message_forms(db, instance_id, user)}  # 404 if not visible
    if name not in available:
        # not waiting for it, or not the actor's role: let the engine say which, in German
        engine.deliver_message(db, instance_id, name, {}, user)
        return see_other("instances.detail", instance_id=instance_id)
    schema = available[name].schema
    raw = formdata.raw_from_multidict(request.form)
    changed = formdata.row_action(raw, request.form.get("_action", ""))
    if changed is not None:  # "+ Zeile hinzufügen" / "Entfernen": show the form again, record nothing
        return _render_detail(instance_id, message_name=name, message_raw=changed)
    payload, conversion_errors = formdata.parse(schema, raw)
    try:
        if conversion_errors:
            extra = formdata.errors_by_path(forms.validation_errors(schema, payload))
            raise ValidationFailed([FieldError("/" + k.replace(".", "/"), v)
                                    for k, v in {**extra, **conversion_errors}.items()])
        correlation = {key: value for key in available[name].correlation
                       if (value := request.form.get(f"_correlation.{key}", "").strip())}
        engine.deliver_message(db, instance_id, name, payload, user, correlation or None)
    except ValidationFailed as exc:
        return _render_detail(instance_id, 422, message_name=name, message_raw=raw,
                              message_errors=formdata.errors_by_path(exc.errors))
    # the message's own title (the Bewilligungsbescheid), not the step that waits for it ("Bescheid abwarten")
    flash(f"Nachricht „{schema.get('title') or available[name].element_name}“ erfasst.", "success")
    return see_other("instances.detail", instance_id=instance_id)
