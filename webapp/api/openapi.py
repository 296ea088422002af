"""The OpenAPI 3.1 document of `/api/v1`, and the context for its human-readable page.

The operations are written here next to the views; the schemas of every answer and request body
come from the pydantic models in `webapp.api.schemas`, which the views serialize with. It is the
contract that the tests in `tests/api/` (schemathesis among them) check the running API against.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from markupsafe import Markup, escape

from webapp.api import schemas
from webapp.api.problems import PROBLEM_JSON, PROBLEMS, SPECIAL, type_uri
from workflows.inbox.catalog import FormContract, MessageContract, StartContract

MAX_ID = 2**31 - 1

ANY_OBJECT = {"type": "object", "additionalProperties": True}


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


ERROR_RESPONSES: dict[int, tuple[str, str, str]] = {  # status -> (component name, description, schema)
    400: ("BadRequest", "Fehlerhafte Anfrage: kein gültiges JSON, kein JSON-Objekt, ein Text mit dem Zeichen NUL "
                        "(`\\u0000`) oder einem einzelnen Surrogat (gilt für jeden Anfrageinhalt, auch wenn ein "
                        "Schema den Text erlaubt), ungültiger Query-Parameter.",
          "Problem"),
    401: ("Unauthorized", "Kein, ein ungültiges oder ein widerrufenes API-Token.", "Problem"),
    403: ("Forbidden", "Sie dürfen das nicht (fehlende Rolle, Vier-Augen-Prinzip, gesperrter Benutzer).",
          "Problem"),
    404: ("NotFound", "Nicht vorhanden oder für Sie nicht sichtbar (z. B. Aufgabe einer anderen Gemeinde).",
          "Problem"),
    405: ("MethodNotAllowed", "Diese Methode gibt es für die Adresse nicht (Header `Allow` nennt die erlaubten).",
          "Problem"),
    406: ("NotAcceptable", "Der Header `Accept` schließt das Format aus, in dem diese Adresse antwortet.",
          "Problem"),
    409: ("Conflict", "Schon erledigt (mit `completed_by`/`completed_at`), gleichzeitig geändert, oder der Vorgang "
                      "ist nicht in dem Zustand dafür.", "Problem"),
    412: ("PreconditionFailed", "`If-Match` nennt nicht mehr den aktuellen Stand (`revision`) des Vorgangs; "
                                "`revision` im Fehler nennt ihn.", "Problem"),
    413: ("PayloadTooLarge", "Der Anfrageinhalt ist größer als erlaubt.", "Problem"),
    415: ("UnsupportedMediaType", "Der Anfrageinhalt ist nicht `application/json`.", "Problem"),
    422: ("UnprocessableContent", "Die Daten passen nicht zum Formular/Schema: ein Eintrag je Feld in `errors`; "
                                  "oder ein Prozessschritt schlug fehl (nichts gespeichert).", "ValidationProblem"),
    500: ("InternalError", "Unerwarteter Fehler (protokolliert, ohne technische Details).", "Problem"),
}


def _error_response(status: int) -> dict[str, Any]:
    _, description, schema = ERROR_RESPONSES[status]
    slug, title = PROBLEMS[status]
    example = {"type": type_uri(slug), "title": title, "status": status, "detail": description,
               "instance": "/api/v1/tasks/17/complete"}
    if status == 422:
        example["errors"] = [{"pointer": "/anzahl", "detail": "Anzahl Personen: Erwartet wird eine ganze Zahl."}]
    response: dict[str, Any] = {"description": description,
                                "content": {PROBLEM_JSON: {"schema": _ref("schemas", schema), "example": example}}}
    if status == 401:
        response["headers"] = {"WWW-Authenticate": {"schema": {"type": "string"},
                                                    "description": "`Bearer realm=\"grantflow\"`"}}
    if status == 405:
        response["headers"] = {"Allow": {"schema": {"type": "string"}}}
    return response


def _json(schema: dict[str, Any], description: str, example: Any = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": schema}
    if example is not None:
        content["example"] = example
    return {"description": description, "content": {"application/json": content}}


def _responses(ok: dict[str, dict[str, Any]], *errors: int) -> dict[str, Any]:
    responses: dict[str, Any] = dict(ok)
    for status in sorted({*errors, 406, 500}):
        responses[str(status)] = _ref("responses", ERROR_RESPONSES[status][0])
    return responses


AUTH_ERRORS = (401, 403)
BODY_ERRORS = (400, 413, 415, 422)


def _param(name: str, where: str, schema: dict[str, Any], description: str, required: bool = False,
           example: Any = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "in": where, "required": required or where == "path",
                             "description": description, "schema": schema}
    if example is not None:
        param["example"] = example
    return param


ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
PARAMETERS = {
    "TaskId": _param("task_id", "path", ID_SCHEMA, "Nummer der Aufgabe.", example=1),
    "InstanceId": _param("instance_id", "path", ID_SCHEMA, "Nummer des Vorgangs.", example=1),
    "DocumentId": _param("document_id", "path", ID_SCHEMA, "Nummer des Dokuments.", example=1),
    "MessageName": _param("name", "path", {"type": "string", "minLength": 1, "maxLength": 100,
                                           "pattern": "^[A-Za-z0-9_.-]+$"},
                          "Name der Nachricht (BPMN `message`), z. B. `decision`.", example="decision"),
    "Correlation": {**_param("correlation", "query", {
        "type": "object", "maxProperties": 10,
        "additionalProperties": {"type": "string", "maxLength": 200}},
        "Korrelationsschlüssel der Nachricht als `correlation[NAME]=WERT` (welche, nennt "
        "`expected_messages[].correlation`). Ohne sie werden die Werte aus dem Inhalt berechnet, wie es der "
        "sendende Prozess täte; ein Wert, der dem Inhalt widerspricht, gibt 422; eine Nachricht, die nicht zum "
        "Vorgang gehört, 409."), "style": "deepObject", "explode": True},
    "Page": _param("page", "query", {"type": "integer", "minimum": 1, "maximum": 10_000, "default": 1},
                   "Seite (ab 1)."),
    "PerPage": _param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 25},
                      "Einträge je Seite."),
    "IdempotencyKey": _param(
        "Idempotency-Key", "header", {"type": "string", "minLength": 1, "maxLength": 200, "pattern": "^[!-~]+$"},
        "Frei gewählter Schlüssel (z. B. eine UUID). Eine Wiederholung mit demselben Schlüssel und demselben "
        "Inhalt gibt die erste erfolgreiche Antwort noch einmal (Header `Idempotent-Replayed: true`), ohne den "
        "Schritt erneut auszuführen. Derselbe Schlüssel mit anderem Inhalt: 422; während die erste Anfrage "
        "noch läuft: 409. Nach einem Fehler ist der Schlüssel wieder frei. Schlüssel gelten je Benutzer 24 "
        "Stunden.", example="6f1c0d7e-3b7a-4c43-9a51-0d3f3f6b2a10"),
    "IfMatch": _param("If-Match", "header", {"type": "string", "maxLength": 200},
                      "Der `revision` des Vorgangs, den Sie gesehen haben (z. B. `\"7\"`). Ist der Vorgang "
                      "inzwischen weitergelaufen, antwortet der Server 412 und führt nichts aus. Geprüft beim "
                      "Eingang der Anfrage.", example='"1"'),
    "IfNoneMatch": _param("If-None-Match", "header", {"type": "string", "maxLength": 200},
                          "Der `ETag` einer früheren Antwort: 304 ohne Inhalt, wenn sich nichts geändert hat."),
}


def _body(schema: dict[str, Any], description: str, example: Any) -> dict[str, Any]:
    return {"required": True, "description": description,
            "content": {"application/json": {"schema": schema, "example": example}}}


WRITES_TO_A_ROUND = {"completeTask", "deliverMessage", "cancelInstance"}
ETAG = {"schema": {"type": "string"}, "description": "Kennung dieses Inhalts, für `If-None-Match`."}


def _with_conditions(paths: dict[str, Any]) -> dict[str, Any]:
    """Every POST takes an `Idempotency-Key`, writes to a round `If-Match`, every GET `If-None-Match`."""
    for item in paths.values():
        if "post" in item:
            post = item["post"]
            post.setdefault("parameters", []).append(_ref("parameters", "IdempotencyKey"))
            if post["operationId"] in WRITES_TO_A_ROUND:
                post["parameters"].append(_ref("parameters", "IfMatch"))
                post["responses"]["412"] = _ref("responses", "PreconditionFailed")
        if "get" in item:
            get = item["get"]
            get.setdefault("parameters", []).append(_ref("parameters", "IfNoneMatch"))
            get["responses"]["200"].setdefault("headers", {})["ETag"] = ETAG
            get["responses"]["304"] = {"description": "Unverändert seit dem ETag in `If-None-Match` (ohne Inhalt)."}
    return paths


ALLOW = {"schema": {"type": "string"}, "description": "Die Methoden dieser Adresse, durch Komma getrennt."}
WRITE_METHODS = ("post", "put", "patch", "delete")


def _head(get: dict[str, Any]) -> dict[str, Any]:
    """HEAD beside a GET: the same parameters, statuses and headers, no body."""
    responses = {}
    for status, response in get["responses"].items():
        description = ERROR_RESPONSES[int(status)][1] if "$ref" in response else response["description"]
        responses[status] = {"description": f"Wie bei GET, ohne Inhalt: {description}",
                             **({"headers": response["headers"]} if "headers" in response else {})}
    head = {"operationId": f"{get['operationId']}Head", "tags": get["tags"],
            "summary": f"{get['summary']} (nur Kopfzeilen)",
            "description": "Wie GET, mit denselben Kopfzeilen (`ETag`, `Content-Type`, `Content-Length`), ohne "
                           "Inhalt.", "parameters": list(get.get("parameters", [])), "responses": responses}
    if "security" in get:
        head["security"] = get["security"]
    return head


def _options(item: dict[str, Any]) -> dict[str, Any]:
    """OPTIONS of a path: 204 with exactly its methods in `Allow`."""
    methods = [m for m in ("get", *WRITE_METHODS) if m in item]
    allowed = sorted({m.upper() for m in methods} | {"OPTIONS"} | ({"HEAD"} if "get" in item else set()))
    first = item[methods[0]]
    options = {"operationId": f"{first['operationId']}Options", "tags": first["tags"],
               "summary": "Erlaubte Methoden der Adresse",
               "description": f"204 ohne Inhalt; `Allow: {', '.join(allowed)}`. Jede andere Methode gibt 405.",
               "responses": _responses({"204": {"description": "Die erlaubten Methoden.", "headers": {
                   "Allow": {**ALLOW, "schema": {"type": "string", "const": ", ".join(allowed)}}}}},
                   *(() if first.get("security") == [] else (401,)), 404)}
    options["responses"].pop("406")  # nothing to negotiate: an OPTIONS answer has no body
    if "security" in first:
        options["security"] = first["security"]
    return options


def _with_head_and_options(paths: dict[str, Any]) -> dict[str, Any]:
    """HEAD beside every GET and OPTIONS on every path, as the server answers them."""
    for item in paths.values():
        if "get" in item:
            item["head"] = _head(item["get"])
        item["options"] = _options(item)
    return paths


BULK_REQUEST: dict[str, Any] = {
    "type": "object", "required": ["task_ids", "data"], "additionalProperties": False,
    "properties": {"task_ids": {"type": "array", "minItems": 1, "maxItems": 200,
                                "items": {"type": "integer", "minimum": 1, "maximum": 2**31 - 1}},
                   "data": {"type": "object"}},
}
BULK_RESULT: dict[str, Any] = {
    "type": "object", "required": ["completed", "refused", "results"],
    "properties": {
        "completed": {"type": "integer"}, "refused": {"type": "integer"},
        "results": {"type": "array", "items": {
            "type": "object", "required": ["task_id", "status", "detail"],
            "properties": {"task_id": {"type": "integer"},
                           "status": {"type": "string", "enum": ["completed", "refused"]},
                           "detail": {"type": "string"}, "instance_id": {"type": ["integer", "null"]}}}},
    },
}


def _paths() -> dict[str, Any]:
    page, per_page = _ref("parameters", "Page"), _ref("parameters", "PerPage")
    task_id, instance_id = _ref("parameters", "TaskId"), _ref("parameters", "InstanceId")
    step_ok = {"200": _json(_ref("schemas", "StepResult"), "Ausgeführt; der Prozess ist weitergelaufen.",
                            {"instance_id": 1, "status": "running", "new_task_ids": [53],
                             "links": {"instance": "/api/v1/instances/1"}})}
    return {
        "/tasks": {"get": {
            "operationId": "listTasks", "tags": ["Aufgaben"], "summary": "Mein Posteingang",
            "description": "Die Aufgaben, die Sie sehen dürfen (Rolle, Gemeinde, Zuweisung), gefiltert, "
                           "sortiert und seitenweise.",
            "parameters": [
                _param("instance", "query", ID_SCHEMA, "Nur Aufgaben dieses Vorgangs."),
                _param("element_id", "query", {"type": "string", "minLength": 1, "maxLength": 200},
                       "Nur Aufgaben dieses Typs (BPMN-Element-ID, z. B. `answer`)."),
                _param("status", "query", {"type": "string", "enum": ["ready", "completed"], "default": "ready"},
                       "Offene oder erledigte Aufgaben."),
                _param("sort", "query", {"type": "string", "enum": ["due", "newest", "oldest"], "default": "due"},
                       "Sortierung: nach Frist, neueste oder älteste zuerst."),
                page, per_page,
            ],
            "responses": _responses({"200": _json(_ref("schemas", "TaskPage"), "Eine Seite des Posteingangs.")},
                                    400, *AUTH_ERRORS),
        }},
        "/tasks/{task_id}": {"parameters": [task_id], "get": {
            "operationId": "getTask", "tags": ["Aufgaben"], "summary": "Eine Aufgabe",
            "description": "Die Aufgabe mit dem JSON Schema ihres Formulars, vorbelegten Werten und Kontextdaten.",
            "responses": _responses({"200": _json(_ref("schemas", "TaskDetail"), "Die Aufgabe.")},
                                    *AUTH_ERRORS, 404),
        }},
        "/tasks/{task_id}/schema": {"parameters": [task_id], "get": {
            "operationId": "getTaskSchema", "tags": ["Aufgaben"], "summary": "Schema einer Aufgabe",
            "description": "Das JSON Schema (2020-12) genau dieser Aufgabe, gegen das der Server `completeTask` "
                           "prüft (dasselbe wie `schema` in `getTask`): jede Regel, die JSON Schema sagen kann, "
                           "steht darin, auch die aus den Daten der Runde (z. B. `enum` der Namen aus den "
                           "Vorstellungsgesprächen, ein Mindestwert aus dem Planungsrahmen); `x-message` ist die "
                           "deutsche Meldung einer Regel. Was nur der Server prüfen kann, nennen `description` und "
                           "`x-server-rules` (Feld, Regel, Meldung). Unbekannte Felder werden abgelehnt "
                           "(`additionalProperties: false`).",
            "responses": _responses({"200": _json(ANY_OBJECT, "Das JSON Schema.")}, *AUTH_ERRORS, 404, 422),
        }},
        "/tasks/{task_id}/complete": {"parameters": [task_id], "post": {
            "operationId": "completeTask", "tags": ["Aufgaben"], "summary": "Aufgabe erledigen",
            "description": "Die Formulardaten als JSON-Objekt; sie werden gegen das Schema der Aufgabe geprüft "
                           "(`getTaskSchema`, auch `schema` in `getTask`) und gegen die Regeln, die dort unter "
                           "`x-server-rules` stehen. Was das Schema erlaubt, nimmt der Server an, außer eine dieser "
                           "Regeln greift; unbekannte Felder geben 422.",
            "requestBody": _body(ANY_OBJECT, "Formulardaten.", {"entscheidung": "uebertragen", "anzahl": 12}),
            "responses": _responses(step_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/tasks/bulk-complete": {"post": {
            "operationId": "completeTasks", "tags": ["Aufgaben"], "summary": "Mehrere Aufgaben gemeinsam erledigen",
            "description": "Sammelbearbeitung: dieselben Formulardaten für mehrere offene Aufgaben desselben Typs, "
                           "deren Formular das erlaubt (`x-bulk`). Jede Aufgabe wird einzeln erledigt (eigene "
                           "Transaktion, eigener Eintrag im Verlauf, alle Prüfungen); das Ergebnis nennt je Aufgabe "
                           "`completed` oder `refused` mit deutschem `detail`.",
            "requestBody": _body(BULK_REQUEST, "Aufgaben und Formulardaten.",
                                 {"task_ids": [41, 42], "data": {"veroeffentlicht_am": "2018-01-02",
                                                                 "kanaele": ["internet"]}}),
            "responses": _responses({"200": _json(BULK_RESULT, "Ein Ergebnis je Aufgabe.")},
                                    *BODY_ERRORS, *AUTH_ERRORS),
        }},
        "/instances": {
            "get": {
                "operationId": "listInstances", "tags": ["Vorgänge"], "summary": "Vorgänge",
                "description": "Die Vorgänge (Förderrunden), die Sie sehen dürfen, neueste zuerst.",
                "parameters": [
                    _param("status", "query", {"type": "string", "enum": ["running", "completed", "cancelled"]},
                           "Nur Vorgänge in diesem Zustand."),
                    page, per_page,
                ],
                "responses": _responses({"200": _json(_ref("schemas", "InstancePage"), "Eine Seite Vorgänge.")},
                                        400, *AUTH_ERRORS),
            },
            "post": {
                "operationId": "startInstance", "tags": ["Vorgänge"], "summary": "Runde starten",
                "description": "Startet die neueste Version eines Prozesses.",
                "requestBody": _body(_ref("schemas", "StartInstance"), "Prozess, Bezeichnung und Startdaten.",
                                     schemas.START_EXAMPLE),
                "responses": _responses({"201": {
                    **_json(_ref("schemas", "StepResult"), "Gestartet."),
                    "headers": {"Location": {"schema": {"type": "string"}, "description": "Adresse des Vorgangs."}},
                }}, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
            },
        },
        "/instances/{instance_id}": {"parameters": [instance_id], "get": {
            "operationId": "getInstance", "tags": ["Vorgänge"], "summary": "Ein Vorgang",
            "description": "Zustand, aktuelle Schritte, Daten und Aufgaben eines Vorgangs.",
            "responses": _responses({"200": _json(_ref("schemas", "InstanceDetail"), "Der Vorgang.")},
                                    *AUTH_ERRORS, 404),
        }},
        "/instances/{instance_id}/events": {"parameters": [instance_id], "get": {
            "operationId": "listEvents", "tags": ["Vorgänge"], "summary": "Protokoll eines Vorgangs",
            "description": "Die Einträge des Protokolls, älteste zuerst. Gemeinden sehen die ihrer eigenen Aufgaben.",
            "parameters": [page, _param("per_page", "query", {"type": "integer", "minimum": 1, "maximum": 500,
                                                              "default": 100}, "Einträge je Seite.")],
            "responses": _responses({"200": _json(_ref("schemas", "EventPage"), "Eine Seite Protokoll.")},
                                    400, *AUTH_ERRORS, 404),
        }},
        "/instances/{instance_id}/documents": {"parameters": [instance_id], "get": {
            "operationId": "listDocuments", "tags": ["Dokumente"], "summary": "Dokumente eines Vorgangs",
            "description": "Die erzeugten Dokumente, die Sie sehen dürfen, neueste zuerst.",
            "responses": _responses({"200": _json(_ref("schemas", "DocumentList"), "Die Dokumente.")},
                                    *AUTH_ERRORS, 404),
        }},
        "/instances/{instance_id}/messages/{name}": {
            "parameters": [instance_id, _ref("parameters", "MessageName")],
            "get": {
                "operationId": "getMessageSchema", "tags": ["Vorgänge"], "summary": "Schema einer Nachricht",
                "description": "Das JSON Schema (2020-12) des Inhalts dieser Nachricht, wie es die Prozessversion "
                               "des Vorgangs prüft. Verlinkt aus `expected_messages[].schema` des Vorgangs.",
                "responses": _responses({"200": _json(ANY_OBJECT, "Das JSON Schema.")}, *AUTH_ERRORS, 404),
            },
            "post": {
                "operationId": "deliverMessage", "tags": ["Vorgänge"], "summary": "Nachricht zustellen",
                "description": "Stellt eine Nachricht zu, auf die der Vorgang wartet (z. B. den Bewilligungs"
                               "bescheid). Welche erwartet werden, wer sie zustellen darf und ihr Schema nennt "
                               "`expected_messages` des Vorgangs; der Inhalt wird gegen dieses Schema geprüft "
                               "(`getMessageSchema`).",
                "parameters": [_ref("parameters", "Correlation")],
                "requestBody": _body(ANY_OBJECT, "Inhalt der Nachricht.",
                                     {"aktenzeichen": "RPS-15.2-1", "datum": "2017-03-01",
                                      "personen": [{"name": "A. Muster", "vza": 1.0, "betrag": 128000.0}]}),
                "responses": _responses(step_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
            }},
        "/messages/{name}": {"parameters": [_ref("parameters", "MessageName")], "post": {
            "operationId": "deliverCorrelatedMessage", "tags": ["Vorgänge"],
            "summary": "Nachricht nach Korrelationsschlüssel zustellen",
            "description": "Für Absender, die das Aktenzeichen kennen, nicht die Nummer des Vorgangs: stellt die "
                           "Nachricht dem einen laufenden Vorgang zu, der auf sie mit passendem "
                           "Korrelationsschlüssel wartet (`correlation[...]`, sonst aus dem Inhalt). Keiner oder "
                           "mehrere passende Vorgänge: 409, es wird nichts zugestellt.",
            "parameters": [_ref("parameters", "Correlation"),
                           _param("process", "query", {"type": "string", "maxLength": 100},
                                  "Nur Vorgänge dieses Prozesses (`key` aus `/processes`).")],
            "requestBody": _body(ANY_OBJECT, "Inhalt der Nachricht.", {"bewilligt": True}),
            "responses": _responses(step_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/instances/{instance_id}/cancel": {"parameters": [instance_id], "post": {
            "operationId": "cancelInstance", "tags": ["Vorgänge"], "summary": "Runde abbrechen",
            "description": "Beendet eine laufende Runde; offene Aufgaben werden storniert. Darf, wer die Runde "
                           "starten darf (siehe `start_role` in `/processes`), und die Administration.",
            "requestBody": _body(_ref("schemas", "CancelInstance"), "Der Grund.", {"reason": "Doppelt angelegt."}),
            "responses": _responses(step_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/processes": {"get": {
            "operationId": "listProcesses", "tags": ["Stammdaten"], "summary": "Prozesse und Versionen",
            "description": "Die bereitgestellten Prozesse; `startInstance` startet die neueste Version.",
            "responses": _responses({"200": _json(_ref("schemas", "ProcessList"), "Die Prozesse.")}, *AUTH_ERRORS),
        }},
        "/landkreise": {"get": {
            "operationId": "listLandkreise", "tags": ["Stammdaten"], "summary": "Landkreise",
            "description": "Die Landkreise; ihr `key` ist `data.landkreis` beim Start einer Runde.",
            "responses": _responses({"200": _json(_ref("schemas", "LandkreisList"), "Die Landkreise.")},
                                    *AUTH_ERRORS),
        }},
        "/timers": {"get": {
            "operationId": "listTimers", "tags": ["Vorgänge"], "summary": "Geplante und fällige Timer",
            "description": "Der nächste Timer jeder laufenden Runde, die Sie sehen dürfen (Erinnerungen, Fristen); "
                           "`due` sagt, ob er fällig ist. Fällige Timer löst der Taktgeber (`grantflow tick`) aus.",
            "responses": _responses({"200": _json(_ref("schemas", "TimerList"), "Die Timer.")}, *AUTH_ERRORS),
        }},
        "/timers/fire": {"post": {
            "operationId": "fireTimers", "tags": ["Vorgänge"], "summary": "Fällige Timer auslösen",
            "description": "Löst die fälligen Timer sofort aus, statt auf den Taktgeber zu warten. Nur für die "
                           "Rolle Administration.",
            "requestBody": _body(_ref("schemas", "FireTimers"), "Höchstzahl (optional).", {"limit": 100}),
            "responses": _responses({"200": _json(_ref("schemas", "FiredTimers"), "Ausgelöst.")},
                                    *BODY_ERRORS, *AUTH_ERRORS),
        }},
        "/documents/{document_id}": {"parameters": [_ref("parameters", "DocumentId")], "get": {
            "operationId": "getDocument", "tags": ["Dokumente"], "summary": "Dokument herunterladen",
            "description": "Die PDF-Datei, wenn Sie sie sehen dürfen (eine Gemeinde nur ihre eigenen).",
            "responses": _responses({"200": {
                "description": "Die Datei.",
                "headers": {"Content-Disposition": {"schema": {"type": "string"}}},
                "content": {"application/pdf": {"schema": {"type": "string", "contentMediaType": "application/pdf"}}},
            }}, *AUTH_ERRORS, 404),
        }},
        "/openapi.json": {"get": {
            "operationId": "getOpenApi", "tags": ["Beschreibung"], "summary": "Dieses Dokument",
            "security": [],
            "responses": _responses({"200": _json(ANY_OBJECT, "OpenAPI 3.1.")}),
        }},
        "/docs": {"get": {
            "operationId": "getDocs", "tags": ["Beschreibung"], "summary": "Lesbare Beschreibung (HTML)",
            "security": [],
            "responses": _responses({"200": {"description": "Die Seite.",
                                             "content": {"text/html": {"schema": {"type": "string"}}}}}),
        }},
    }


DESCRIPTION = """\
JSON-API von grantflow: Posteingang, Aufgaben, Vorgänge (Förderrunden), Protokoll, Dokumente und
Nachrichten des Förderprozesses Integrationsmanagement (Pakt für Integration).

**Anmeldung:** persönliches API-Token im Header `Authorization: Bearer <Token>`. Ein Token wird mit
`grantflow token create BENUTZER --name ...` erzeugt (einmal angezeigt) und mit
`grantflow token revoke ID` widerrufen. Es trägt genau die Rollen seines Benutzers.

**Fehler** kommen als `application/problem+json` (RFC 9457) mit deutscher Erklärung in `detail`;
bei ungültigen Eingaben nennt `errors` jedes Feld als JSON Pointer. Unbekannte Adressen unter
`/api/v1` geben 404, bekannte Adressen mit anderer Methode 405 (mit Header `Allow`).

**Bedingungen:** jeder POST nimmt einen `Idempotency-Key`; GET-Antworten tragen ein `ETag`
(`If-None-Match` gibt 304); Schreibzugriffe auf einen Vorgang nehmen `If-Match` mit seiner `revision`
(412, wenn er inzwischen weiterlief); ein `Accept`, das die Adresse nicht bedienen kann, gibt 406.

**Formulare und Nachrichten:** das Schema einer Aufgabe (`getTaskSchema`) und einer Nachricht
(`getMessageSchema`, die Komponenten `Nachricht.*`) enthält jede Regel, die der Server prüft und
JSON Schema sagen kann, auch die aus den Daten der Runde; `x-message` ist die deutsche Meldung einer
Regel; was nur der Server prüfen kann, steht in `description` und `x-server-rules`. Unbekannte Felder
werden mit 422 abgelehnt. Schon vor der ersten Runde nennt `x-forms` von `completeTask` jeden
Aufgabentyp der bereitgestellten Prozesse mit Rolle und diesen Regeln. Wer eine Nachricht zustellen
darf, nennen `x-messages` von `deliverMessage` und `expected_messages[].role` des Vorgangs; wessen
Aufgabe es ist, `assignee` der Aufgabe.

**HEAD und OPTIONS:** jede GET-Adresse beantwortet auch HEAD (dieselben Kopfzeilen, ohne Inhalt);
OPTIONS antwortet 204 ohne Inhalt und nennt im Header `Allow` genau die Methoden der Adresse (jede
andere gibt 405). Beide brauchen wie GET ein Token und stehen als Operationen bei jeder Adresse
(`…Head`, `…Options`).

**Änderungen:** innerhalb von `/api/v1` kommen nur Adressen, optionale Eingaben und Antwortfelder hinzu;
unbekannte Felder bitte ignorieren. Entfernen, Umbenennen oder Bedeutungsänderungen gibt es nur mit
einer neuen Version (`/api/v2`).
"""


#: OpenAPI links between operations (operationId -> status -> link name -> target and its parameters);
#: applied to whatever operations the document has, so routes added elsewhere keep theirs
LINKS: dict[str, dict[str, dict[str, tuple[str, dict[str, str]]]]] = {
    "startInstance": {"201": {"getInstance": ("getInstance", {"instance_id": "$response.body#/instance_id"}),
                              "listTasks": ("listTasks", {"instance": "$response.body#/instance_id"})}},
    "listInstances": {"200": {"getInstance": ("getInstance", {"instance_id": "$response.body#/items/0/id"})}},
    "getInstance": {"200": {
        "listTasks": ("listTasks", {"instance": "$request.path.instance_id"}),
        "getTask": ("getTask", {"task_id": "$response.body#/tasks/0/id"}),
        "listEvents": ("listEvents", {"instance_id": "$request.path.instance_id"}),
        "listDocuments": ("listDocuments", {"instance_id": "$request.path.instance_id"}),
        "deliverMessage": ("deliverMessage", {"instance_id": "$request.path.instance_id",
                                              "name": "$response.body#/expected_messages/0/name"}),
        "cancelInstance": ("cancelInstance", {"instance_id": "$request.path.instance_id"})}},
    "listTasks": {"200": {"getTask": ("getTask", {"task_id": "$response.body#/items/0/id"})}},
    "getTask": {"200": {"getTaskSchema": ("getTaskSchema", {"task_id": "$request.path.task_id"}),
                        "completeTask": ("completeTask", {"task_id": "$request.path.task_id"}),
                        "getInstance": ("getInstance", {"instance_id": "$response.body#/instance_id"})}},
    "completeTask": {"200": {"getInstance": ("getInstance", {"instance_id": "$response.body#/instance_id"}),
                             "getTask": ("getTask", {"task_id": "$response.body#/new_task_ids/0"})}},
    "deliverMessage": {"200": {"getInstance": ("getInstance", {"instance_id": "$response.body#/instance_id"})}},
    "cancelInstance": {"200": {"getInstance": ("getInstance", {"instance_id": "$response.body#/instance_id"})}},
    "listDocuments": {"200": {"getDocument": ("getDocument", {"document_id": "$response.body#/items/0/id"})}},
    "listTimers": {"200": {"getInstance": ("getInstance", {"instance_id": "$response.body#/items/0/instance_id"})}},
}


def _operations(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {op["operationId"]: op for item in doc["paths"].values() for method, op in item.items()
            if method != "parameters" and isinstance(op, dict) and "operationId" in op}


def _with_links(doc: dict[str, Any]) -> None:
    operations = _operations(doc)
    for source, by_status in LINKS.items():
        for status, links in by_status.items():
            response = operations.get(source, {}).get("responses", {}).get(status)
            if response is None:
                continue
            response["links"] = {name: {"operationId": target, "parameters": params}
                                 for name, (target, params) in links.items() if target in operations}


def _message_component(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"Nachricht.{name}")


def _with_messages(doc: dict[str, Any], messages: Sequence[MessageContract]) -> None:
    """Each message a deployed process waits for: its schema as a component, the body of `deliverMessage`."""
    if not messages:
        return
    listed = []
    for m in messages:
        component = _message_component(f"{m.process}.{m.name}")
        schema = {k: v for k, v in m.schema.items() if k not in ("$schema", "$id")}
        roles = ", ".join(m.roles) or "Administration"
        schema["description"] = (f"{schema.get('description', '')} Nachricht `{m.name}` des Prozesses `{m.process}` "
                                 f"(Version {m.version}); zustellen darf: {roles}.").strip()
        doc["components"]["schemas"][component] = schema
        listed.append({"name": m.name, "process": m.process, "version": m.version, "roles": list(m.roles),
                       "schema": f"#/components/schemas/{component}"})
    refs = [{"$ref": entry["schema"]} for entry in listed]
    examples = {f"{m.process}.{m.name}": {"summary": f"{m.name} ({m.process})", "value": m.schema["examples"][0]}
                for m in messages if m.schema.get("examples")}
    operations = _operations(doc)
    for operation_id in ("deliverMessage", "deliverCorrelatedMessage"):
        op = operations.get(operation_id)
        if op is None:
            continue
        op["x-messages"] = listed
        op["description"] += " Die Nachrichten der bereitgestellten Prozesse: " + "; ".join(
            f"`{e['name']}` ({e['process']}, zustellen darf: {', '.join(e['roles']) or 'Administration'}, "
            f"Schema `{e['schema'].rsplit('/', 1)[-1]}`)" for e in listed) + "."
        content = op["requestBody"]["content"]["application/json"]
        content["schema"] = {"anyOf": refs} if len(refs) > 1 else refs[0]
        if examples:
            content.pop("example", None)
            content["examples"] = examples


def _start_component(process: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]", "_", f"Startdaten.{process}")


def _with_start_data(doc: dict[str, Any], starts: Sequence[StartContract]) -> None:
    """Each deployed process's start data as a component, bound to `StartInstance.data` by the process key
    (the server validates `data` against that same schema: 422 for an unknown field or value)."""
    if not starts:
        return
    start_instance = doc["components"]["schemas"]["StartInstance"]
    listed = []
    for start in starts:
        component = _start_component(start.process)
        schema = {k: v for k, v in start.schema.items() if k not in ("$schema", "$id")}
        schema["description"] = (f"{schema.get('description', '')} Startdaten des Prozesses `{start.process}` "
                                 f"(Version {start.version}).").strip()
        doc["components"]["schemas"][component] = schema
        ref = f"#/components/schemas/{component}"
        listed.append({"process": start.process, "version": start.version, "schema": ref})
        start_instance.setdefault("allOf", []).append({
            "if": {"properties": {"process": {"const": start.process}}, "required": ["process"]},
            "then": {"properties": {"data": {"$ref": ref}}}})
    op = _operations(doc).get("startInstance")
    if op is not None:
        op["x-start-data"] = listed
        op["description"] += " Die Startdaten (`data`) der bereitgestellten Prozesse: " + "; ".join(
            f"`{e['process']}`: Schema `{e['schema'].rsplit('/', 1)[-1]}`" for e in listed) + "."


def _example_for(form: dict[str, Any]) -> dict[str, Any] | None:
    """A body the form accepts made of its own values only (each required field's `default`, `const`, first
    `enum` value, first example or `minimum`), or None when the form has no such values for every required
    field, or no required field at all."""
    props, body = form.get("properties", {}), {}
    for name in form.get("required", []):
        field = props.get(name, {})
        for keyword in ("default", "const", "enum", "examples", "minimum"):
            if field.get(keyword) not in (None, []):
                value = field[keyword]
                body[name] = value[0] if keyword in ("enum", "examples") else value
                break
        else:
            return None
    valid = body and Draft202012Validator(form, format_checker=FormatChecker()).is_valid(body)
    return body if valid else None


def _rule_text(rule: dict[str, str]) -> str:
    return f"{rule.get('field') or '/'}: {rule.get('rule', '')} (sonst: „{rule.get('message', '')}“)"


def _with_forms(doc: dict[str, Any], contracts: Sequence[FormContract]) -> None:
    """The user tasks of the deployed processes beside `completeTask`: their forms, whether the round's data adds
    rules to a task's served schema, and the rules only the server checks, with the German message of each."""
    if not contracts:
        return
    listed = [{"process": c.process, "version": c.version, "element_id": c.element_id, "name": c.name,
               "role": c.role, "form": c.form_key, "title": c.title, "rules_from_round_data": c.computed,
               "server_rules": [dict(r) for r in c.server_rules]} for c in contracts]
    checked = [c for c in contracts if c.server_rules]
    text = (" Die Formulare der bereitgestellten Prozesse nennt `x-forms` (je Aufgabentyp `element_id`, Rolle, "
            "ob die Daten der Runde Regeln zum Schema der Aufgabe beitragen, und `server_rules`).")
    if checked:
        text += " Was nur der Server prüft: " + "; ".join(
            f"`{c.element_id}` ({c.name}): " + ", ".join(_rule_text(r) for r in c.server_rules) for c in checked) + "."
    examples = {c.element_id: {"summary": f"{c.name} ({c.process})", "value": example}
                for c in contracts if (example := _example_for(c.form))}
    for operation_id in ("completeTask", "completeTasks"):
        op = _operations(doc).get(operation_id)
        if op is None:
            continue
        op["x-forms"] = listed
        op["description"] += text
        if operation_id == "completeTask" and examples:
            content = op["requestBody"]["content"]["application/json"]
            content.pop("example", None)
            content["examples"] = examples


@cache
def _document() -> str:
    from webapp.api import collab, records  # their paths use this module's helpers
    doc = {
        "openapi": "3.1.0",
        "info": {"title": "grantflow API", "version": "1.3.0", "description": DESCRIPTION},
        "servers": [{"url": "/api/v1"}],
        "security": [{"bearerAuth": []}],
        "tags": [{"name": "Aufgaben"}, {"name": "Vorgänge"}, {"name": "Dokumente"}, {"name": "Stammdaten"},
                 {"name": "Zusammenarbeit"}, {"name": "Beschreibung"}],
        "paths": _with_head_and_options(_with_conditions({**_paths(), **records.paths(), **collab.paths()})),
        "components": {
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer",
                "description": "Persönliches API-Token (`grantflow token create BENUTZER`)."}},
            "parameters": PARAMETERS,
            "responses": {name: _error_response(status) for status, (name, _, _) in ERROR_RESPONSES.items()},
            "schemas": {**schemas.components(), **records.components()},
        },
    }
    _with_links(doc)
    return json.dumps(doc, ensure_ascii=False)


def document(messages: Sequence[MessageContract] = (), processes: Sequence[str] = (),
             starts: Sequence[StartContract] = (), forms: Sequence[FormContract] = ()) -> dict[str, Any]:
    """The OpenAPI 3.1 document (a fresh copy); given the deployed processes and their messages, it names
    them: the keys `startInstance` takes, each process's start data, each message's schema and who may
    deliver it, each task type's form with the rules only the server checks."""
    result: dict[str, Any] = json.loads(_document())
    _with_messages(result, messages)
    _with_start_data(result, starts)
    _with_forms(result, forms)
    if processes:
        result["components"]["schemas"]["StartInstance"]["properties"]["process"]["enum"] = list(processes)
    return result


def _resolve(doc: dict[str, Any], node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        _, kind, name = node["$ref"].lstrip("#/").split("/")
        return doc["components"][kind][name]
    return node


def inline_markdown(text: str) -> Markup:
    """`code` and **bold** of the descriptions, HTML-escaped otherwise."""
    html = str(escape(text))
    html = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", html)
    return Markup(re.sub(r"`(.+?)`", r"<code>\1</code>", html))


def _pretty(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, indent=2)


def _body_example(content: dict[str, Any]) -> Any:
    if "example" in content:
        return content["example"]
    return next(iter(content.get("examples", {}).values()), {}).get("value")


def docs_context(messages: Sequence[MessageContract] = (), processes: Sequence[str] = (),
                 starts: Sequence[StartContract] = (), forms: Sequence[FormContract] = ()) -> dict[str, Any]:
    """What the HTML page shows: every operation with parameters, bodies, responses; schemas; problems."""
    doc = document(messages, processes, starts, forms)
    operations = []
    for path, item in doc["paths"].items():
        shared = [_resolve(doc, p) for p in item.get("parameters", [])]
        for method, op in item.items():
            if method == "parameters":
                continue
            body = op.get("requestBody")
            body_content = next(iter(body["content"].values())) if body else None
            responses = []
            for status, response in op["responses"].items():
                ref_name = response["$ref"].rsplit("/", 1)[-1] if "$ref" in response else None
                resolved = _resolve(doc, response)
                content = resolved.get("content", {})
                media, media_obj = next(iter(content.items())) if content else (None, {})
                schema = media_obj.get("schema", {})
                responses.append({
                    "status": status, "description": resolved["description"], "media_type": media,
                    "schema_name": schema["$ref"].rsplit("/", 1)[-1] if "$ref" in schema else None,
                    "ref_name": ref_name,
                    "example": _pretty(media_obj["example"]) if "example" in media_obj else None,
                })
            operations.append({
                "method": method.upper(), "path": path, "anchor": op["operationId"], "summary": op["summary"],
                "description": op.get("description", ""), "public": op.get("security") == [],
                "tag": op["tags"][0],
                "parameters": shared + [_resolve(doc, p) for p in op.get("parameters", [])],
                "body": {"description": body.get("description", ""),
                         "schema": body_content["schema"],
                         "schema_name": body_content["schema"].get("$ref", "").rsplit("/", 1)[-1] or None,
                         "example": _pretty(_body_example(body_content))} if body and body_content else None,
                "responses": responses,
            })
    problems = [{"slug": slug, "title": title, "status": status} for status, (slug, title) in PROBLEMS.items()]
    problems += [{"slug": slug, "title": title, "status": 409 if slug == "already-completed" else 422}
                 for slug, title in SPECIAL.items()]
    return {
        "doc": doc, "info": doc["info"],
        "description": [inline_markdown(p) for p in doc["info"]["description"].split("\n\n")],
        "operations": operations,
        "schemas": [(name, _pretty(schema)) for name, schema in doc["components"]["schemas"].items()],
        "problems": sorted(problems, key=lambda p: (p["status"], p["slug"])),
    }
