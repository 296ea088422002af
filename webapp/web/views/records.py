"""A round's records: attachments (upload, download), exports (CSV, XLSX), the overview with charts,
the overdue tasks and the print view. Each view calls one `workflows` function and renders."""

from __future__ import annotations

from io import BytesIO
from typing import Any

from flask import Blueprint, abort, flash, render_template, request, send_file
from werkzeug.exceptions import RequestEntityTooLarge
from werkzeug.wrappers import Response

from webapp.web import charts, diagram, presenting
from webapp.web.helpers import actor, database, login_required, see_other
from workflows import inbox, settings
from workflows.errors import ValidationFailed
from workflows.identity import authz
from workflows.records import attachments, contentcheck, exports, overview, reading, tables

bp = Blueprint("records", __name__)
UPLOAD_ENDPOINTS = {"records.upload", "api.upload_attachment"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.before_app_request
def _upload_limit() -> None:
    """Uploads may be as large as the attachment limit (plus the form around the file); all else keeps 2 MB."""
    if request.endpoint in UPLOAD_ENDPOINTS:
        request.max_content_length = settings.get().attachment_max_bytes + 256 * 1024


def _file(content: bytes, media_type: str, filename: str) -> Response:
    response = send_file(BytesIO(content), mimetype=media_type, as_attachment=True, download_name=filename,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# --------------------------------------------------------------------------- attachments

def _render_attachments(instance_id: int, errors: dict[str, str], values: dict[str, str],
                        status: int = 200) -> tuple[str, int]:
    detail = inbox.get_instance(database(), instance_id, actor().username)
    return render_template("records/attachments.html", inst=detail.instance, items=detail.attachments,
                           kinds=attachments.KINDS,
                           errors=errors, values=values, max_mb=settings.get().attachment_max_mb,
                           tasks=[t for t in detail.tasks if t.status == "ready"],
                           may_delete=lambda a: authz.attachment_delete_refusal(actor(), a.created_by) is None,
                           allowed=contentcheck.ALLOWED_TEXT), status


@bp.get("/instances/<int:instance_id>/anhaenge")
@login_required
def attachments_page(instance_id: int) -> tuple[str, int]:
    return _render_attachments(instance_id, {}, {"task_id": request.args.get("aufgabe", ""), "art": ""})


@bp.post("/instances/<int:instance_id>/anhaenge")
@login_required
def upload(instance_id: int) -> Any:
    limit = settings.get().attachment_max_mb
    try:
        upload_file = request.files.get("datei")
        values = {k: request.form.get(k, "") for k in ("art", "titel", "task_id")}
    except RequestEntityTooLarge:
        return _render_attachments(instance_id, {"datei": f"Die Datei ist zu groß; erlaubt sind höchstens "
                                                          f"{limit} MB."}, {}, 413)
    if upload_file is None or not upload_file.filename:
        return _render_attachments(instance_id, {"datei": "Bitte eine Datei auswählen."}, values, 422)
    task_id = int(values["task_id"]) if values["task_id"].isdigit() else None
    try:
        info = attachments.add_attachment(database(), instance_id, actor().username, kind=values["art"],
                                          content=upload_file.read(), filename=upload_file.filename,
                                          title=values["titel"], task_id=task_id)
    except ValidationFailed as exc:
        return _render_attachments(instance_id, {e.field: e.message for e in exc.errors}, values, 422)
    flash(f"Anhang „{info.title}“ ({info.filename}) gespeichert.", "success")
    return see_other("records.attachments_page", instance_id=instance_id)


@bp.get("/anhaenge/<int:attachment_id>")
@login_required
def download(attachment_id: int) -> Response:
    found = reading.read_attachment(database(), attachment_id, actor().username)  # the download is audited
    return _file(found.content, found.info.media_type, found.info.filename)


@bp.get("/anhaenge/<int:attachment_id>/loeschen")
@login_required
def delete_confirm(attachment_id: int) -> str:
    """Works without JavaScript: the question on its own page, the deletion a POST (CSRF)."""
    found = reading.deletable(database(), attachment_id, actor().username)
    return render_template("records/attachment_delete.html", a=found)


@bp.post("/anhaenge/<int:attachment_id>/loeschen")
@login_required
def delete(attachment_id: int) -> Response:
    gone = reading.delete_attachment(database(), attachment_id, actor().username)
    flash(f"Anhang „{gone.title}“ ({gone.filename}) gelöscht.", "success")
    return see_other("records.attachments_page", instance_id=gone.instance_id)


# --------------------------------------------------------------------------- exports

def _slug(text: str) -> str:
    return "".join(c if c.isalnum() else "-" for c in text.lower()).strip("-")[:60] or "vorgang"


@bp.get("/instances/<int:instance_id>/export")
@login_required
def export_page(instance_id: int) -> str:
    detail = inbox.get_instance(database(), instance_id, actor().username)
    found = exports.round_tables(database(), instance_id, actor().username)
    return render_template("records/export.html", inst=detail.instance, tables=found)


@bp.get("/instances/<int:instance_id>/export.xlsx")
@login_required
def export_workbook(instance_id: int) -> Response:
    detail = inbox.get_instance(database(), instance_id, actor().username)
    found = exports.round_tables(database(), instance_id, actor().username)
    return _file(tables.to_xlsx(found), XLSX, f"{_slug(detail.instance.business_key)}.xlsx")


@bp.get("/instances/<int:instance_id>/export/<key>.<fmt>")
@login_required
def export_table(instance_id: int, key: str, fmt: str) -> Response:
    if fmt not in ("csv", "xlsx"):
        abort(404)
    table = exports.round_table(database(), instance_id, actor().username, key)
    name = f"{_slug(table.title)}-{instance_id}.{fmt}"
    if fmt == "csv":
        return _file(tables.to_csv(table), "text/csv; charset=utf-8", name)
    return _file(tables.to_xlsx([table]), XLSX, name)


# --------------------------------------------------------------------------- overview, overdue, print

@bp.get("/instances/<int:instance_id>/uebersicht")
@login_required
def overview_page(instance_id: int) -> str:
    found = overview.round_overview(database(), instance_id, actor().username)
    return render_template("records/overview.html", overview=found,
                           charts=[(c, charts.render(c)) for c in found.charts], value_text=charts.value_text,
                           is_time=lambda c: isinstance(c, overview.TimeChart))


@bp.get("/ueberfaellig")
@login_required
def overdue() -> str:
    items, total = overview.overdue_tasks(database(), actor().username)
    return render_template("records/overdue.html", items=items, total=total)


@bp.get("/instances/<int:instance_id>/druck")
@login_required
def print_view(instance_id: int) -> str:
    page = inbox.instance_page(database(), instance_id, actor().username)
    detail = page.detail
    labels = presenting.Labels.from_forms(*page.forms)
    diagrams = diagram.render_sources(detail.sources, detail.active_elements, detail.completed_elements,
                                      own=detail.instance.process_key)
    return render_template(
        "records/print.html", page=page, detail=detail, inst=detail.instance, diagrams=diagrams[:1],
        facts=presenting.summarize(detail.data, labels, skip=labels.table_keys(), flat_dicts=False),
        tables=presenting.data_tables(detail.data, labels), event_detail=presenting.event_detail)
