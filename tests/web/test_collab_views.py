"""The collaboration pages over HTTP: Suche, Übernehmen/Zurückgeben/Zuweisen, Kommentare, Vertretung."""

from __future__ import annotations

from datetime import timedelta

from tests.web.conftest import LoginAs, answer_all
from workflows import engine, inbox
from workflows.identity import authz, users
from workflows.storage.db import Database


def draft_task(db: Database) -> int:
    answer_all(db)
    (task,) = inbox.list_tasks(db, "sachbearbeitung").items
    return task.id


def colleague(db: Database) -> str:
    with db.write() as session:
        users.upsert_user(session, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"], "x", email="h@example.org")
    return "hofmann"


def test_claim_and_give_back_on_the_task_page(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = draft_task(mini_db)
    other = login_as(colleague(mini_db))
    me = login_as("sachbearbeitung")
    page = me.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "Niemand hat diese Aufgabe übernommen." in page and ">Übernehmen</button>" in page
    done = me.post(f"/tasks/{task_id}/uebernehmen", follow_redirects=True).get_data(as_text=True)
    assert "Sie haben die Aufgabe übernommen." in done and "Sie bearbeiten diese Aufgabe seit" in done
    seen = other.get(f"/tasks/{task_id}").get_data(as_text=True)
    assert "In Bearbeitung von <strong>Sabine Keller</strong>" in seen and ">Übernehmen</button>" not in seen
    assert "Sabine Keller hat diese Aufgabe am" in seen  # the refusal instead of the form
    assert "In Bearbeitung: Sabine Keller" in other.get("/tasks").get_data(as_text=True)
    refused = other.post(f"/tasks/{task_id}", data={"text": "Mein Entwurf"})
    assert refused.status_code == 403 and "übernommen" in refused.get_data(as_text=True)
    twice = other.post(f"/tasks/{task_id}/uebernehmen", follow_redirects=True).get_data(as_text=True)
    assert "Sabine Keller hat diese Aufgabe bereits übernommen." in twice
    back = me.post(f"/tasks/{task_id}/zurueckgeben", follow_redirects=True).get_data(as_text=True)
    assert "Die Aufgabe ist zurückgegeben" in back
    assert other.post(f"/tasks/{task_id}", data={"text": "Mein Entwurf"}).status_code == 303
    history = me.get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Aufgabe übernommen" in history and "Aufgabe zurückgegeben" in history


def _assign_field(html: str) -> str:
    """The "Zuweisen an" field of the assign page (its label to the end of its select)."""
    start = html.index('<div class="field')
    return html[start:html.index("</select>", start)]


def test_team_lead_assigns(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = draft_task(mini_db)
    colleague(mini_db)
    lead = login_as("dezernat")
    assert lead.get(f"/tasks/{task_id}").status_code == 404  # not in the lead's own inbox ...
    team = lead.get("/team").get_data(as_text=True)  # ... but in the team's
    assert ">Team</a>" in team and "Entwurf schreiben" in team and "niemand" in team
    page = lead.get(f"/tasks/{task_id}/zuweisen").get_data(as_text=True)
    assert 'name="username"' in page and ">Lukas Hofmann</option>" in page and "Jana Vogt" not in page
    empty = lead.post(f"/tasks/{task_id}/zuweisen", data={"username": ""})
    assert empty.status_code == 422 and "Bitte wählen Sie aus" in _assign_field(empty.get_data(as_text=True))
    bad = lead.post(f"/tasks/{task_id}/zuweisen", data={"username": "personalamt"})  # a person not offered
    field = _assign_field(bad.get_data(as_text=True))
    assert bad.status_code == 422 and "Jana Vogt kann diese Aufgabe nicht erledigen" in field
    assert 'aria-invalid="true"' in field and "Lukas Hofmann" in field  # beside the field, the choice offered again
    gone = lead.post(f"/tasks/{task_id}/zuweisen", data={"username": "niemand"})
    assert gone.status_code == 422
    assert "Unbekannter oder gesperrter Benutzer" in _assign_field(gone.get_data(as_text=True))
    ok = lead.post(f"/tasks/{task_id}/zuweisen", data={"username": "hofmann"}, follow_redirects=True)
    text = ok.get_data(as_text=True)
    assert "Die Aufgabe ist Lukas Hofmann zugewiesen" in text and "(zugewiesen)" in text
    assert "Aufgabe zugewiesen: Entwurf" in login_as("hofmann").get("/notifications").get_data(as_text=True)
    staff = login_as("sachbearbeitung")
    assert ">Team</a>" not in staff.get("/tasks").get_data(as_text=True)
    assert staff.get("/team").status_code == 403
    assert staff.get(f"/tasks/{task_id}/zuweisen").status_code == 403
    assert staff.post(f"/tasks/{task_id}/zuweisen", data={"username": "sachbearbeitung"}).status_code == 403
    assert "Hofmann" in staff.get(f"/tasks/{task_id}").get_data(as_text=True)  # unchanged


def test_comments_on_round_and_task_with_errors_kept(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    staff = login_as("sachbearbeitung")
    (own,) = inbox.list_tasks(mini_db, "offenburg").items
    empty = staff.post(f"/instances/{round_id}/kommentare", data={"text": "  "})
    assert empty.status_code == 422 and "Kommentar: Bitte einen Text eingeben." in empty.get_data(as_text=True)
    wrong = staff.post(f"/instances/{round_id}/kommentare", data={"text": "Frage an @offenburg <b>x</b>"})
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "darf diesen Kommentar nicht lesen" in text
    assert "Frage an @offenburg &lt;b&gt;x&lt;/b&gt;</textarea>" in text  # input kept, escaped
    assert staff.post(f"/instances/{round_id}/kommentare", data={"text": "Intern <i>wichtig</i> @dezernat"}
                      ).status_code == 303
    assert staff.post(f"/tasks/{own.id}/kommentare", data={"text": "Bitte begründen, @offenburg"}).status_code == 303
    page = staff.get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Intern &lt;i&gt;wichtig&lt;/i&gt; @dezernat" in page and "Kommentare (2)" in page
    assert "Sichtbar für die Verwaltung, nicht für die Gemeinden." in page
    gemeinde = login_as("offenburg")
    task_page = gemeinde.get(f"/tasks/{own.id}").get_data(as_text=True)
    assert "Bitte begründen, @offenburg" in task_page and "Intern" not in task_page
    assert "Sichtbar für die Verwaltung und die Gemeinde Offenburg." in task_page
    round_page = gemeinde.get(f"/instances/{round_id}").get_data(as_text=True)
    assert "Intern" not in round_page and "Bitte begründen" in round_page
    assert gemeinde.post(f"/instances/{round_id}/kommentare", data={"text": "x"}).status_code == 403
    assert "Erwähnung im Vorgang Testrunde" in gemeinde.get("/notifications").get_data(as_text=True)
    lahr = login_as("lahr")
    assert lahr.post(f"/tasks/{own.id}/kommentare", data={"text": "fremd"}).status_code == 404
    assert "Bitte begründen" not in lahr.get(f"/instances/{round_id}").get_data(as_text=True)


def test_search_page(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    staff = login_as("sachbearbeitung")
    page = staff.get("/suche?q=testrunde").get_data(as_text=True)
    assert "1 Treffer" in page and f'href="/instances/{round_id}"' in page
    assert "Bitte mindestens zwei Buchstaben" in staff.get("/suche?q=%25").get_data(as_text=True)
    assert "Keine Treffer" in staff.get("/suche?q=offenburg").get_data(as_text=True)
    mine = login_as("offenburg").get("/suche?q=r%C3%BCckm+offenb").get_data(as_text=True)
    assert "Rückmeldung Offenburg" in mine and "Lahr" not in mine
    assert 'role="search"' in staff.get("/tasks").get_data(as_text=True)


def test_vertretung_account_page(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    task_id = draft_task(mini_db)
    engine.complete_task(mini_db, task_id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = inbox.list_tasks(mini_db, "dezernat").items
    colleague(mini_db)
    lead = login_as("dezernat")
    assert "Sie haben keine Vertretung eingetragen." in lead.get("/konto/vertretung").get_data(as_text=True)
    today = authz.today()
    bad = lead.post("/konto/vertretung", data={"deputy": "hofmann", "starts_on": today.isoformat(),
                                               "ends_on": (today - timedelta(days=2)).isoformat()})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Bis: Das Ende darf nicht vor dem Beginn liegen." in text
    assert '<option value="hofmann" selected>' in text
    ok = lead.post("/konto/vertretung", data={"deputy": "hofmann", "starts_on": today.isoformat(),
                                              "ends_on": (today + timedelta(days=7)).strftime("%d.%m.%Y"),
                                              "reason": "Urlaub"}, follow_redirects=True)
    assert "Lukas Hofmann vertritt Sie vom" in ok.get_data(as_text=True)
    deputy = login_as("hofmann")
    inbox_page = deputy.get("/tasks").get_data(as_text=True)
    assert release.title in inbox_page and "Vertretung</span>" in inbox_page and "für Michael Brandt" in inbox_page
    assert "Michael Brandt" in deputy.get("/konto/vertretung").get_data(as_text=True)
    assert deputy.post(f"/tasks/{release.id}", data={"freigabe": "ja"}).status_code == 303
    assert "Sie haben keine Vertretung" not in lead.get("/konto/vertretung").get_data(as_text=True)
