"""`/api/v1` for working together: search, Übernehmen/Zurückgeben/Zuweisen, comments, Vertretungen.

The same `workflows.collab` functions as the web pages; the models here are registered with
`webapp.api.schemas` (the document's `components/schemas`), `paths()` are its operations (merged by
`webapp.api.openapi`).
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import request, url_for
from pydantic import BaseModel, Field

from webapp.api import bp, schemas
from webapp.api.views import ID, _db, _int_arg, _str_arg, _user, _validated_body
from workflows.collab import claims, comments, deputies, search

# --------------------------------------------------------------------------- shapes


SearchHit = schemas.from_read_model(
    "SearchHit", search.Hit, "Ein Treffer: ein Vorgang, eine offene Aufgabe, ein Aktenzeichen, eine Person oder ein "
    "Kommentar.", exclude=("comment_id",),
    kind=Field(description="`round`, `task`, `aktenzeichen`, `person` oder `comment`.", examples=["task"]),
    kind_label=Field(description="Deutsche Bezeichnung der Art.", examples=["Aufgabe"]),
    text=Field(description="Der gefundene Text."),
    round_id=Field(description="Der Vorgang (die Runde), zu dem der Treffer gehört."),
    href=(str, Field(description="Die Aufgabe (bei `task`), sonst der Vorgang.")))


class SearchResult(schemas.ApiModel):
    model_config = schemas.described("Suchergebnis: nur, was Sie sehen dürfen; höchstens `limit` Treffer.")

    query: str
    terms: list[str] = Field(description="Die gesuchten Wortanfänge (klein, Umlaute als ae/oe/ue).")
    items: list[SearchHit]
    message: str | None = Field(description="Hinweis, wenn es keine Treffer gibt oder die Suche zu kurz ist.")


Claim = schemas.from_read_model(
    "Claim", claims.ClaimInfo, "Wer eine offene Aufgabe bearbeitet, und was Sie damit tun dürfen.",
    exclude=("vertretung_fuer_name",),
    claimed_by=Field(description="Benutzername; null, wenn niemand sie übernommen hat."),
    assigned_by=Field(description="Die Teamleitung, die sie zugewiesen hat."),
    vertretung_fuer=Field(description="Sie sehen die Aufgabe in Vertretung dieser Person."),
    claim_refusal=Field(description="Warum Sie sie nicht übernehmen können."))

Comment = schemas.from_read_model(
    "Comment", comments.CommentInfo, "Ein Kommentar zu einem Vorgang oder einer Aufgabe.", exclude=("instance_id",),
    mentions=Field(description="Die erwähnten und benachrichtigten Benutzer."))


class CommentList(schemas.ApiModel):
    model_config = schemas.described("Die Kommentare, die Sie lesen dürfen, älteste zuerst.")
    items: list[Comment]


Deputy = schemas.from_read_model(
    "Deputy", deputies.DeputyInfo, "Eine Vertretung: `deputy` handelt von `starts_on` bis `ends_on` (einschließlich) "
    "für `principal`.", active=Field(description="Gilt heute."))


class DeputyOverview(schemas.ApiModel):
    model_config = schemas.described("Ihre Vertretungen: wen Sie eingetragen haben und für wen Sie handeln.")

    named: list[Deputy]
    standing_in: list[Deputy]


class AssignTask(BaseModel):
    model_config = schemas.described("An wen die Teamleitung die Aufgabe gibt.", [{"username": "sachbearbeitung"}],
                                     extra="forbid")
    username: str = Field(title="Benutzer", min_length=1, max_length=100)


class NewComment(BaseModel):
    model_config = schemas.described("Der Text; `@benutzername` benachrichtigt die Person (sie muss den Kommentar "
                                     "lesen dürfen).", [{"text": "Bitte prüfen, @dezernat"}], extra="forbid")
    text: str = Field(title="Kommentar", min_length=1, max_length=comments.MAX_TEXT)


class NewDeputy(BaseModel):
    model_config = schemas.described("Vertretung für einen Zeitraum.",
                                     [{"deputy": "dezernat", "starts_on": "2026-12-21", "ends_on": "2027-01-06",
                                       "reason": "Urlaub"}], extra="forbid")
    deputy: str = Field(title="Vertretung", min_length=1, max_length=100, description="Benutzername.")
    starts_on: date = Field(title="Von")
    ends_on: date = Field(title="Bis", description="Einschließlich.")
    reason: str = Field(default="", title="Anlass", max_length=200)


class Note(BaseModel):
    model_config = schemas.described("Optional: ein Vermerk fürs Protokoll.", [{"note": "Urlaub ab Montag"}],
                                     extra="forbid")
    note: str = Field(default="", title="Vermerk", max_length=200)


RESPONSES: tuple[type[BaseModel], ...] = (SearchHit, SearchResult, Claim, Comment, CommentList, Deputy, DeputyOverview)
REQUESTS: tuple[type[BaseModel], ...] = (AssignTask, NewComment, NewDeputy, Note)


schemas.register(RESPONSES, REQUESTS)

ASSIGN_SCHEMA = schemas.request_schema(AssignTask)
COMMENT_SCHEMA = schemas.request_schema(NewComment)
DEPUTY_SCHEMA = schemas.request_schema(NewDeputy)
NOTE_SCHEMA = schemas.request_schema(Note)


def _note() -> str:
    """Übernehmen, Zurückgeben, Beenden take no data but an optional `note`: no body, `{}` or `{"note": ...}`."""
    if not request.get_data(cache=True).strip():
        return ""
    return str(_validated_body(NOTE_SCHEMA).get("note", ""))


# --------------------------------------------------------------------------- routes

@bp.get("/search")
def search_api() -> Any:
    """Text search over my inbox and the rounds I may see."""
    result = search.search(_db(), _user(), _str_arg("q") or "", limit=_int_arg("limit", 50, 1, 200) or 50)
    items = [SearchHit.build(h, href=url_for("api.get_task", task_id=h.task_id) if h.kind == "task" and h.task_id
                             else url_for("api.get_instance", instance_id=h.round_id)) for h in result.hits]
    return SearchResult(query=result.query, terms=result.terms, items=items, message=result.message).to_json()


@bp.get(f"/tasks/<{ID}:task_id>/claim")
def get_claim(task_id: int) -> Any:
    return Claim.build(claims.claim_info(_db(), task_id, _user())).to_json()


@bp.post(f"/tasks/<{ID}:task_id>/claim")
def claim_task(task_id: int) -> Any:
    return Claim.build(claims.claim(_db(), task_id, _user(), _note())).to_json()


@bp.post(f"/tasks/<{ID}:task_id>/release")
def release_task(task_id: int) -> Any:
    return Claim.build(claims.release(_db(), task_id, _user(), _note())).to_json()


@bp.post(f"/tasks/<{ID}:task_id>/assign")
def assign_task(task_id: int) -> Any:
    body = _validated_body(ASSIGN_SCHEMA)
    return Claim.build(claims.assign(_db(), task_id, body["username"], _user())).to_json()


def _comment_list(**target: int) -> Any:
    return CommentList(items=[Comment.build(c) for c in comments.list_comments(_db(), _user(), **target)]).to_json()


def _new_comment(**target: int) -> Any:
    body = _validated_body(COMMENT_SCHEMA)
    return Comment.build(comments.add_comment(_db(), _user(), body["text"], **target)).to_json(), 201


@bp.get(f"/instances/<{ID}:instance_id>/comments")
def list_round_comments(instance_id: int) -> Any:
    return _comment_list(instance_id=instance_id)


@bp.post(f"/instances/<{ID}:instance_id>/comments")
def add_round_comment(instance_id: int) -> Any:
    return _new_comment(instance_id=instance_id)


@bp.get(f"/tasks/<{ID}:task_id>/comments")
def list_task_comments(task_id: int) -> Any:
    return _comment_list(task_id=task_id)


@bp.post(f"/tasks/<{ID}:task_id>/comments")
def add_task_comment(task_id: int) -> Any:
    return _new_comment(task_id=task_id)


@bp.get("/deputies")
def list_deputies() -> Any:
    overview = deputies.overview(_db(), _user())
    return DeputyOverview(named=[Deputy.build(d) for d in overview.named],
                          standing_in=[Deputy.build(d) for d in overview.standing_in]).to_json()


@bp.post("/deputies")
def add_deputy() -> Any:
    body = _validated_body(DEPUTY_SCHEMA)
    info = deputies.name_deputy(_db(), _user(), body["deputy"], body["starts_on"], body["ends_on"],
                                body.get("reason", ""))
    return Deputy.build(info).to_json(), 201


@bp.post(f"/deputies/<{ID}:deputy_id>/end")
def end_deputy(deputy_id: int) -> Any:
    return Deputy.build(deputies.end_deputy(_db(), deputy_id, _user(), _note())).to_json()


# --------------------------------------------------------------------------- the document's operations

def paths() -> dict[str, Any]:
    """The operations above, for `webapp.api.openapi`."""
    from webapp.api.openapi import AUTH_ERRORS, BODY_ERRORS, _body, _json, _param, _ref, _responses

    task_id, instance_id = _ref("parameters", "TaskId"), _ref("parameters", "InstanceId")
    tag = ["Zusammenarbeit"]
    claim_ok = {"200": _json(_ref("schemas", "Claim"), "Der Stand der Bearbeitung danach.")}
    no_body = {**_body(_ref("schemas", "Note"), "Kein Inhalt, `{}` oder ein Vermerk fürs Protokoll.",
                       {"note": "Urlaub ab Montag"}), "required": False}
    comment_created = {"201": _json(_ref("schemas", "Comment"), "Gespeichert; Erwähnte sind benachrichtigt.")}
    comments_ok = {"200": _json(_ref("schemas", "CommentList"), "Die Kommentare.")}
    new_comment = _body(_ref("schemas", "NewComment"), "Der Kommentar.", {"text": "Bitte prüfen, @dezernat"})
    return {
        "/search": {"get": {
            "operationId": "search", "tags": tag, "summary": "Suche",
            "description": "Wortanfänge in Bezeichnungen der Vorgänge, Ihren offenen Aufgaben (Titel, Gemeinde), "
                           "Aktenzeichen, Personennamen und Kommentaren; jedes Wort muss passen. Nur, was Sie sehen "
                           "dürfen (Rolle, Gemeinde, Datenklassen).",
            "parameters": [_param("q", "query", {"type": "string", "maxLength": 200}, "Suchbegriff.",
                                  example="kehl rückmeldung"),
                           _param("limit", "query", {"type": "integer", "minimum": 1, "maximum": 200, "default": 50},
                                  "Höchstzahl der Treffer.")],
            "responses": _responses({"200": _json(_ref("schemas", "SearchResult"), "Die Treffer.")}, 400,
                                    *AUTH_ERRORS),
        }},
        "/tasks/{task_id}/claim": {"parameters": [task_id], "get": {
            "operationId": "getClaim", "tags": tag, "summary": "Wer bearbeitet die Aufgabe?",
            "responses": _responses({"200": _json(_ref("schemas", "Claim"), "Der Stand.")}, *AUTH_ERRORS, 404),
        }, "post": {
            "operationId": "claimTask", "tags": tag, "summary": "Übernehmen",
            "description": "Sie bearbeiten die Aufgabe; andere sehen es und können sie nicht erledigen, bis Sie sie "
                           "zurückgeben. 409, wenn sie schon jemand übernommen hat; 403, wenn Sie sie nicht erledigen "
                           "dürften (Rolle, Vier-Augen-Prinzip).",
            "requestBody": no_body,
            "responses": _responses(claim_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/tasks/{task_id}/release": {"parameters": [task_id], "post": {
            "operationId": "releaseTask", "tags": tag, "summary": "Zurückgeben",
            "description": "Wer sie übernommen hat (oder die Dezernatsleitung) gibt sie für alle Berechtigten frei.",
            "requestBody": no_body,
            "responses": _responses(claim_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/tasks/{task_id}/assign": {"parameters": [task_id], "post": {
            "operationId": "assignTask", "tags": tag, "summary": "Zuweisen (Teamleitung)",
            "description": "Die Dezernatsleitung gibt eine offene Aufgabe der Sachbearbeitung, Dezernatsleitung oder "
                           "des Personalamts an eine Person, die sie erledigen darf.",
            "requestBody": _body(_ref("schemas", "AssignTask"), "Die Person.", {"username": "sachbearbeitung"}),
            "responses": _responses(claim_ok, *BODY_ERRORS, *AUTH_ERRORS, 404, 409),
        }},
        "/instances/{instance_id}/comments": {"parameters": [instance_id], "get": {
            "operationId": "listRoundComments", "tags": tag, "summary": "Kommentare eines Vorgangs",
            "description": "Die des Vorgangs und seiner Aufgaben; eine Gemeinde liest nur die zu ihren Aufgaben.",
            "responses": _responses(comments_ok, *AUTH_ERRORS, 404),
        }, "post": {
            "operationId": "addRoundComment", "tags": tag, "summary": "Vorgang kommentieren",
            "description": "Für die Verwaltung (Gemeinden lesen ihn nicht).",
            "requestBody": new_comment,
            "responses": _responses(comment_created, *BODY_ERRORS, *AUTH_ERRORS, 404),
        }},
        "/tasks/{task_id}/comments": {"parameters": [task_id], "get": {
            "operationId": "listTaskComments", "tags": tag, "summary": "Kommentare einer Aufgabe",
            "responses": _responses(comments_ok, *AUTH_ERRORS, 404),
        }, "post": {
            "operationId": "addTaskComment", "tags": tag, "summary": "Aufgabe kommentieren",
            "description": "Liest, wer den Vorgang sieht, und die Gemeinde der Aufgabe; bei Aufgaben mit einer "
                           "Datenklasse nur deren Rollen.",
            "requestBody": new_comment,
            "responses": _responses(comment_created, *BODY_ERRORS, *AUTH_ERRORS, 404),
        }},
        "/deputies": {"get": {
            "operationId": "listDeputies", "tags": tag, "summary": "Meine Vertretungen",
            "responses": _responses({"200": _json(_ref("schemas", "DeputyOverview"), "Die Vertretungen.")},
                                    *AUTH_ERRORS),
        }, "post": {
            "operationId": "addDeputy", "tags": tag, "summary": "Vertretung eintragen",
            "description": "Im Zeitraum sieht die Vertretung Ihre Aufgaben und darf sie erledigen (Vier-Augen-Prinzip "
                           "mit ihrem eigenen Namen). Bei einer Gemeinde nur jemand derselben Gemeinde.",
            "requestBody": _body(_ref("schemas", "NewDeputy"), "Vertretung und Zeitraum.",
                                 {"deputy": "dezernat", "starts_on": "2026-12-21", "ends_on": "2027-01-06"}),
            "responses": _responses({"201": _json(_ref("schemas", "Deputy"), "Eingetragen.")}, *BODY_ERRORS,
                                    *AUTH_ERRORS),
        }},
        "/deputies/{deputy_id}/end": {"parameters": [_param("deputy_id", "path", {"type": "integer", "minimum": 1,
                                                                                  "maximum": 2**31 - 1},
                                                            "Nummer der Vertretung.", example=1)], "post": {
            "operationId": "endDeputy", "tags": tag, "summary": "Vertretung beenden",
            "description": "Endet gestern (gilt heute nicht mehr); eine noch nicht begonnene entfällt.",
            "requestBody": no_body,
            "responses": _responses({"200": _json(_ref("schemas", "Deputy"), "Beendet.")}, *BODY_ERRORS,
                                    *AUTH_ERRORS, 404, 422),
        }},
    }
