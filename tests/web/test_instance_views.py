"""Rounds: list, detail (diagram, tables, tally, history), start, cancel, messages; documents."""

from __future__ import annotations

import hashlib
from types import SimpleNamespace

from flask.testing import FlaskClient
from sqlalchemy import event

from tests.conftest import ROOT, deploy_dir
from tests.process.test_round_for_another_landkreis import import_rastatt
from tests.web.conftest import OFFENBURG_AGS, LoginAs, answer_all, to_decision
from webapp.web.presenting import group_history
from workflows import engine, inbox
from workflows.storage.db import Database
from workflows.storage.models import Document


def test_list_shows_status_and_current_step(login_as: LoginAs, round_id: int) -> None:
    page = login_as("sachbearbeitung").get("/instances").get_data(as_text=True)
    assert "Testrunde" in page and "läuft" in page and "Rückmeldung Achern" in page and "51 offene Aufgaben" in page
    assert "Neuen Vorgang starten" in page
    assert "Testrunde" not in login_as("sachbearbeitung").get("/instances?status=completed").get_data(as_text=True)
    gemeinde = login_as("offenburg").get("/instances").get_data(as_text=True)
    assert "Testrunde" in gemeinde and "Neuen Vorgang starten" not in gemeinde


def test_detail_has_diagram_with_active_step_and_german_history(login_as: LoginAs, round_id: int) -> None:
    page = login_as("sachbearbeitung").get(f"/instances/{round_id}").get_data(as_text=True)
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="bpmn-diagram' in page
    assert 'class="bpmn-el bpmn-userTask is-active" data-element-id="answer"' in page
    assert 'data-element-id="load"' in page and "Vorgang gestartet" in page and "Aufgabe bereitgestellt" in page
    assert "Vorgang abbrechen" in page
    svg = login_as("sachbearbeitung").get(f"/instances/{round_id}/diagram.svg")
    assert svg.mimetype == "image/svg+xml" and b"is-active" in svg.data


def test_gemeinde_sees_only_its_own_part(login_as: LoginAs, round_id: int) -> None:
    page = login_as("offenburg").get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Rückmeldung Offenburg" in page and "Rückmeldung Lahr" not in page and "Vorgang abbrechen" not in page
    assert login_as("offenburg").get("/instances/9999").status_code == 404


def test_answers_table_from_the_instance_data(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    answer_all(mini_db, anzahl=12)
    page = login_as("sachbearbeitung").get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Rückmeldungen der Gemeinden" in page and "(51)" in page
    assert "<th scope=\"col\" class=\"cell-num\">Anzahl Personen</th>" in page and "Entscheidung" in page
    assert "<th scope=\"row\">Summe</th>" in page  # numbers are summed


def test_start_form_starts_a_round(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("sachbearbeitung")
    form = client.get("/instances/new").get_data(as_text=True)
    assert "Mini-Runde" in form and "Ortenaukreis" in form
    bad = client.post("/instances/new", data={"process": "mini_round", "business_key": " ", "extra": "{kaputt"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Bitte eine Bezeichnung angeben" in text and "Kein gültiges JSON" in text
    ok = client.post("/instances/new", data={"process": "mini_round", "business_key": "Runde 2030",
                                             "landkreis": "ortenaukreis", "extra": '{"frist": "2030-03-01"}'})
    assert ok.status_code == 303
    detail = client.get(ok.headers["Location"]).get_data(as_text=True)
    assert "Vorgang „Runde 2030“ gestartet." in detail
    dup = client.post("/instances/new", data={"process": "mini_round", "business_key": "Runde 2030",
                                              "landkreis": "ortenaukreis", "extra": '{"frist": "2030-03-01"}'})
    assert dup.status_code == 409 and "Es läuft bereits ein Vorgang" in dup.get_data(as_text=True)
    assert login_as("offenburg").get("/instances/new").status_code == 403
    assert login_as("offenburg").post("/instances/new", data={"process": "mini_round",
                                                              "business_key": "X"}).status_code == 403
    assert client.post("/instances/new", data={"process": "gibt_es_nicht", "business_key": "X"}).status_code == 404


def test_neuen_vorgang_starten_for_another_landkreis(login_as: LoginAs, mini_db: Database) -> None:
    """The Landkreis chosen in the start form prefills "Förderrunde eröffnen"; start data outside the process's
    start form are refused beside the field, and nothing starts."""
    deploy_dir(mini_db, ROOT)
    import_rastatt(mini_db)
    client = login_as("sachbearbeitung")
    assert "Landkreis Rastatt" in client.get("/instances/new").get_data(as_text=True)
    bad = client.post("/instances/new", data={"process": "grant_round", "business_key": "Rastatt 2017-2018",
                                              "landkreis": "rastatt", "extra": '{"frist": "2030-03-01"}'})
    assert bad.status_code == 422 and "Unbekannte Felder: frist" in bad.get_data(as_text=True)
    ok = client.post("/instances/new", data={"process": "grant_round", "business_key": "Rastatt 2017-2018",
                                             "landkreis": "rastatt"})
    assert ok.status_code == 303
    (task,) = inbox.list_tasks(mini_db, "sachbearbeitung", element_id="runde_eroeffnen").items
    page = client.get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'value="Landkreis Rastatt"' in page and 'value="rastatt"' not in page  # the name, never the key
    assert inbox.get_task(mini_db, task.id, "sachbearbeitung").initial["landkreis"] == "rastatt"


def test_cancel_needs_reason_and_role(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    assert login_as("offenburg").post(f"/instances/{round_id}/cancel", data={"reason": "x"}).status_code == 403
    assert login_as("dezernat").post(f"/instances/{round_id}/cancel", data={"reason": "x"}).status_code == 403
    assert login_as("sachbearbeitung").post("/instances/9999/cancel", data={"reason": "x"}).status_code == 404
    missing = login_as("sachbearbeitung").post(f"/instances/{round_id}/cancel", data={"reason": ""})
    assert missing.status_code == 422 and "Bitte einen Grund angeben." in missing.get_data(as_text=True)
    done = login_as("admin").post(f"/instances/{round_id}/cancel", data={"reason": "Testabbruch"})
    assert done.status_code == 303
    page = login_as("sachbearbeitung").get(f"/instances/{round_id}").get_data(as_text=True)
    assert "abgebrochen" in page and "Grund: Testabbruch" in page
    again = login_as("sachbearbeitung").post(f"/instances/{round_id}/cancel", data={"reason": "nochmal"})
    assert again.status_code == 409 and "Der Vorgang ist abgebrochen." in again.get_data(as_text=True)


def test_message_form_records_the_decision(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    url = f"/instances/{round_id}/messages/decision"
    assert login_as("sachbearbeitung").post(url, data={}).status_code == 409  # not waiting yet
    to_decision(mini_db)
    client = login_as("sachbearbeitung")
    page = client.get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Nachricht erfassen" in page and "Bescheid eingegangen" in page and 'name="aktenzeichen"' in page
    assert login_as("offenburg").post(url, data={"aktenzeichen": "A", "betrag": "1"}).status_code == 403
    bad = client.post(url, data={"aktenzeichen": "", "betrag": "viel"})
    assert bad.status_code == 422
    text = bad.get_data(as_text=True)
    assert "Bitte eine Zahl eingeben." in text and "Aktenzeichen: Bitte ausfüllen." in text
    ok = client.post(url, data={"aktenzeichen": "RP-15-2030", "betrag": "64.000,00"})
    assert ok.status_code == 303
    page = client.get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Nachricht erfasst" in page and "abgeschlossen" in page
    notes = client.get("/notifications").get_data(as_text=True)
    assert "Bescheid RP-15-2030" in notes
    assert "Bescheid RP-15-2030" not in login_as("offenburg").get("/notifications").get_data(as_text=True)


def test_vote_and_the_chairs_tally(login_as: LoginAs, mini_db: Database, vote_id: int) -> None:
    (task,) = inbox.list_tasks(mini_db, "ausschuss3").items
    form = login_as("ausschuss3").get(f"/tasks/{task.id}").get_data(as_text=True)
    assert 'type="radio"' in form and "Zustimmung" in form and "Ablehnung" in form and "Enthaltung" in form
    assert login_as("ausschuss2").get(f"/tasks/{task.id}").status_code == 404  # someone else's vote
    assert login_as("ausschuss3").post(f"/tasks/{task.id}", data={"stimme": "nein",
                                                                  "betreff": "manipuliert"}).status_code == 303
    data = inbox.get_task(mini_db, task.id, "ausschuss3").initial
    assert data["betreff"] == "Integrationsmanagement 2026"  # read-only values come from the server
    chair = login_as("ausschuss1").get(f"/instances/{vote_id}").get_data(as_text=True)
    assert "Zwischenstand der Abstimmung" in chair and "1 von 5 Stimmen abgegeben." in chair
    assert "Klaus Fischer: <strong>Ablehnung</strong>" in chair
    (chair_vote,) = inbox.list_tasks(mini_db, "ausschuss1").items
    assert "Zwischenstand" in login_as("ausschuss1").get(f"/tasks/{chair_vote.id}").get_data(as_text=True)
    assert "Zwischenstand" not in login_as("ausschuss4").get(
        f"/tasks/{inbox.list_tasks(mini_db, 'ausschuss4').items[0].id}").get_data(as_text=True)


def _add_document(db: Database, instance_id: int, ags: str | None, filename: str = "Mitteilung Ä.pdf") -> int:
    content = b"%PDF-1.7\n%test\n"
    with db.write() as session:
        doc = Document(instance_id=instance_id, kind="mitteilung_gemeinden", title="Mitteilung", filename=filename,
                       sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content,
                       gemeinde_ags=ags, created_by="sachbearbeitung")
        session.add(doc)
        session.flush()
        return doc.id


def test_documents_list_and_download_with_access_checks(login_as: LoginAs, mini_db: Database,
                                                        round_id: int) -> None:
    own = _add_document(mini_db, round_id, OFFENBURG_AGS)
    other = _add_document(mini_db, round_id, "08317057", "lahr.pdf")
    general = _add_document(mini_db, round_id, None, "vorlage.pdf")
    response = login_as("offenburg").get(f"/documents/{own}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert response.data.startswith(b"%PDF")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;") and "filename*=UTF-8''Mitteilung%20%C3%84.pdf" in disposition
    assert login_as("offenburg").get(f"/documents/{other}").status_code == 404
    assert login_as("offenburg").get(f"/documents/{general}").status_code == 404
    assert login_as("offenburg").get("/documents/99999").status_code == 404
    listing = login_as("offenburg").get("/documents").get_data(as_text=True)
    assert "Mitteilung Ä.pdf" in listing and "lahr.pdf" not in listing and "vorlage.pdf" not in listing
    staff = login_as("personalrat").get("/documents").get_data(as_text=True)
    assert "lahr.pdf" in staff and "vorlage.pdf" in staff
    assert login_as("personalrat").get(f"/documents/{other}").status_code == 200
    task_page = login_as("sachbearbeitung").get(f"/instances/{round_id}").get_data(as_text=True)
    assert f"/documents/{general}" in task_page


def test_engine_errors_keep_their_status(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    engine.cancel_instance(mini_db, round_id, "sachbearbeitung", "weg")
    (task,) = inbox.list_tasks(mini_db, "offenburg", status="cancelled").items
    response = login_as("offenburg").post(f"/tasks/{task.id}", data={"entscheidung": "selbst", "anzahl": "1"})
    assert response.status_code == 409 and "Diese Aufgabe entfällt" in response.get_data(as_text=True)


def _reads(client: FlaskClient, db: Database, path: str) -> dict[str, int]:
    """Sessions opened and actor loads (a user selected by name) while the page is served."""
    seen = {"sessions": 0, "actor_loads": 0}

    def on_checkout(*_: object) -> None:
        seen["sessions"] += 1

    def on_execute(_conn: object, _cursor: object, statement: str, *_: object) -> None:
        seen["actor_loads"] += "FROM app_user" in statement and "app_user.username =" in statement

    event.listen(db.engine, "checkout", on_checkout)
    event.listen(db.engine, "before_cursor_execute", on_execute)
    try:
        assert client.get(path).status_code == 200
    finally:
        event.remove(db.engine, "checkout", on_checkout)
        event.remove(db.engine, "before_cursor_execute", on_execute)
    return seen


def test_round_and_task_page_read_in_one_session_each(login_as: LoginAs, mini_db: Database, vote_id: int) -> None:
    """Besides the request's login: one session per page, and the actor loaded once in it; plus one for the
    page's collaboration panel (claim, comments: `workflows.collab.panel`)."""
    (task,) = inbox.list_tasks(mini_db, "ausschuss1").items
    client = login_as("ausschuss1")  # the chair: with the tally and its voters' names
    for path in (f"/instances/{vote_id}", f"/tasks/{task.id}"):
        assert _reads(client, mini_db, path) == {"sessions": 3, "actor_loads": 3}, path


def test_the_whole_history_page_by_page_and_each_person_sees_only_theirs(
        login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    """The round and task pages show the latest events; 'Ganzes Protokoll' has all of them, oldest first,
    100 per page, with the same need-to-know as the round page (a Gemeinde: its own task's events)."""
    answer_all(mini_db, anzahl=12)  # 51 tasks made and 51 done: more than one page
    staff = login_as("sachbearbeitung")
    round_page = staff.get(f"/instances/{round_id}").get_data(as_text=True)
    assert f'href="/instances/{round_id}/protokoll"' in round_page
    first = staff.get(f"/instances/{round_id}/protokoll").get_data(as_text=True)
    total = inbox.list_events(mini_db, round_id, "sachbearbeitung")[1]
    assert total > 100 and f"{total} Einträge, die Sie sehen dürfen" in first
    assert first.index("Vorgang gestartet") < first.index("Aufgabe bereitgestellt")  # oldest first
    assert "Seite 1 von 2" in first and f'href="/instances/{round_id}/protokoll?page=2"' in first
    second = staff.get(f"/instances/{round_id}/protokoll?page=2").get_data(as_text=True)
    assert "Seite 2 von 2" in second and "Aufgabe erledigt" in second and "Vorgang gestartet" not in second

    own = login_as("offenburg").get(f"/instances/{round_id}/protokoll").get_data(as_text=True)
    mine = inbox.list_events(mini_db, round_id, "offenburg")[1]
    assert "Rückmeldung Offenburg" in own and "Rückmeldung Lahr" not in own and f"{mine} Einträge" in own and mine < 5
    assert login_as("offenburg").get("/instances/9999/protokoll").status_code == 404
    assert login_as("sachbearbeitung").get(f"/instances/{round_id}/protokoll?page=kaputt").status_code == 200


def test_a_folded_history_line_cut_by_the_limit_says_at_least() -> None:
    created = [SimpleNamespace(kind="task_created", actor=None, payload={"title": "Bewerbungen erfassen"})] * 3
    newest = SimpleNamespace(kind="task_completed", actor="pa", payload={"title": "Auswahl"})
    whole = group_history([newest, *created])
    assert [(g.count, g.partial) for g in whole] == [(1, False), (3, False)]
    cut = group_history([newest, *created], more=True)  # older events exist: the oldest run may be longer
    assert [(g.count, g.partial) for g in cut] == [(1, False), (3, True)]
