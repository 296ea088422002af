"""`/api/v1` for a round's records: attachments, exports (CSV, XLSX), the overview's figures, overdue tasks.

The same `workflows.records` functions as the web views; the shapes are the pydantic models below
and `paths()` is this part of the OpenAPI document (merged by `webapp.api.openapi`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
from typing import Any

from flask import Response, current_app, g, request, send_file, url_for
from pydantic import BaseModel, Field

from webapp.api import bp, conditions, openapi
from webapp.api.problems import ApiProblem
from webapp.api.schemas import ApiModel, described, from_read_model
from workflows.records import attachments, contentcheck, exports, overview, reading, tables
from workflows.storage.db import Database

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
UPLOAD_TYPES = (contentcheck.PDF, contentcheck.PNG, contentcheck.JPEG)
conditions.MEDIA_TYPES.update({"api.export_csv": "text/csv", "api.export_xlsx": XLSX, "api.get_attachment": "*/*"})


def _db() -> Database:
    return current_app.extensions["grantflow_db"]


def _user() -> str:
    return str(g.api_user)


# --------------------------------------------------------------------------- shapes

Attachment = from_read_model(
    "Attachment", attachments.AttachmentInfo, "Ein hochgeladener Anhang (Metadaten).", exclude=("kind_label",),
    instance_id=Field(description="Der Vorgang (die Runde), bei dem der Anhang liegt."),
    task_id=Field(description="Die Aufgabe, zu der er hochgeladen wurde."),
    kind=Field(description="Art: " + ", ".join(f"`{k}` ({v})" for k, v in attachments.KINDS.items()) + "."),
    media_type=Field(description="Am Inhalt erkannter Typ: application/pdf, image/png oder image/jpeg."),
    sha256=Field(pattern="^[0-9a-f]{64}$"),
    data_class=Field(description="Datenklasse (z. B. `bewerberdaten`): sehen nur deren Rollen."),
    href=(str, Field(description="Download-Adresse.")))


class AttachmentList(ApiModel):
    model_config = described("Die Anhänge eines Vorgangs, die Sie sehen dürfen, neueste zuerst.")
    items: list[Attachment]


ExportColumn = from_read_model(
    "ExportColumn", tables.Column, "Eine Spalte: ihr deutscher Kopf und die Art ihrer Werte.", exclude=("width",),
    kind=Field(description="text, integer, number, vza, money, date oder datetime."))
ExportTable = from_read_model(
    "ExportTable", tables.Table, "Eine exportierbare Tabelle des Vorgangs.",
    columns=(list[ExportColumn], Field()), rows=(int, Field()),
    csv=(str, Field(description="Adresse der CSV-Datei (UTF-8 mit BOM, Semikolon).")),
    xlsx=(str, Field(description="Adresse der Excel-Datei.")))


class ExportList(BaseModel):
    model_config = described("Die Tabellen, die Sie exportieren dürfen (wer sie sehen darf).")
    items: list[ExportTable]


class Chart(BaseModel):
    model_config = described("Ein Diagramm der Übersicht mit seinen Zahlen.")
    key: str
    title: str
    description: str
    type: str = Field(description="`bars` (Gruppen mit je einem Wert pro Reihe) oder `time` (Anzahl über die Zeit).")
    unit: str = ""
    series: list[str] = []
    groups: list[dict[str, Any]] = Field(default=[], description="`{label, values}` je Gruppe.")
    points: list[dict[str, Any]] = Field(default=[], description="`{date, count}`: bis dahin eingegangen.")
    total: int | None = None
    deadline: dt.date | None = None


class Overview(BaseModel):
    model_config = described("Die Übersicht eines Vorgangs (nur für die Verwaltung).")
    instance_id: int
    business_key: str
    charts: list[Chart]


class OverdueTask(BaseModel):
    model_config = described("Eine offene Aufgabe nach ihrer Frist.")
    task_id: int
    title: str
    lane: str | None
    due_at: dt.datetime
    days_overdue: int
    instance_id: int = Field(description="Die Runde.")
    business_key: str


class OverdueList(BaseModel):
    model_config = described("Überfällige Aufgaben: Verwaltung alle, eine Gemeinde ihre eigenen.")
    total: int
    items: list[OverdueTask]


MODELS: tuple[type[BaseModel], ...] = (Attachment, AttachmentList, ExportColumn, ExportTable, ExportList, Chart,
                                       Overview, OverdueTask, OverdueList)


def components() -> dict[str, Any]:
    from pydantic.json_schema import models_json_schema

    from webapp.api.schemas import REF_TEMPLATE, _Generator

    _, found = models_json_schema([(m, "serialization") for m in MODELS], ref_template=REF_TEMPLATE,
                                  schema_generator=_Generator)
    return dict(found["$defs"])


def _attachment(a: attachments.AttachmentInfo) -> dict[str, Any]:
    return Attachment.build(a, href=url_for("api.get_attachment", attachment_id=a.id)).to_json()


# --------------------------------------------------------------------------- endpoints

@bp.get("/instances/<int:instance_id>/attachments")
def list_attachments(instance_id: int) -> Any:
    items = attachments.list_attachments(_db(), instance_id, _user())
    return {"items": [_attachment(a) for a in items]}


@bp.post("/instances/<int:instance_id>/attachments")
def upload_attachment(instance_id: int) -> Any:
    media_type = (request.mimetype or "").lower()
    if media_type not in UPLOAD_TYPES:
        raise ApiProblem(415, f"Bitte die Datei selbst als Anfrageinhalt senden, mit Content-Type "
                              f"{', '.join(UPLOAD_TYPES)}.")
    task = request.args.get("task")
    if task is not None and not (task.isdigit() and 1 <= int(task) <= openapi.MAX_ID):
        raise ApiProblem(400, "Ungültiger Parameter 'task': eine Aufgabennummer.",
                         errors=[{"parameter": "task", "detail": "eine Aufgabennummer"}])
    info = attachments.add_attachment(  # ValidationFailed: 422 with the German reason (problems.py)
        _db(), instance_id, _user(), kind=request.args.get("kind", ""), content=request.get_data(),
        filename=request.args.get("filename", "") or "anhang", title=request.args.get("title", ""),
        task_id=int(task) if task else None)
    body = _attachment(info)
    return current_app.json.response(body), 201, {"Location": body["href"]}


def _file(content: bytes, media_type: str, filename: str, etag: str | None = None) -> Response:
    response = send_file(io.BytesIO(content), mimetype=media_type, as_attachment=True, download_name=filename,
                         etag=etag or hashlib.sha256(content).hexdigest(), conditional=False, max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.get("/attachments/<int:attachment_id>")
def get_attachment(attachment_id: int) -> Response:
    found = reading.read_attachment(_db(), attachment_id, _user())  # the download is audited
    return _file(found.content, found.info.media_type, found.info.filename, found.info.sha256)


@bp.delete("/attachments/<int:attachment_id>")
def delete_attachment(attachment_id: int) -> Response:
    reading.delete_attachment(_db(), attachment_id, _user())
    return Response(status=204)


@bp.get("/instances/<int:instance_id>/exports")
def list_exports(instance_id: int) -> Any:
    items = [ExportTable.build(t, rows=len(t.rows), csv=url_for("api.export_csv", instance_id=instance_id, key=t.key),
                               xlsx=url_for("api.export_xlsx", instance_id=instance_id, key=t.key))
             for t in exports.round_tables(_db(), instance_id, _user())]
    return ExportList(items=items).model_dump(mode="json")


@bp.get("/instances/<int:instance_id>/exports/<string(maxlength=100):key>.csv")
def export_csv(instance_id: int, key: str) -> Response:
    table = exports.round_table(_db(), instance_id, _user(), key)
    return _file(tables.to_csv(table), "text/csv; charset=utf-8", f"{key}-{instance_id}.csv")


@bp.get("/instances/<int:instance_id>/exports/<string(maxlength=100):key>.xlsx")
def export_xlsx(instance_id: int, key: str) -> Response:
    table = exports.round_table(_db(), instance_id, _user(), key)
    return _file(tables.to_xlsx([table]), XLSX, f"{key}-{instance_id}.xlsx")


def _chart(c: overview.BarChart | overview.TimeChart) -> Chart:
    if isinstance(c, overview.TimeChart):
        return Chart(key=c.key, title=c.title, description=c.description, type="time", total=c.total,
                     deadline=c.deadline, points=[{"date": d.isoformat(), "count": n} for d, n in c.points])
    return Chart(key=c.key, title=c.title, description=c.description, type="bars", unit=c.unit, series=c.series,
                 groups=[{"label": label, "values": values} for label, values in c.groups])


@bp.get("/instances/<int:instance_id>/overview")
def get_overview(instance_id: int) -> Any:
    found = overview.round_overview(_db(), instance_id, _user())
    return Overview(instance_id=found.instance_id, business_key=found.business_key,
                    charts=[_chart(c) for c in found.charts]).model_dump(mode="json")


@bp.get("/overdue")
def list_overdue() -> Any:
    items, total = overview.overdue_tasks(_db(), _user())
    return OverdueList(total=total, items=[
        OverdueTask(task_id=o.task.id, title=o.task.title, lane=o.task.lane, due_at=o.task.due_at,  # type: ignore[arg-type]
                    days_overdue=o.days_overdue, instance_id=o.round_id, business_key=o.round_key)
        for o in items]).model_dump(mode="json")


# --------------------------------------------------------------------------- the document

def paths() -> dict[str, Any]:
    """This part of the OpenAPI document (`webapp.api.openapi` merges it)."""
    ref, responses, json_ok = openapi._ref, openapi._responses, openapi._json
    instance_id, auth = ref("parameters", "InstanceId"), openapi.AUTH_ERRORS
    key = openapi._param("key", "path", {"type": "string", "minLength": 1, "maxLength": 100,
                                          "pattern": "^[A-Za-z0-9_-]+$"},
                         "Schlüssel der Tabelle aus `listExports`, z. B. `rueckmeldungen`.", example="rueckmeldungen")
    attachment_id = openapi._param("attachment_id", "path", openapi.ID_SCHEMA, "Nummer des Anhangs.", example=1)
    binary = {"type": "string", "contentMediaType": "application/octet-stream"}
    return {
        "/instances/{instance_id}/attachments": {"parameters": [instance_id], "get": {
            "operationId": "listAttachments", "tags": ["Dokumente"], "summary": "Anhänge eines Vorgangs",
            "description": "Hochgeladene Schriftstücke, die Sie sehen dürfen (Bewerbungen nur Personalamt und "
                           "Personalrat; eine Gemeinde nur ihre eigenen).",
            "responses": responses({"200": json_ok(ref("schemas", "AttachmentList"), "Die Anhänge.")}, *auth, 404),
        }, "post": {
            "operationId": "uploadAttachment", "tags": ["Dokumente"], "summary": "Anhang hochladen",
            "description": "Die Datei selbst ist der Anfrageinhalt. Erlaubt sind PDF, PNG und JPEG bis zur "
                           "eingestellten Größe (`GRANTFLOW_ATTACHMENT_MAX_MB`, 10 MB); geprüft wird der Inhalt, "
                           "nicht Name oder Content-Type. Eine Ablehnung speichert nichts (422 mit Grund).",
            "parameters": [
                openapi._param("kind", "query", {"type": "string", "enum": list(attachments.KINDS)},
                               "Art des Schriftstücks.", required=True, example="bescheid"),
                openapi._param("filename", "query", {"type": "string", "maxLength": 200}, "Dateiname.",
                               example="bescheid.pdf"),
                openapi._param("title", "query", {"type": "string", "maxLength": 300}, "Bezeichnung."),
                openapi._param("task", "query", openapi.ID_SCHEMA, "Zu dieser Aufgabe (sonst zum Vorgang)."),
            ],
            "requestBody": {"required": True, "description": "Die Datei.",
                            "content": {t: {"schema": {"type": "string", "contentMediaType": t}}
                                        for t in UPLOAD_TYPES}},
            "responses": responses({"201": {**json_ok(ref("schemas", "Attachment"), "Gespeichert."), "headers": {
                "Location": {"schema": {"type": "string"}, "description": "Download-Adresse."}}}},
                *openapi.BODY_ERRORS, *auth, 404),
        }},
        "/attachments/{attachment_id}": {"parameters": [attachment_id], "get": {
            "operationId": "getAttachment", "tags": ["Dokumente"], "summary": "Anhang herunterladen",
            "description": "Die Datei (als Anlage, `X-Content-Type-Options: nosniff`), wenn Sie sie sehen dürfen.",
            "responses": responses({"200": {"description": "Die Datei.", "headers": {
                "Content-Disposition": {"schema": {"type": "string"}}},
                "content": {t: {"schema": {"type": "string", "contentMediaType": t}} for t in UPLOAD_TYPES}}},
                *auth, 404),
        }, "delete": {
            "operationId": "deleteAttachment", "tags": ["Dokumente"], "summary": "Anhang löschen",
            "description": "Löscht die Datei (im Protokoll des Vorgangs vermerkt). Löschen darf, wer sie hochgeladen "
                           "hat, sowie Sachbearbeitung und Administration; wer sie nicht sehen darf, erhält 404.",
            "responses": responses({"204": {"description": "Gelöscht."}}, *auth, 404),
        }},
        "/instances/{instance_id}/exports": {"parameters": [instance_id], "get": {
            "operationId": "listExports", "tags": ["Dokumente"], "summary": "Exportierbare Tabellen",
            "description": "Rückmeldungen der Gemeinden, Zuteilung, Stellen, Abstimmung, Aufgaben: was Sie "
                           "sehen dürfen (Einzelstimmen nur Vorsitz und Schriftführung).",
            "responses": responses({"200": json_ok(ref("schemas", "ExportList"), "Die Tabellen.")}, *auth, 404),
        }},
        "/instances/{instance_id}/exports/{key}.csv": {"parameters": [instance_id, key], "get": {
            "operationId": "exportCsv", "tags": ["Dokumente"], "summary": "Tabelle als CSV",
            "description": "UTF-8 mit BOM, Trennzeichen `;`, Dezimalkomma, Datum `TT.MM.JJJJ` (für deutsches Excel).",
            "responses": responses({"200": {"description": "Die CSV-Datei.",
                                            "content": {"text/csv": {"schema": {"type": "string"}}}}}, *auth, 404),
        }},
        "/instances/{instance_id}/exports/{key}.xlsx": {"parameters": [instance_id, key], "get": {
            "operationId": "exportXlsx", "tags": ["Dokumente"], "summary": "Tabelle als Excel-Datei",
            "description": "Eine Arbeitsmappe: deutsche Spaltenköpfe (fixiert), Beträge `#,##0.00 €`, Datumswerte.",
            "responses": responses({"200": {"description": "Die XLSX-Datei.",
                                            "content": {XLSX: {"schema": binary}}}}, *auth, 404),
        }},
        "/instances/{instance_id}/overview": {"parameters": [instance_id], "get": {
            "operationId": "getOverview", "tags": ["Vorgänge"], "summary": "Übersicht mit Kennzahlen",
            "description": "Die Zahlen der Diagramme: Antworten über die Zeit gegen die Frist, Stellen je Team, "
                           "beantragte und bewilligte Förderung, offene und überfällige Aufgaben je Rolle. "
                           "Nur für die Verwaltung (403 für eine Gemeinde).",
            "responses": responses({"200": json_ok(ref("schemas", "Overview"), "Die Übersicht.")}, *auth, 404),
        }},
        "/overdue": {"get": {
            "operationId": "listOverdueTasks", "tags": ["Aufgaben"], "summary": "Überfällige Aufgaben",
            "description": "Offene Aufgaben laufender Vorgänge nach ihrer Frist, älteste zuerst (höchstens 500).",
            "responses": responses({"200": json_ok(ref("schemas", "OverdueList"), "Die Aufgaben.")}, *auth),
        }},
    }
