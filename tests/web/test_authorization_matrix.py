"""The authorization matrix, written down: who may open or use what, on the real round.

Rows are every route of the Flask app (web views and API, taken from `app.url_map`, so a new route
without a row fails) and every path of the OpenAPI document (each must be a route with a row); then
every task type of the process; then every data class. Columns are every demo role, a Gemeinde user
of another Gemeinde, an anonymous visitor and a revoked API token.

Symbols: `+` allowed (the request passed authorization: 2xx/3xx, or refused for its input: 400/409/
422), `-` refused (401, 403, 429, or a redirect to the login), `n` not found (404: what an actor may not
see does not exist for them), `p` a precondition failed first (412/428: `If-Match` does not match the
revision the actor was shown; a Gemeinde is shown none). POSTs send invalid input (or, where the input
decides nothing about the actor, a valid start), so an allowed write is refused by validation.

The round: opened, every Gemeinde answered (Offenburg with its own contact person), the Stellenbemessung
reviewed with an internal remark, the Beschlussvorlage drafted and released, the vote held (closed), the
Antrag signed, the postings published, applications recorded (one severely disabled), the first posting's
choice waiting for the Personalrat.
"""

from __future__ import annotations

import io
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from flask import Flask
from lxml import etree
from sqlalchemy import select

from tests.conftest import _pg_db, _sqlite_db
from tests.documents._pdftext import pdf_text
from tests.records.files import pdf_bytes
from tests.web import grant_round as gr
from tests.web.conftest import make_app
from workflows.collab import comments, deputies
from workflows.engine import context as context_spec
from workflows.identity import authz, tokens
from workflows.identity.data_classes import data_class
from workflows.inbox.classified import Classification, classified_variables, form_classification
from workflows.records import attachments
from workflows.storage.models import Attachment, Document, ProcessInstance, TaskRow

pytestmark = pytest.mark.xdist_group("authorization_matrix")  # one worker builds the round (`world`) once
NS = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
#: the columns: demo users (README "Demo logins"), then the visitors without a role
ACTORS = ("sachbearbeitung", "dezernat", "personalamt", "personalrat", "ausschuss1", "ausschuss2", "schriftfuehrung",
          "admin", "offenburg", "achern", "anonym", "widerrufen")
#: the actors with an account (the last two have none: no login, a revoked token)
USERS = ACTORS[:-2]
#: SF: the committee's Schriftführung; FG: a Gemeinde user of another Gemeinde than Offenburg
HEADER = "SB DZ PA PR VO VA SF AD GE FG AN WT"

CONTACT = "Kontakt-Offenburg"
REMARK = "Vermerk-Geheim-4711"

#: route (endpoint, method) -> expected result per actor, in the order of ACTORS
ROUTES: dict[tuple[str, str], str] = {
    #                                          SB DZ PA PR VO VA SF AD GE FG AN WT
    ('account.mail_settings', 'GET'): "+ + + + + + + + + + - -",
    ('account.mail_settings_save', 'POST'): "+ + + + + + + + + + - -",
    ('account.token_create', 'POST'): "+ + + + + + + + + + - -",
    ('account.token_list', 'GET'): "+ + + + + + + + + + - -",
    # the revoked token is the Sachbearbeitung's: nobody else finds it
    ('account.token_revoke', 'POST'): "+ n n n n n n n n n - -",
    ('admin.create_user', 'POST'): "- - - - - - - + - - - -",
    ('admin.definition', 'GET'): "- - - - - - - + - - - -",
    ('admin.definitions', 'GET'): "- - - - - - - + - - - -",
    ('admin.edit_user', 'GET'): "- - - - - - - n - - - -",
    # a redirect to the definitions, which refuse non-administrators
    ('admin.index', 'GET'): "+ + + + + + + + + + - -",
    ('admin.new_user', 'GET'): "- - - - - - - + - - - -",
    ('admin.set_active', 'POST'): "- - - - - - - n - - - -",
    ('admin.update_user', 'POST'): "- - - - - - - n - - - -",
    ('admin.upload', 'POST'): "- - - - - - - + - - - -",
    ('admin.users', 'GET'): "- - - - - - - + - - - -",
    # a Gemeinde names one of its own: naming staff is refused as input (422), as on the page
    ('api.add_deputy', 'POST'): "+ + + + + + + + + + - -",
    # comments on a round are the administration's (a Gemeinde writes on its own task)
    ('api.add_round_comment', 'POST'): "+ + + + + + + + - - - -",
    # a comment carries its task's data class (the Personalrat's task: Bewerberdaten); who may not see it
    # does not find the task's comments (404), as the task itself
    ('api.add_task_comment', 'POST'): "n n + + n n n n n n - -",
    # the team lead (Dezernat) assigns open tasks of the team lanes only; the Personalrat's is none
    ('api.assign_task', 'POST'): "n n n - n n n n n n - -",
    # decides per task: 200 with each refused task in the results (tests/web/test_bulk*)
    ('api.bulk_complete', 'POST'): "+ + + + + + + + + + - -",
    # a Gemeinde is shown no revision, so its If-Match fails first
    ('api.cancel_instance', 'POST'): "+ - - - - - - + p p - -",
    ('api.claim_task', 'POST'): "n n n + n n n n n n - -",
    ('api.complete_task', 'POST'): "n n n + n n n n n n - -",
    # the payload finds the round, so it is checked first (422); none is recorded
    ('api.deliver_correlated', 'POST'): "+ + + + + + + + + + - -",
    ('api.deliver_message', 'POST'): "+ - - - - - - + - - - -",
    ('api.docs', 'GET'): "+ + + + + + + + + + + +",
    # the Vertretung is the Sachbearbeitung's for the Dezernat: either of the two may end it
    ('api.end_deputy', 'POST'): "+ + n n n n n n n n - -",
    # the Rückmeldungen: the administration every answer, a Gemeinde its own row
    ('api.export_csv', 'GET'): "+ + + + + + + + + + - -",
    ('api.export_xlsx', 'GET'): "+ + + + + + + + + + - -",
    ('api.fire_timers', 'POST'): "- - - - - - - + - - - -",
    # the object: a Bescheid with the round (staff only)
    # the Sachbearbeitung's Bescheid: its uploader (SB) and the Administration delete it; who sees it may not; a
    # Gemeinde does not find it
    ('api.delete_attachment', 'DELETE'): "+ - - - - - - + n n - -",
    ('api.get_attachment', 'GET'): "+ + + + + + + + n n - -",
    ('api.get_claim', 'GET'): "n n n + n n n n n n - -",
    # the object: the Beschlussvorlage (staff only)
    ('api.get_document', 'GET'): "+ + + + + + + + n n - -",
    ('api.get_instance', 'GET'): "+ + + + + + + + + + - -",
    ('api.get_message_schema', 'GET'): "+ + + + + + + + + + - -",
    # the administration's (403 for a Gemeinde, as documented)
    ('api.get_overview', 'GET'): "+ + + + + + + + - - - -",
    ('api.get_task', 'GET'): "n n n + n n n n n n - -",
    ('api.get_task_schema', 'GET'): "n n n + n n n n n n - -",
    # lists what the actor may see (none for a Gemeinde here)
    ('api.list_attachments', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_deputies', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_documents', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_events', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_exports', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_instances', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_landkreise', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_overdue', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_processes', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_round_comments', 'GET'): "+ + + + + + + + + + - -",
    # as writing: 404 for whoever may not see the task's data class; a Gemeinde does not find another's task
    ('api.list_task_comments', 'GET'): "n n + + n n n n n n - -",
    ('api.list_tasks', 'GET'): "+ + + + + + + + + + - -",
    ('api.list_timers', 'GET'): "+ + + + + + + + + + - -",
    ('api.openapi_json', 'GET'): "+ + + + + + + + + + + +",
    ('api.release_task', 'POST'): "n n n + n n n n n n - -",
    ('api.search_api', 'GET'): "+ + + + + + + + + + - -",
    # starts a round (Sachbearbeitung, Administration)
    ('api.start_instance', 'POST'): "+ - - - - - - + - - - -",
    ('api.unknown', 'DELETE'): "n n n n n n n n n n n n",
    ('api.unknown', 'GET'): "n n n n n n n n n n n n",
    ('api.unknown', 'PATCH'): "n n n n n n n n n n n n",
    ('api.unknown', 'POST'): "n n n n n n n n n n n n",
    ('api.unknown', 'PUT'): "n n n n n n n n n n n n",
    # to the round: staff (a Gemeinde uploads to its own task); the missing kind refuses the allowed
    ('api.upload_attachment', 'POST'): "+ + + + + + + + - - - -",
    ('auth.home', 'GET'): "+ + + + + + + + + + - -",
    ('auth.login', 'GET'): "+ + + + + + + + + + + +",
    # empty credentials are refused (then the login brake, 429)
    ('auth.login', 'POST'): "- - - - - - - - - - - -",
    # anyone may log out (to the login page)
    ('auth.logout', 'POST'): "+ + + + + + + + + + + +",
    # the Personalrat's task chosen: its form allows no bulk step (`x-bulk`), so there is nothing to find for
    # anyone; the round's bulk-capable tasks are all done (the per-task rules: tests/web/test_bulk*)
    ('bulk.start', 'GET'): "n n n n n n n n n n - -",
    ('bulk.submit', 'POST'): "n n n n n n n n n n - -",
    # a refusal comes back as a message on the form (303), as with the claim below
    # as its form: the refusal about the chosen person (here one who may not complete it) is shown beside the field
    ('collab.assign', 'POST'): "n n n - n n n n n n - -",
    ('collab.assign_form', 'GET'): "n n n - n n n n n n - -",
    ('collab.claim', 'POST'): "n n n + n n n n n n - -",
    ('collab.comment_round', 'POST'): "+ + + + + + + + - - - -",
    ('collab.comment_task', 'POST'): "n n + + n n n n n n - -",
    ('collab.deputy_create', 'POST'): "+ + + + + + + + + + - -",
    ('collab.deputy_end', 'POST'): "+ + n n n n n n n n - -",
    ('collab.deputy_list', 'GET'): "+ + + + + + + + + + - -",
    ('collab.release', 'POST'): "n n n + n n n n n n - -",
    ('collab.search_view', 'GET'): "+ + + + + + + + + + - -",
    # the team lead's (Dezernat)
    ('collab.team', 'GET'): "- + - - - - - - - - - -",
    ('documents.download', 'GET'): "+ + + + + + + + n n - -",
    ('documents.index', 'GET'): "+ + + + + + + + + + - -",
    ('instances.cancel', 'POST'): "+ - - - - - - + - - - -",
    ('instances.deliver', 'POST'): "+ - - - - - - + - - - -",
    # a Gemeinde sees the round with its own part only (tests/web/test_privacy_real_round.py)
    ('instances.detail', 'GET'): "+ + + + + + + + + + - -",
    ('instances.diagram_svg', 'GET'): "+ + + + + + + + + + - -",
    # the whole audit history, each person's events only (a Gemeinde: those of its own tasks)
    ('instances.history', 'GET'): "+ + + + + + + + + + - -",
    ('instances.index', 'GET'): "+ + + + + + + + + + - -",
    ('instances.new', 'GET'): "+ - - - - - - + - - - -",
    # starts a round (Sachbearbeitung, Administration)
    ('instances.start', 'POST'): "+ - - - - - - + - - - -",
    ('metrics.metrics', 'GET'): "- - - - - - - + - - - -",
    ('migrations.index', 'GET'): "- - - - - - - + - - - -",
    ('migrations.index', 'POST'): "- - - - - - - + - - - -",
    ('migrations.move_back', 'POST'): "- - - - - - - + - - - -",
    ('notifications.index', 'GET'): "+ + + + + + + + + + - -",
    ('operations.healthz', 'GET'): "+ + + + + + + + + + + +",
    ('operations.readyz', 'GET'): "+ + + + + + + + + + + +",
    ('records.attachments_page', 'GET'): "+ + + + + + + + + + - -",
    ('records.delete', 'POST'): "+ - - - - - - + n n - -",
    ('records.delete_confirm', 'GET'): "+ - - - - - - + n n - -",
    ('records.download', 'GET'): "+ + + + + + + + n n - -",
    ('records.export_page', 'GET'): "+ + + + + + + + + + - -",
    ('records.export_table', 'GET'): "+ + + + + + + + + + - -",
    ('records.export_workbook', 'GET'): "+ + + + + + + + + + - -",
    ('records.overdue', 'GET'): "+ + + + + + + + + + - -",
    ('records.overview_page', 'GET'): "+ + + + + + + + - - - -",
    # a Gemeinde prints the round with its own part only
    ('records.print_view', 'GET'): "+ + + + + + + + + + - -",
    ('records.upload', 'POST'): "+ + + + + + + + - - - -",
    ('static', 'GET'): "+ + + + + + + + + + + +",
    ('stoerungen.index', 'GET'): "- - - - - - - + - - - -",
    ('stoerungen.outbox', 'GET'): "- - - - - - - + - - - -",
    ('stoerungen.retry', 'POST'): "- - - - - - - n - - - -",
    ('stoerungen.skip', 'POST'): "- - - - - - - n - - - -",
    ('tasks.inbox', 'GET'): "+ + + + + + + + + + - -",
    ('tasks.submit', 'POST'): "n n n + n n n n n n - -",
    # the object: the Personalrat's open task
    ('tasks.task', 'GET'): "n n n + n n n n n n - -",
}
#: task type (BPMN element id) -> who may open a task of that type (GET /api/v1/tasks/{id})
TASK_TYPES: dict[str, str] = {
    'antrag_vervollstaendigen': "+ n n n n n n n n n - -",
    'antrag_zeichnen': "n + n n n n n n n n - -",
    'ausschreibung_entwerfen': "n n + n n n n n n n - -",
    'ausschreibung_veroeffentlichen': "n n + n n n n n n n - -",
    'auswahl_treffen': "n n + n n n n n n n - -",
    'beschlussvorlage_entwerfen': "+ n n n n n n n n n - -",
    'beschlussvorlage_freigeben': "n + n n n n n n n n - -",
    'bewerbungen_erfassen': "n n + n n n n n n n - -",
    'personalrat_zustimmung': "n n n + n n n n n n - -",
    'rueckmeldung_abgeben': "n n n n n n n n + n - -",
    'runde_eroeffnen': "+ n n n n n n n n n - -",
    'stellenbemessung_pruefen': "+ n n n n n n n n n - -",
    'stimme_abgeben': "n n n n n + n n n n - -",
    'vorstellungsgespraeche': "n n + n n n n n n n - -",
}
#: task types the round above does not reach (other paths): their lane decides, checked with the same rule
UNREACHED_TASK_TYPES: dict[str, tuple[str, str]] = {
    "ablehnung_entscheiden": ("Vorsitz", "n n n n + n n n n n"),
    "beim_rp_nachfragen": ("Sachbearbeitung", "+ n n n n n n n n n"),
    "kuerzung_entscheiden": ("Sachbearbeitung", "+ n n n n n n n n n"),
    "weiteres_vorgehen": ("Personalamt", "n n + n n n n n n n"),
    "einstellung_vornehmen": ("Personalamt", "n n + n n n n n n n"),
}
#: data class -> who finds data of that class in what they can open (pages, API, history, task contexts)
DATA_CLASSES: dict[str, str] = {
    # Offenburg sees the contact data it gave in its own task; nobody else outside the Landkreis' office
    "gemeinde_kontakt": "+ + - - - - - - + - - -",
    "bewerberdaten": "- - + + - - - - - - - -",
    # the vote is closed: the result is everyone's (the tally, the Abstimmungsergebnis without names), who voted
    # how only the chair's and the Schriftführung's
    "einzelstimmen": "- - - - + - + - - - - -",
    "interne_vermerke": "+ + - - - - - - - - - -",
}


def _row(cells: str) -> str:
    return cells.replace(" ", "")


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def world(request: pytest.FixtureRequest, sqlite_template: Path,
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """The round, once per database: the rules are SQL clauses as much as Python (`authz.*_clause`)."""
    folder = tmp_path_factory.mktemp("matrix")
    db = _sqlite_db(sqlite_template, folder) if request.param == "sqlite" else \
        _pg_db(request.getfixturevalue("pg_schema_url"), folder)
    gr.deploy(db)
    iid = gr.open_round(db)
    gr.answer(db, skip=("offenburg",))
    (own,) = gr.ready(db, "offenburg", "rueckmeldung_abgeben")
    gr.complete(db, own.id, {"entscheidung": "uebertragung", "anzahl_gefluechtete": 300,
                             "ansprechperson": f"Frau {CONTACT}", "telefon": "0781 82-4711",
                             "email": "kontakt@offenburg.example"}, "offenburg")
    gr.close_survey(db, iid)
    task = gr.one(db, gr.SB, "stellenbemessung_pruefen")
    gr.complete(db, task.id, dict(gr.prefill(db, task.id, gr.SB), aenderungsgrund=REMARK), gr.SB)
    gr.draft(db)
    gr.release(db)
    gr.vote(db, {"ausschuss1": "ja", "ausschuss2": "ja", "ausschuss3": "enthaltung"})
    gr.apply(db)
    gr.post(db)
    names = gr.applicants(db)
    gr.choose(db, only_first=True)
    app = make_app(db)
    token_id, revoked = tokens.create_token(db, "sachbearbeitung", "widerrufen")
    tokens.revoke_token(db, token_id, "sachbearbeitung")
    live = {user: tokens.create_token(db, user, "matrix")[1] for user in USERS}
    # the records and collaboration objects: a Bescheid with the round, a remark on it, a Vertretung to come
    attachment = attachments.add_attachment(db, iid, gr.SB, kind="bescheid", content=pdf_bytes(),
                                            filename="bescheid.pdf").id
    comments.add_comment(db, gr.SB, "Matrix-Kommentar", instance_id=iid)
    attachments.add_attachment(db, iid, gr.PA, kind="bewerbung", content=pdf_bytes(), filename="bewerbung.pdf",
                               title=f"Bewerbung {names[0]}")  # applicants' data: the title names the applicant
    deputy = deputies.name_deputy(db, gr.SB, "dezernat", "2099-01-01", "2099-01-31").id
    with db.read() as session:
        stored = session.get(Attachment, attachment)
        assert stored is not None
        attachment_row = {c.key: getattr(stored, c.key) for c in Attachment.__table__.columns}
        rows = session.scalars(select(TaskRow).order_by(TaskRow.id)).all()
        document = session.scalars(select(Document.id).where(Document.kind == "beschlussvorlage")).first()
        documents = sorted({d.kind: d.id for d in session.scalars(select(Document).order_by(Document.id))}.values())
        children = session.scalars(select(ProcessInstance.id).where(ProcessInstance.root_id == iid)).all()
    yield {"db": db, "app": app, "iid": iid, "rows": rows, "document": document, "documents": documents,
           "names": names,
           "revoked": revoked, "tokens": live, "token_id": token_id, "children": children,
           "attachment": attachment, "attachment_row": attachment_row, "deputy": deputy}
    db.dispose()


def _task(world: dict[str, Any], element: str, *, gemeinde: str | None = None, user: str | None = None,
          status: str | None = None) -> TaskRow:
    for row in world["rows"]:
        if row.element_id == element and (gemeinde is None or row.assignee_gemeinde == gemeinde) \
                and (user is None or row.assignee_user == user) and (status is None or row.status == status):
            return row
    raise AssertionError(f"no task {element}")


def _url(world: dict[str, Any], rule: Any) -> str:
    """The route with the round's objects filled in: the Personalrat's open task, the Beschlussvorlage."""
    values = {"instance_id": world["iid"], "task_id": _task(world, "personalrat_zustimmung").id,
              "document_id": world["document"], "job_id": 999_999, "token_id": world["token_id"],
              "username": "niemand", "key": "grant_round", "name": "bewilligungsbescheid",
              "filename": "app.css", "rest": "gibt-es-nicht", "attachment_id": world["attachment"],
              "deputy_id": world["deputy"], "fmt": "csv"}
    if rule.endpoint.startswith(("records.export", "api.export")):
        values["key"] = "rueckmeldungen"
    url = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: str(values[m.group(1)]), rule.rule)
    return f"{url}?ids={values['task_id']}" if rule.endpoint == "bulk.start" else url


#: bodies that pass the shape checks, so that authorization decides (a valid start starts a round: harmless here)
#: (a callable builds the body per request: a file is read once; an API body of bytes is sent as a PDF)
BODIES: dict[str, dict[str, Any] | Callable[[dict[str, Any]], Any]] = {
    "api.start_instance": {"process": "grant_round", "business_key": "Matrix API"},
    "api.cancel_instance": {"reason": " "},  # the allowed are refused for the empty reason
    "api.fire_timers": {"limit": 1},
    "instances.start": {"process": "grant_round", "business_key": "Matrix Web"},
    "api.claim_task": {"note": ""},
    "api.release_task": {"note": ""},
    "api.end_deputy": {"note": ""},
    "api.assign_task": {"username": "personalrat"},
    "collab.assign": {"username": "personalrat"},
    "api.add_round_comment": {"text": "Matrix"},
    "api.add_task_comment": {"text": "Matrix"},
    "collab.comment_round": {"text": "Matrix"},
    "collab.comment_task": {"text": "Matrix"},
    # a Vertretung long after the round: it changes no other cell
    "api.add_deputy": {"deputy": "dezernat", "starts_on": "2099-02-01", "ends_on": "2099-02-02"},
    "collab.deputy_create": {"deputy": "dezernat", "starts_on": "01.02.2099", "ends_on": "02.02.2099"},
    # a PDF without its kind: the round is checked first, then the kind is missing (422)
    "api.upload_attachment": lambda world: pdf_bytes(),
    "records.upload": lambda world: {"datei": (io.BytesIO(pdf_bytes()), "matrix.pdf"), "art": ""},
    "bulk.submit": lambda world: {"ids": str(_task(world, "personalrat_zustimmung").id)},
    "api.bulk_complete": lambda world: {"task_ids": [_task(world, "personalrat_zustimmung").id], "data": {}},
}


def _request(world: dict[str, Any], actor: str, endpoint: str, method: str, url: str) -> int:
    client = world["app"].test_client()
    headers: dict[str, str] = {"Idempotency-Key": f"matrix-{actor}-{method}-{url}"}
    api = url.startswith("/api/")
    if actor == "widerrufen":
        headers["Authorization"] = f"Bearer {world['revoked']}"
    elif actor != "anonym":
        if api:
            headers["Authorization"] = f"Bearer {world['tokens'][actor]}"
        else:
            with client.session_transaction() as session:
                session["user"] = actor
    if endpoint == "api.cancel_instance":
        with world["db"].read() as session:
            headers["If-Match"] = f'"{session.get(ProcessInstance, world["iid"]).version}"'
    if method == "GET":
        response = client.get(url, headers=headers)
    else:
        body = BODIES.get(endpoint, {"kaputt": True} if api else {})
        body = body(world) if callable(body) else body
        if isinstance(body, bytes):
            sent: dict[str, Any] = {"data": body, "content_type": "application/pdf"}
        else:
            sent = {"json": body} if api else {"data": body}
        response = client.open(url, method=method, headers=headers, **sent)
    if response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "") \
            and endpoint != "auth.logout":  # after a logout the login page is the success
        return 401
    if endpoint in DELETES_ATTACHMENT and response.status_code < 400:
        _restore_attachment(world)
    return 403 if response.status_code == 429 else response.status_code  # the login brake refuses


#: routes that delete the matrix's attachment: it is put back after each deletion, so every cell is its own
DELETES_ATTACHMENT = {"api.delete_attachment", "records.delete"}


def _restore_attachment(world: dict[str, Any]) -> None:
    with world["db"].write() as session:
        session.add(Attachment(**world["attachment_row"]))


def _symbol(status: int) -> str:
    if status == 404:
        return "n"
    if status in (412, 428):
        return "p"
    if status in (401, 403):
        return "-"
    return "+"


def _routes(app: Flask) -> list[tuple[str, str, Any]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            found.append((rule.endpoint, method, rule))
    return sorted(found, key=lambda r: (r[0], r[1]))


def _print(table: dict[Any, str]) -> None:
    print("\n".join(f"    {key!r}: \"{' '.join(v[i:i + 1] for i in range(len(v)))}\"," for key, v in table.items()))


MATRIX_PRINT = os.environ.get("MATRIX_PRINT") == "1"  # prints the observed tables (to review, not to copy blindly)


def test_every_route_and_every_openapi_path_has_a_row(world: dict[str, Any]) -> None:
    app = world["app"]
    routes = {(e, m) for e, m, _ in _routes(app)}
    assert routes == set(ROUTES), ("routes without a row", sorted(routes - set(ROUTES)),
                                                   "rows without a route", sorted(set(ROUTES) - routes))
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    served = {(re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule), method): endpoint
              for endpoint, method, rule in _routes(app)}
    for path, operations in document["paths"].items():
        for method in set(operations) - {"parameters", "head", "options"}:  # beside every GET, on every path
            endpoint = served.get((f"/api/v1{path}", method.upper()))
            assert endpoint is not None, f"OpenAPI {method.upper()} {path} is no route"
            assert (endpoint, method.upper()) in ROUTES, (path, method)


def test_every_route_for_every_actor(world: dict[str, Any]) -> None:
    observed = {}
    for endpoint, method, rule in _routes(world["app"]):
        url = _url(world, rule)
        observed[(endpoint, method)] = "".join(_symbol(_request(world, a, endpoint, method, url)) for a in ACTORS)
    if MATRIX_PRINT:
        _print(observed)
    wrong = {k: (f"expected {ROUTES.get(k, '?')}", f"observed {' '.join(v)}")
             for k, v in observed.items() if _row(ROUTES.get(k, "")) != v}
    assert not wrong, (HEADER, wrong)


def test_every_task_type_for_every_actor(world: dict[str, Any]) -> None:
    """One task of each type the round has reached (a Gemeinde's: Offenburg's; a vote: ausschuss2's)."""
    observed = {}
    for element in sorted({r.element_id for r in world["rows"]}):
        row = _task(world, element, gemeinde="08317096" if element == "rueckmeldung_abgeben" else None,
                    user="ausschuss2" if element == "stimme_abgeben" else None)
        observed[element] = "".join(_symbol(_request(world, a, "api.get_task", "GET", f"/api/v1/tasks/{row.id}"))
                                    for a in ACTORS)
    if MATRIX_PRINT:
        _print(observed)
    assert observed == {k: _row(v) for k, v in TASK_TYPES.items()}, (HEADER, observed)


def _samples(world: dict[str, Any]) -> list[TaskRow]:
    """One task of each type (open and done), Offenburg's and Achern's Rückmeldung, every member's vote."""
    picked: dict[tuple[str, str], TaskRow] = {}
    for row in world["rows"]:
        key = (row.element_id, row.status)
        if row.element_id in ("rueckmeldung_abgeben", "stimme_abgeben"):
            key = (row.element_id, row.assignee_gemeinde or row.assignee_user or "")
            if row.assignee_gemeinde not in (None, "08317096", "08317001"):
                continue
        picked.setdefault(key, row)
    return list(picked.values())


def test_every_task_type_of_the_process_has_a_row_and_the_unreached_follow_their_lane(world: dict[str, Any]) -> None:
    ids: set[str] = set()
    lanes: dict[str, str] = {}
    for path in (Path(gr.ROOT) / "bpmn").glob("*.bpmn"):
        tree = etree.parse(str(path))
        ids |= set(tree.xpath("//bpmn:userTask/@id", namespaces=NS))
        for lane in tree.xpath("//bpmn:lane", namespaces=NS):
            lanes |= {ref.text: lane.get("name") for ref in lane.xpath("bpmn:flowNodeRef", namespaces=NS)}
    assert ids == set(TASK_TYPES) | set(UNREACHED_TASK_TYPES)
    with world["db"].read() as session:
        actors = {a: authz.load_actor(session, a) for a in USERS}
    for element, (lane, expected) in UNREACHED_TASK_TYPES.items():
        assert lanes.get(element) == lane, element
        row = TaskRow(lane=lane, assignee_gemeinde=None, assignee_user=None)
        assert "".join("+" if authz.may_see_task(actors[a], row) else "n" for a in USERS) == _row(expected)


def _everything_seen(world: dict[str, Any], actor: str) -> str:
    """The text of every page and API answer about the round that the actor can open."""
    rows = _samples(world)
    instances = [world["iid"], *sorted({r.instance_id for r in rows} - {world["iid"]})]
    urls = [f"/api/v1/instances/{i}" for i in instances]
    urls += [f"/api/v1/instances/{i}/events?per_page=500" for i in instances]
    urls += [f"/api/v1/tasks/{r.id}" for r in rows]
    pages = [f"/instances/{i}" for i in instances] + [f"/tasks/{r.id}" for r in rows]
    pages += [f"/instances/{i}/{part}" for i in instances for part in ("druck", "diagram.svg", "protokoll")]
    pages += ["/documents", "/tasks", "/instances", "/notifications"]
    texts = []
    client = world["app"].test_client()
    headers = {}
    if actor not in ("anonym", "widerrufen"):
        headers = {"Authorization": f"Bearer {world['tokens'][actor]}"}
        with client.session_transaction() as session:
            session["user"] = actor
    elif actor == "widerrufen":
        headers = {"Authorization": f"Bearer {world['revoked']}"}
    for url in urls:
        response = client.get(url, headers=headers)
        if response.status_code == 200:
            texts.append(json.dumps(response.get_json(), ensure_ascii=False))
    for url in pages:
        response = client.get(url)
        if response.status_code == 200:
            texts.append(response.get_data(as_text=True))
    for document_id in world["documents"]:  # the PDFs' text: one document of each kind, by the API and the web
        for response in (client.get(f"/api/v1/documents/{document_id}", headers=headers),
                         client.get(f"/documents/{document_id}")):
            if response.status_code == 200 and response.data.startswith(b"%PDF"):
                texts.append(pdf_text(response.data))
    return "\n".join(texts)


PROBES = {
    "gemeinde_kontakt": lambda text, names: CONTACT in text or "kontakt@offenburg.example" in text,
    "bewerberdaten": lambda text, names: any(n in text for n in names)
    or re.search(r'"schwerbehindert"\s*:\s*true', text) is not None,
    # as JSON, or a member's name beside the vote (a page, a document): ausschuss3 (Klaus Fischer) abstained
    "einzelstimmen": lambda text, names: re.search(r'"stimme"\s*:\s*"enthaltung"', text) is not None
    or re.search(r"Klaus Fischer\W{0,40}Enthaltung", text) is not None,
    "interne_vermerke": lambda text, names: REMARK in text,
}


def test_every_data_class_for_every_actor(world: dict[str, Any]) -> None:
    seen = {a: _everything_seen(world, a) for a in ACTORS}
    observed = {cls: "".join("+" if probe(seen[a], world["names"]) else "-" for a in ACTORS)
                for cls, probe in PROBES.items()}
    if MATRIX_PRINT:
        _print(observed)
    assert observed == {k: _row(v) for k, v in DATA_CLASSES.items()}, (HEADER, observed)


#: (where, data class) -> who finds data of that class there: the CSV and XLSX exports (API and web), the lists of
#: attachments, the search hits (for the probes' own words)
SURFACES: dict[tuple[str, str], str] = {
    #                                           SB DZ PA PR VO VA SF AD GE FG AN WT
    # the export leaves out a column of a class the actor may not see (a Gemeinde's own contact too)
    ("exports", "gemeinde_kontakt"):           "+ + - - - - - - - - - -",
    ("exports", "bewerberdaten"):              "- - - - - - - - - - - -",  # no table names an applicant
    ("exports", "einzelstimmen"):              "- - - - + - + - - - - -",
    ("exports", "interne_vermerke"):           "- - - - - - - - - - - -",  # the remark is in no table
    ("attachments", "gemeinde_kontakt"):       "- - - - - - - - - - - -",  # no attachment names the contact
    ("attachments", "bewerberdaten"):          "- - + + - - - - - - - -",
    ("attachments", "einzelstimmen"):          "- - - - - - - - - - - -",
    ("attachments", "interne_vermerke"):       "- - - - - - - - - - - -",
    # a name in a form's field of a class is found as of that class (the contact person was found by all staff)
    ("search", "gemeinde_kontakt"):            "+ + - - - - - - + - - -",
    ("search", "bewerberdaten"):               "- - + + - - - - - - - -",
    ("search", "einzelstimmen"):               "- - - - - - - - - - - -",  # votes are not indexed
    ("search", "interne_vermerke"):            "- - - - - - - - - - - -",  # nor remarks
}
#: what is searched for each data class: the probes' words
SEARCHES: dict[str, Callable[[list[str]], list[str]]] = {
    "gemeinde_kontakt": lambda names: [CONTACT], "bewerberdaten": lambda names: names[:2],
            "einzelstimmen": lambda names: ["enthaltung"], "interne_vermerke": lambda names: [REMARK]}


def _client(world: dict[str, Any], actor: str) -> tuple[Any, dict[str, str]]:
    """A client logged in as the actor on the web pages, and the headers of its API token."""
    client = world["app"].test_client()
    if actor == "anonym":
        return client, {}
    if actor == "widerrufen":
        return client, {"Authorization": f"Bearer {world['revoked']}"}
    with client.session_transaction() as session:
        session["user"] = actor
    return client, {"Authorization": f"Bearer {world['tokens'][actor]}"}


def _xlsx_text(content: bytes) -> str:
    workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True)
    return "\n".join(";".join(str(c) for c in row if c is not None) for sheet in workbook
                     for row in sheet.iter_rows(values_only=True))


def _surface_seen(world: dict[str, Any], actor: str, surface: str, words: list[str]) -> str:
    """The text of what the actor gets from one surface of the round: every table they may export (CSV and XLSX,
    the web's workbook too), its attachment list, or the search hits for `words`."""
    client, headers = _client(world, actor)
    iid, texts = world["iid"], []

    def get(url: str, api: bool = True) -> Any:
        response = client.get(url, headers=headers if api else {})
        return response if response.status_code == 200 else None

    if surface == "exports":
        if (listed := get(f"/api/v1/instances/{iid}/exports")) is not None:
            for table in listed.get_json()["items"]:
                texts.append(get(table["csv"]).get_data().decode("utf-8-sig"))
                texts.append(_xlsx_text(get(table["xlsx"]).get_data()))
        if (workbook := get(f"/instances/{iid}/export.xlsx", api=False)) is not None:
            texts.append(_xlsx_text(workbook.get_data()))
    elif surface == "attachments":
        texts += [json.dumps(r.get_json(), ensure_ascii=False) for r in [get(f"/api/v1/instances/{iid}/attachments")]
                  if r is not None]
    else:
        for word in words:  # the hits only: the answer repeats the query
            if (api_hits := get(f"/api/v1/search?q={word}")) is not None:
                texts.append(json.dumps(api_hits.get_json()["items"], ensure_ascii=False))
            if (page := get(f"/suche?q={word}", api=False)) is not None:
                texts += re.findall(r"<tbody>.*?</tbody>", page.get_data(as_text=True), re.S)
    return "\n".join(texts)


#: the probes for tables and hits (text, not the forms' JSON): a vote by name is a row with the member's choice
TEXT_PROBES = {**PROBES, "bewerberdaten": lambda text, names: any(n in text for n in names),
               "einzelstimmen": lambda text, names: re.search(r"^[^\n]*;Enthaltung\b", text, re.M) is not None}


def test_every_data_class_on_exports_attachments_and_search_for_every_actor(world: dict[str, Any]) -> None:
    names = world["names"]
    tables = {(surface, a): _surface_seen(world, a, surface, []) for surface in ("exports", "attachments")
              for a in ACTORS}
    observed = {}
    for surface, cls in SURFACES:
        probe = PROBES[cls] if surface == "attachments" else TEXT_PROBES[cls]
        seen = {a: tables[(surface, a)] if surface != "search" else
                _surface_seen(world, a, surface, SEARCHES[cls](names)) for a in ACTORS}
        observed[(surface, cls)] = "".join("+" if probe(seen[a], names) else "-" for a in ACTORS)
    if MATRIX_PRINT:
        _print(observed)
    assert observed == {k: _row(v) for k, v in SURFACES.items()}, (HEADER, observed)


def _leaks(value: Any, name: str, c: Classification, may_see: Any) -> list[str]:
    """Where a value of a classified variable shows what the actor may not see."""
    if c.whole is not None and not may_see(c.whole):
        return [name]
    hidden = {f for f, cls in c.fields.items() if not may_see(cls)}
    records = value if isinstance(value, list) else [value]
    return [f"{name}.{f}" for r in records if isinstance(r, dict) for f in hidden if f in r]


@pytest.mark.parametrize("actor", USERS)
def test_each_role_reads_its_task_contexts_through_the_api_without_a_field_it_may_not_see(
        world: dict[str, Any], actor: str) -> None:
    """Every task the role has (open and done) through `GET /api/v1/tasks/{id}`: its context holds only
    declared variables, and neither context nor prefill a variable or field of a class it may not see."""
    client = world["app"].test_client()
    headers = {"Authorization": f"Bearer {world['tokens'][actor]}"}
    with world["db"].read() as session:
        me = authz.load_actor(session, actor)
        definition = session.get(ProcessInstance, world["iid"]).definition
        mine = [r for r in world["rows"] if authz.may_see_task(me, r)]
    classes = classified_variables(definition)
    declared = _declared_contexts()
    checked = 0
    for row in mine:
        task = client.get(f"/api/v1/tasks/{row.id}", headers=headers).get_json()
        context = task["context"]
        assert set(context) <= declared[row.element_id], (row.element_id, set(context) - declared[row.element_id])
        own = authz.is_own_gemeinde_task(me, row)

        def may_see(cls: Any, own: bool = own) -> bool:
            return authz.may_see_data_class(me, cls, own_gemeinde=own)

        leaks = [leak for name, value in context.items() if name in classes
                 for leak in _leaks(value, name, classes[name], may_see)]
        assert not leaks, (actor, row.element_id, leaks)
        form = form_classification(definition.forms[row.form_key or ""])
        if actor not in (row.assignee_user, row.completed_by):  # one's own submission is one's own
            assert not _leaks(task["initial"], "initial", form, may_see), (actor, row.element_id)
        text = json.dumps(task, ensure_ascii=False)
        for cls, probe in PROBES.items():
            if probe(text, world["names"]):
                assert may_see(data_class(cls)) or actor in (row.assignee_user, row.completed_by), \
                    (actor, row.element_id, cls)
        checked += 1
    assert checked == len(mine) and (checked > 0 or actor in ("admin", "schriftfuehrung")), actor  # no tasks


def _declared_contexts() -> dict[str, set[str]]:
    found = {}
    for path in (Path(gr.ROOT) / "bpmn").glob("*.bpmn"):
        tree = etree.parse(str(path))
        inputs = set(tree.xpath("//bpmn:process/bpmn:ioSpecification/bpmn:dataInput/@name", namespaces=NS))
        for task in tree.xpath("//bpmn:userTask", namespaces=NS):
            value = task.xpath(".//*[local-name()='property'][@name='context']/@value")
            # a called process's task without a context shows the process's inputs (docs/bpmn-conventions.md)
            found[task.get("id")] = set(context_spec.parse(value[0]).declared) if value else inputs
    return found
