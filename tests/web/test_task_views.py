"""The inbox and the task page: visibility, filters, the form round trip, 422 and 409."""

from __future__ import annotations

import pytest

from tests.web.conftest import OFFENBURG_AGS, LoginAs, answer_all
from webapp.web.views import tasks as tasks_view
from workflows import engine, inbox
from workflows.identity import accounts
from workflows.storage.db import Database


def own_task(db: Database, user: str) -> int:
    (task,) = inbox.list_tasks(db, user).items
    return task.id


def test_inbox_lists_only_my_tasks_with_counts(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    page = login_as("offenburg").get("/tasks").get_data(as_text=True)
    assert "Meine Aufgaben" in page and "Rückmeldung Offenburg" in page
    assert "Rückmeldung Lahr" not in page and "1 offene Aufgabe" in page
    assert "Neu" in page and "31.01.2030" in page
    staff = login_as("sachbearbeitung").get("/tasks").get_data(as_text=True)
    assert "Keine offenen Aufgaben" in staff


def test_inbox_filters_sorts_and_paginates(login_as: LoginAs, mini_db: Database, round_id: int,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    second = engine.start_instance(mini_db, "mini_round", "Zweite Runde", "sachbearbeitung",
                                   {"landkreis": "ortenaukreis", "frist": "2031-01-31"}).instance_id
    client = login_as("offenburg")
    both = client.get("/tasks?sort=newest").get_data(as_text=True)
    table = both.split("<tbody>")[1]
    assert "2 offene Aufgaben" in both and table.index("Zweite Runde") < table.index("Testrunde")
    assert f'<option value="{second}">Zweite Runde (1)</option>' in both
    assert 'value="answer">Rückmeldung (2)</option>' in both
    only = client.get(f"/tasks?vorgang={second}").get_data(as_text=True)
    assert "Zweite Runde" in only and "31.01.2031" in only and "31.01.2030" not in only
    by_due = client.get("/tasks?sort=due&typ=answer").get_data(as_text=True).split("<tbody>")[1]
    assert by_due.index("31.01.2030") < by_due.index("31.01.2031")
    monkeypatch.setattr(tasks_view, "PER_PAGE", 1)
    first = client.get("/tasks?sort=due").get_data(as_text=True)
    assert "Seite 1 von 2" in first and "Weiter ›" in first and "31.01.2031" not in first.split("<tbody>")[1]
    page2 = client.get("/tasks?sort=due&page=2").get_data(as_text=True)
    assert "31.01.2031" in page2.split("<tbody>")[1] and "‹ Zurück" in page2
    assert client.get("/tasks?vorgang=abc&sort=unsinn&page=x").status_code == 200
    assert "Keine offenen Aufgaben" in client.get("/tasks?typ=gibt-es-nicht").get_data(as_text=True)


def test_another_gemeindes_task_is_not_reachable(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    lahr_task = own_task(mini_db, "lahr")
    client = login_as("offenburg")
    assert client.get(f"/tasks/{lahr_task}").status_code == 404
    assert client.post(f"/tasks/{lahr_task}", data={"entscheidung": "selbst", "anzahl": "1"}).status_code == 404
    assert client.get("/tasks/999999").status_code == 404


def test_task_page_shows_what_it_is_about(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = own_task(mini_db, "offenburg")
    page = login_as("offenburg").get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Worum es geht" in page and OFFENBURG_AGS in page and "59.967" in page  # Einwohner, German format
    assert "Testrunde" in page and 'for="f-anzahl"' in page and 'id="f-anzahl"' in page
    assert "Rückmeldung Lahr" not in page  # no other Gemeinde in the history or context


def test_submit_completes_task_and_it_leaves_the_inbox(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = own_task(mini_db, "offenburg")
    client = login_as("offenburg")
    response = client.post(f"/tasks/{task_id}", data={"entscheidung": "uebertragen", "anzahl": "1.200",
                                                      "kontakt": "Frau Sommer"})
    assert response.status_code == 422  # the process rule: at most 1000
    text = response.get_data(as_text=True)
    assert "Höchstens 1000 Personen." in text and 'value="1.200"' in text and 'value="Frau Sommer"' in text
    response = client.post(f"/tasks/{task_id}", data={"entscheidung": "uebertragen", "anzahl": "120"})
    assert response.status_code == 303 and response.headers["Location"] == "/tasks"
    inbox_page = client.get("/tasks").get_data(as_text=True)
    assert "Erledigt: Rückmeldung Offenburg." in inbox_page and "Keine offenen Aufgaben" in inbox_page
    done = client.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Erledigt" in done and "Anzahl Personen" in done and "120" in done
    assert f'action="/tasks/{task_id}"' not in done


def test_bad_input_gives_422_with_messages_beside_the_fields(login_as: LoginAs, mini_db: Database,
                                                              round_id: int) -> None:
    task_id = own_task(mini_db, "offenburg")
    client = login_as("offenburg")
    response = client.post(f"/tasks/{task_id}", data={"anzahl": "zwölf"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="f-anzahl-error"' in text and "Bitte eine ganze Zahl eingeben." in text
    assert 'id="f-entscheidung-error"' in text and "Bitte ausfüllen." in text
    assert 'aria-invalid="true"' in text and "Bitte prüfen Sie Ihre Eingaben" in text
    response = client.post(f"/tasks/{task_id}", data={"entscheidung": "erfunden", "anzahl": "-1"})
    text = response.get_data(as_text=True)
    assert response.status_code == 422 and "Bitte einen der vorgegebenen Werte wählen." in text
    assert "Der Wert muss mindestens 0 sein." in text


def test_already_completed_gives_409_naming_who(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = own_task(mini_db, "offenburg")
    engine.complete_task(mini_db, task_id, {"entscheidung": "selbst", "anzahl": 3}, "offenburg")
    response = login_as("offenburg").post(f"/tasks/{task_id}", data={"entscheidung": "selbst", "anzahl": "3"})
    text = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "bereits erledigt von Offenburg (Gemeindeverwaltung) am" in text


def test_four_eyes_refusal_is_shown_and_post_is_403(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    accounts.save_user(mini_db, "admin", username="doppelrolle", display_name="Dora Doppel", create=True,
                       roles=["Sachbearbeitung", "Dezernatsleitung"], gemeinde_ags=None, password="geheim123")
    answer_all(mini_db)
    (draft,) = inbox.list_tasks(mini_db, "doppelrolle").items
    engine.complete_task(mini_db, draft.id, {"text": "Entwurf"}, "doppelrolle")
    (release,) = inbox.list_tasks(mini_db, "doppelrolle").items
    client = login_as("doppelrolle")
    page = client.get(f"/tasks/{release.id}").get_data(as_text=True)
    assert "Vier-Augen-Prinzip" in page and f'action="/tasks/{release.id}"' not in page  # no form (comments stay)
    response = client.post(f"/tasks/{release.id}", data={"freigabe": "ja"})
    assert response.status_code == 403 and "Vier-Augen-Prinzip" in response.get_data(as_text=True)
    assert login_as("sachbearbeitung").get(f"/tasks/{release.id}").status_code == 404  # not her lane
    assert login_as("dezernat").post(f"/tasks/{release.id}", data={"freigabe": "ja"}).status_code == 303


def test_rows_add_and_remove_without_javascript(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    """Row buttons re-render the form (200) with one row more or less, nothing is submitted."""
    from webapp.web import formdata

    schema = {"type": "object", "properties": {"posten": {"type": "array", "title": "Posten", "items": {
        "type": "object", "properties": {"name": {"type": "string", "title": "Name"}}}}}}
    raw = {"posten.__rows": ["1"], "posten.0.name": ["A"]}
    added = formdata.row_action(raw, "add:posten")
    assert added is not None
    fields = formdata.build_fields(schema, added)
    assert len(fields[0].rows) == 2
    task_id = own_task(mini_db, "offenburg")
    response = login_as("offenburg").post(f"/tasks/{task_id}", data={"_action": "add:posten", "anzahl": "7"})
    assert response.status_code == 200 and 'value="7"' in response.get_data(as_text=True)
    assert inbox.get_task(mini_db, task_id, "offenburg").task.status == "ready"
