"""The endpoints of `/api/v1`. Each calls the same `workflows` function as the web views."""

from __future__ import annotations

import base64
import hashlib
import io
import json
import math
import re
from pathlib import Path
from typing import Any

from flask import Response, current_app, g, render_template, request, send_file, url_for
from markupsafe import Markup
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule

from webapp.api import bp, conditions, idempotency, openapi, schemas
from webapp.api.problems import ApiProblem
from workflows import engine, inbox
from workflows.engine import forms
from workflows.errors import Conflict, Forbidden, TaskAlreadyCompleted, ValidationFailed
from workflows.errors import NotFound as DomainNotFound
from workflows.identity import accounts, tokens
from workflows.inbox import catalog
from workflows.records import reading
from workflows.storage.db import Database

MAX_ID = 2**31 - 1
ID = "int"  # range checked in `_check_ids` (a converter's min/max would bypass the 404 catch-all)
PUBLIC_ENDPOINTS = {"api.openapi_json", "api.docs", "api.unknown"}
INTEGER = re.compile(r"-?[0-9]{1,12}")


def _db() -> Database:
    return current_app.extensions["grantflow_db"]


def _user() -> str:
    return str(g.api_user)


# --------------------------------------------------------------------------- authentication

@bp.before_request
def _check_ids() -> None:
    """Ids beyond the database's integer range do not exist (and must not reach the database)."""
    for value in (request.view_args or {}).values():
        if isinstance(value, int) and not 1 <= value <= MAX_ID:
            raise ApiProblem(404, f"Unbekannte Adresse: {request.path}")


@bp.before_request
def _acceptable() -> None:
    conditions.check_acceptable()


@bp.before_request
def _authenticate() -> None:
    """Resolve the bearer token to a username; the engine resolves its roles per call."""
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    header = request.headers.get("Authorization", "").strip()
    if not header:
        raise ApiProblem(401, "Bitte mit einem persönlichen API-Token anmelden: "
                              "Header 'Authorization: Bearer <Token>'.")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiProblem(401, "Der Authorization-Header muss die Form 'Bearer <Token>' haben.",
                         headers={"WWW-Authenticate": 'Bearer realm="grantflow", error="invalid_request"'})
    username = tokens.authenticate(_db(), token.strip())
    if username is None:
        raise ApiProblem(401, "Das API-Token ist ungültig oder widerrufen.",
                         headers={"WWW-Authenticate": 'Bearer realm="grantflow", error="invalid_token"'})
    g.api_user = username


@bp.before_request
def _options() -> Response | None:
    """OPTIONS names in `Allow` exactly the methods of the API route at this address (204, no body).

    Flask's automatic answer would add the catch-all route's methods (`unknown`), which give 405 here."""
    if request.method != "OPTIONS":
        return None
    methods = _api_rules().bind("localhost").allowed_methods(request.path)
    if not methods:
        raise ApiProblem(404, f"Unbekannte Adresse: {request.path}")
    response = Response(status=204)
    del response.headers["Content-Type"]  # no content, so no type
    response.headers["Allow"] = ", ".join(sorted({*methods, "OPTIONS"}))
    return response


@bp.before_request
def _idempotency() -> Response | None:
    """A POST retried with its `Idempotency-Key` gets the first answer again (see `idempotency`)."""
    if request.method != "POST" or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    return idempotency.claim(_db(), _user())


@bp.after_request
def _settle_idempotency(response: Response) -> Response:
    idempotency.settle(_db(), response)
    return response


@bp.after_request
def _conditional(response: Response) -> Response:
    return conditions.conditional(response)


@bp.after_request
def _no_caching(response: Response) -> Response:
    """API answers are personal: never stored by a shared cache."""
    response.headers.setdefault("Cache-Control", "private, no-store")
    return response


# --------------------------------------------------------------------------- request parsing

def _bad_param(name: str, detail: str) -> ApiProblem:
    return ApiProblem(400, f"Ungültiger Parameter '{name}': {detail}",
                      errors=[{"parameter": name, "detail": detail}])


def _int_arg(name: str, default: int | None, minimum: int, maximum: int) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not INTEGER.fullmatch(raw):
        raise _bad_param(name, "Erwartet wird eine ganze Zahl.")
    value = int(raw)
    if not minimum <= value <= maximum:
        raise _bad_param(name, f"Erwartet wird eine Zahl von {minimum} bis {maximum}.")
    return value


def _choice_arg(name: str, choices: tuple[str, ...], default: str | None) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if raw not in choices:
        raise _bad_param(name, f"Erlaubt sind: {', '.join(choices)}.")
    return raw


def _str_arg(name: str, max_length: int = 200) -> str | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return None
    if len(raw) > max_length or not _clean_text(raw):
        raise _bad_param(name, f"Höchstens {max_length} Zeichen, ohne Steuerzeichen.")
    return raw


def _clean_text(text: str) -> bool:
    """No NUL (PostgreSQL text cannot hold it) and valid UTF-8 (no lone surrogates)."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _check_strings(value: Any) -> None:
    if isinstance(value, str):
        if not _clean_text(value):
            raise ApiProblem(400, "Der Anfrageinhalt enthält unzulässige Zeichen (NUL oder ungültiges Unicode).")
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_strings(key)
            _check_strings(item)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item)


def _finite(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("Zahl außerhalb des darstellbaren Bereichs")
    return number


def _reject_constant(name: str) -> Any:
    raise ValueError(f"'{name}' ist in JSON nicht erlaubt")


def _json_body() -> dict[str, Any]:
    """The request body as a JSON object, or a 415/400/413 problem."""
    mimetype = request.mimetype or ""
    if mimetype != "application/json" and not mimetype.endswith("+json"):
        raise ApiProblem(415, "Der Anfrageinhalt muss JSON sein (Content-Type: application/json).",
                         headers={"Accept-Post": "application/json"})
    raw = request.get_data(cache=True)  # raises 413 beyond MAX_CONTENT_LENGTH
    if not raw.strip():
        raise ApiProblem(400, "Der Anfrageinhalt fehlt; erwartet wird ein JSON-Objekt.")
    try:
        value = json.loads(raw, parse_float=_finite, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise ApiProblem(400, f"Ungültiges JSON: {exc.msg} (Zeile {exc.lineno}, Spalte {exc.colno}).") from exc
    except UnicodeDecodeError as exc:
        raise ApiProblem(400, "Der Anfrageinhalt ist kein gültiges UTF-8.") from exc
    except RecursionError as exc:
        raise ApiProblem(400, "Das JSON ist zu tief verschachtelt.") from exc
    except ValueError as exc:
        raise ApiProblem(400, f"Ungültiges JSON: {exc}.") from exc
    if not isinstance(value, dict):
        raise ApiProblem(400, "Der Anfrageinhalt muss ein JSON-Objekt sein, z. B. {\"feld\": 1}.")
    try:
        _check_strings(value)
    except RecursionError as exc:
        raise ApiProblem(400, "Das JSON ist zu tief verschachtelt.") from exc
    return value


def _if_match(**target: int) -> None:
    """`If-Match: "<revision>"` on a write: only if the round is still where the client saw it."""
    if "If-Match" in request.headers:
        conditions.check_if_match(catalog.revision(_db(), _user(), **target))


def _validated_body(schema: dict[str, Any]) -> dict[str, Any]:
    """The JSON body, checked against a request model's schema (German messages, one per field)."""
    body = _json_body()
    errors = forms.validation_errors(schema, body)
    if errors:
        raise ValidationFailed(errors)
    return body


# --------------------------------------------------------------------------- rendering

def _page_links(page: int, pages: int) -> dict[str, str | None]:
    args = request.args.to_dict()
    view_args = request.view_args or {}

    def link(number: int) -> str:
        return url_for(str(request.endpoint), **view_args, **{**args, "page": number})

    return {"self": link(page), "first": link(1), "last": link(pages),
            "prev": link(page - 1) if page > 1 else None, "next": link(page + 1) if page < pages else None}


def _page_fields(total: int, page: int, per_page: int) -> dict[str, Any]:
    pages = max(1, -(-total // per_page))
    return {"total": total, "page": page, "per_page": per_page, "pages": pages, "links": _page_links(page, pages)}


def _document(d: inbox.DocumentInfo) -> schemas.Document:
    return schemas.Document.build(d, href=url_for("api.get_document", document_id=d.id))


def _step(result: engine.StepResult) -> dict[str, Any]:
    return schemas.StepResult.build(
        result, links={"instance": url_for("api.get_instance", instance_id=result.instance_id)}).to_json()


def _task(t: inbox.TaskSummary) -> schemas.Task:
    return schemas.Task.build(t, href=url_for("api.get_task", task_id=t.id))


def _expected(i: inbox.InstanceSummary) -> list[schemas.ExpectedMessage]:
    return [schemas.ExpectedMessage.model_validate({
        "name": m["name"], "element_name": m.get("element_name") or m["name"], "role": m.get("lane"),
        "schema": url_for("api.get_message_schema", instance_id=i.id, name=m["name"]),
        "correlation": list(m.get("correlation") or [])}) for m in i.waiting_messages]


def _instance_links(i: inbox.InstanceSummary) -> dict[str, Any]:
    """What an instance resource has beyond its read model: its address, the messages' roles and schemas."""
    return {"href": url_for("api.get_instance", instance_id=i.id), "expected_messages": _expected(i)}


# --------------------------------------------------------------------------- tasks

@bp.get("/tasks")
def list_tasks() -> Any:
    """My inbox: the ready (or completed) tasks I may see, filtered, sorted and paginated."""
    page = _int_arg("page", 1, 1, 10_000) or 1
    per_page = _int_arg("per_page", 25, 1, 200) or 25
    result = inbox.list_tasks(
        _db(), _user(), status=_choice_arg("status", ("ready", "completed"), "ready") or "ready",
        instance_id=_int_arg("instance", None, 1, MAX_ID), element_id=_str_arg("element_id"),
        sort=_choice_arg("sort", tuple(inbox.SORTS), "due") or "due", page=page, per_page=per_page)
    return schemas.TaskPage(items=[_task(t) for t in result.items],
                            **_page_fields(result.total, page, per_page)).to_json()


@bp.get(f"/tasks/<{ID}:task_id>")
def get_task(task_id: int) -> Any:
    """One task with its form's JSON Schema, prefilled values and context data."""
    detail = inbox.get_task(_db(), task_id, _user())
    return schemas.TaskDetail.build(
        detail.task, href=url_for("api.get_task", task_id=task_id), schema=forms.published(detail.schema),
        initial=detail.initial,
        context=detail.context, may_complete=detail.may_complete, refusal=detail.refusal,
        documents=[_document(d) for d in detail.documents],
        links={"complete": url_for("api.complete_task", task_id=task_id),
               "schema": url_for("api.get_task_schema", task_id=task_id),
               "instance": url_for("api.get_instance", instance_id=detail.task.instance_id),
               "events": url_for("api.list_events", instance_id=detail.task.instance_id)},
    ).to_json()


@bp.get(f"/tasks/<{ID}:task_id>/schema")
def get_task_schema(task_id: int) -> Any:
    """The JSON Schema of exactly this task: what `complete` is validated against."""
    return current_app.json.response(forms.published(inbox.get_task(_db(), task_id, _user()).schema))


@bp.post(f"/tasks/<{ID}:task_id>/complete")
def complete_task(task_id: int) -> Any:
    """Complete a task with the form data in the JSON body (validated by the engine against the form)."""
    data = _json_body()
    _if_match(task_id=task_id)
    try:
        result = engine.complete_task(_db(), task_id, data, _user())
    except TaskAlreadyCompleted as exc:
        done = inbox.get_task(_db(), task_id, _user()).task  # who and when as in the task resource
        raise ApiProblem(409, exc.message, slug="already-completed", completed_by=done.completed_by,
                         completed_at=done.completed_at) from exc
    except (Forbidden, Conflict):
        inbox.check_task_visible(_db(), task_id, _user())  # a task you may not see is not found, not forbidden
        raise
    return _step(result)


# --------------------------------------------------------------------------- instances

START_SCHEMA = schemas.request_schema(schemas.StartInstance)


@bp.get("/instances")
def list_instances() -> Any:
    """The rounds I may see, newest first."""
    page = _int_arg("page", 1, 1, 10_000) or 1
    per_page = _int_arg("per_page", 25, 1, 200) or 25
    status = _choice_arg("status", ("running", "completed", "cancelled"), None)
    items, total = inbox.list_instances(_db(), _user(), status=status, page=page, per_page=per_page)
    return schemas.InstancePage(items=[schemas.Instance.build(i, **_instance_links(i)) for i in items],
                                **_page_fields(total, page, per_page)).to_json()


@bp.post("/instances")
def start_instance() -> Any:
    """Start a round of a deployed process."""
    body = _validated_body(START_SCHEMA)
    result = engine.start_instance(_db(), body["process"], body["business_key"], _user(), body.get("data") or {})
    response = current_app.json.response(_step(result))
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_instance", instance_id=result.instance_id)
    return response


@bp.get(f"/instances/<{ID}:instance_id>")
def get_instance(instance_id: int) -> Any:
    """A round: status, current steps, its data, its tasks."""
    detail = inbox.get_instance(_db(), instance_id, _user())
    return schemas.InstanceDetail.build(
        detail.instance, **_instance_links(detail.instance), data=detail.data,
        active_elements=detail.active_elements, completed_elements=detail.completed_elements,
        tasks=[_task(t) for t in detail.tasks],
        parts=[schemas.InstancePart.build(c, href=url_for("api.get_instance", instance_id=c.id))
               for c in detail.family.children],
        part_of=detail.family.root[0] if detail.family.root else None,
        links={"events": url_for("api.list_events", instance_id=instance_id),
               "documents": url_for("api.list_documents", instance_id=instance_id),
               "tasks": url_for("api.list_tasks", instance=instance_id)},
    ).to_json()


@bp.get(f"/instances/<{ID}:instance_id>/events")
def list_events(instance_id: int) -> Any:
    """The audit history of a round, oldest first."""
    page = _int_arg("page", 1, 1, 100_000) or 1
    per_page = _int_arg("per_page", 100, 1, 500) or 100
    events, total = inbox.list_events(_db(), instance_id, _user(), page=page, per_page=per_page)
    return schemas.EventPage(items=[schemas.Event.build(e) for e in events],
                             **_page_fields(total, page, per_page)).to_json()


@bp.get(f"/instances/<{ID}:instance_id>/documents")
def list_documents(instance_id: int) -> Any:
    """The documents of a round I may see."""
    return schemas.DocumentList(items=[_document(d) for d in inbox.list_documents(_db(), instance_id, _user())]
                                ).to_json()


@bp.get(f"/instances/<{ID}:instance_id>/messages/<string(maxlength=100):name>")
def get_message_schema(instance_id: int, name: str) -> Any:
    """The JSON Schema of a message of this round's process (what `deliverMessage` checks the body against)."""
    if not _clean_text(name):
        raise DomainNotFound(f"Unbekannte Nachricht '{name!r}'.")
    return catalog.message_schema(_db(), instance_id, name, _user())


@bp.post(f"/instances/<{ID}:instance_id>/messages/<string(maxlength=100):name>")
def deliver_message(instance_id: int, name: str) -> Any:
    """Deliver a message the round waits for; the engine validates it against its schema."""
    payload = _json_body()
    if not _clean_text(name):
        raise DomainNotFound(f"Unbekannte Nachricht '{name!r}'.")
    _if_match(instance_id=instance_id)
    try:
        result = engine.deliver_message(_db(), instance_id, name, payload, _user(), _correlation_args())
    except (Forbidden, Conflict):
        inbox.check_instance_visible(_db(), instance_id, _user())  # not found, not forbidden, if not visible
        raise
    return _step(result)


def _correlation_args() -> dict[str, str] | None:
    """`correlation[NAME]=WERT` query parameters (OpenAPI deepObject style) as a mapping."""
    found = {}
    for key, value in request.args.items():
        if key.startswith("correlation[") and key.endswith("]"):
            name = key[len("correlation["):-1]
            if not name or len(name) > 100 or len(value) > 200 or not _clean_text(name + value):
                raise _bad_param("correlation", f"Ungültiger Korrelationsschlüssel '{name[:100]}'.")
            found[name] = value
    return found or None


@bp.post("/messages/<string(maxlength=100):name>")
def deliver_correlated(name: str) -> Any:
    """Deliver a message to the one running round that waits for it with this correlation."""
    payload = _json_body()
    if not _clean_text(name) or len(name) > 100:
        raise DomainNotFound(f"Unbekannte Nachricht '{name[:100]!r}'.")
    return _step(engine.deliver_correlated(_db(), name, payload, _user(), _correlation_args(),
                                           _str_arg("process", 100)))


CANCEL_SCHEMA = schemas.request_schema(schemas.CancelInstance)
FIRE_SCHEMA = schemas.request_schema(schemas.FireTimers)


@bp.post(f"/instances/<{ID}:instance_id>/cancel")
def cancel_instance(instance_id: int) -> Any:
    """End a running round; its open tasks are cancelled (start role or Administration)."""
    body = _validated_body(CANCEL_SCHEMA)
    _if_match(instance_id=instance_id)
    try:
        result = engine.cancel_instance(_db(), instance_id, _user(), body["reason"])
    except (Forbidden, Conflict):
        inbox.check_instance_visible(_db(), instance_id, _user())  # not found, not forbidden, if not visible
        raise
    return _step(result)


# --------------------------------------------------------------------------- what a client asks first

@bp.get("/processes")
def list_processes() -> Any:
    """The deployed processes and their versions."""
    return schemas.ProcessList(items=[schemas.Process.build(p) for p in catalog.list_processes(_db(), _user())]
                               ).to_json()


@bp.get("/landkreise")
def list_landkreise() -> Any:
    """The Landkreise a round can be started for."""
    return schemas.LandkreisList(items=[schemas.Landkreis(key=key, name=name)
                                        for key, name in accounts.list_landkreise(_db())]).to_json()


@bp.get("/timers")
def list_timers() -> Any:
    """The scheduled timers of the rounds I may see, and which of them are due."""
    return schemas.TimerList(items=[
        schemas.Timer.build(t, href=url_for("api.get_instance", instance_id=t.instance_id))
        for t in catalog.list_timers(_db(), _user())]).to_json()


@bp.post("/timers/fire")
def fire_timers() -> Any:
    """Fire the due timers now instead of waiting for the ticker (Administration)."""
    body = _validated_body(FIRE_SCHEMA)
    catalog.check_may_fire_timers(_db(), _user())
    return schemas.FiredTimers(fired=engine.fire_due_timers(_db(), limit=body.get("limit", 100))).to_json()


# --------------------------------------------------------------------------- documents

@bp.get(f"/documents/<{ID}:document_id>")
def get_document(document_id: int) -> Response:
    """The document's bytes (a PDF), if I may see it."""
    doc = reading.read_document(_db(), document_id, _user())  # the download is audited
    response = send_file(io.BytesIO(doc.content), mimetype=doc.media_type, as_attachment=True,
                         download_name=doc.info.filename, etag=doc.info.sha256, conditional=False,
                         max_age=0)
    response.headers["Cache-Control"] = "private, no-store"
    return response


# --------------------------------------------------------------------------- the description

@bp.get("/openapi.json")
def openapi_json() -> Any:
    """The OpenAPI 3.1 document of this API."""
    return current_app.json.response(openapi.document(catalog.message_contracts(_db()), catalog.process_keys(_db()),
                                                      catalog.start_contracts(_db()), catalog.form_contracts(_db())))


DOCS_CSS = (Path(__file__).parent / "templates" / "api" / "docs.css").read_text(encoding="utf-8")
DOCS_CSP = ("default-src 'none'; style-src 'sha256-{}'; img-src 'self' data:; frame-ancestors 'none'; "
            "base-uri 'none'; form-action 'none'").format(
    base64.b64encode(hashlib.sha256(DOCS_CSS.encode("utf-8")).digest()).decode())


@bp.get("/docs")
def docs() -> Response:
    """The OpenAPI document as a readable page (rendered here, no external assets, no script)."""
    page = openapi.docs_context(catalog.message_contracts(_db()), catalog.process_keys(_db()),
                                catalog.start_contracts(_db()), catalog.form_contracts(_db()))
    response = Response(render_template("api/docs.html", css=Markup(DOCS_CSS), **page),
                        mimetype="text/html")
    response.headers["Content-Security-Policy"] = DOCS_CSP  # the inline style by its hash
    return response


# --------------------------------------------------------------------------- everything else

CATCH_ALL_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"]


def _api_rules() -> Map:
    """The API's own routes, to tell 'unknown address' from 'wrong method'."""
    cached = current_app.extensions.get("grantflow_api_rules")
    if cached is None:
        rules = [Rule(r.rule, methods=r.methods, endpoint=r.endpoint) for r in current_app.url_map.iter_rules()
                 if r.endpoint.startswith("api.") and r.endpoint != "api.unknown"]
        cached = Map(rules, converters=current_app.url_map.converters)
        current_app.extensions["grantflow_api_rules"] = cached
    return cached


@bp.route("/", defaults={"rest": ""}, methods=CATCH_ALL_METHODS, strict_slashes=False)
@bp.route("/<path:rest>", methods=CATCH_ALL_METHODS)
def unknown(rest: str) -> Any:
    """Unknown address (404) or known address with another method (405), as problem+json."""
    try:
        _api_rules().bind("localhost").match(request.path, method=request.method)
    except MethodNotAllowed:
        raise
    except NotFound:
        pass
    raise ApiProblem(404, f"Unbekannte Adresse: {request.path}")
