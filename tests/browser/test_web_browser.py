"""End-to-end in headless Chromium on the REAL grant round (bpmn/grant_round.bpmn): the steps before each
part are driven through the engine (tests/web/grant_round.py), the part itself through the browser.
Screenshots go to tests/output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.web import grant_round as gr
from workflows import inbox
from workflows.storage.db import Database

pytestmark = pytest.mark.browser
SUBMIT = "Absenden und Aufgabe erledigen"


def login(page: Any, username: str, password: str = "demo") -> None:
    page.goto("/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/tasks")


def logout(page: Any) -> None:
    page.get_by_role("button", name="Abmelden").click()
    page.wait_for_url("**/login")


def press(page: Any, button: Any) -> None:
    """Click a link or a submit button and wait for the page it loads: counting or evaluating right after
    a plain click reads the old page, or no document at all mid-navigation."""
    with page.expect_navigation():
        button.click()


def in_view(page: Any, locator: Any) -> bool:
    """Whether the element lies within the page's width (nothing to scroll sideways to reach it)."""
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"]


def shot(page: Any, output_dir: Path, name: str) -> None:
    page.screenshot(path=str(output_dir / f"web-{name}.png"), full_page=True)


@pytest.mark.timeout(120)
def test_gemeinde_opt_in_refused_then_transferred(page: Any, live_db: Database, output_dir: Path) -> None:
    gr.open_round(live_db)
    page.goto("/login")
    shot(page, output_dir, "01-login")
    login(page, gr.SMALL_GEMEINDE)  # Nordrach, with 20 Geflüchtete too few for an own application
    shot(page, output_dir, "02-inbox-gemeinde")
    assert page.locator("table.task-table tbody tr").count() == 1
    page.get_by_role("link", name="Rückmeldung Nordrach").click()
    form = page.locator("form.task-form")
    form.get_by_label("Eigene Durchführung").check()
    form.get_by_label("Geflüchtete in der Anschlussunterbringung").fill("20")
    form.get_by_label("Ansprechperson").fill("Frau Roth")
    shot(page, output_dir, "03-rueckmeldung-form")
    form.get_by_role("button", name=SUBMIT).click()

    error = page.locator("#f-anzahl_gefluechtete-error")  # beside the field, and in the summary at the top
    assert "51.000,00" in error.inner_text() and "ab 65 Personen" in error.inner_text()
    assert "Mindestbetrag" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Ansprechperson").input_value() == "Frau Roth"
    assert page.get_by_label("Geflüchtete in der Anschlussunterbringung").input_value() == "20"
    shot(page, output_dir, "04-rueckmeldung-refused")

    page.get_by_label("Übertragung an den Landkreis").check()
    page.get_by_role("button", name=SUBMIT).click()
    page.wait_for_url("**/tasks")
    assert "Erledigt:" in page.locator(".flashes").inner_text()
    assert page.locator("table.task-table").count() == 0 and "Keine offenen Aufgaben" in page.content()
    shot(page, output_dir, "05-inbox-empty")
    assert inbox.list_tasks(live_db, gr.SMALL_GEMEINDE).total == 0


@pytest.mark.timeout(150)
def test_sachbearbeitung_sees_round_with_current_step(page: Any, live_db: Database, output_dir: Path) -> None:
    iid = gr.drive(live_db, "bemessung")
    login(page, "sachbearbeitung")
    page.get_by_role("link", name="Vorgänge").click()
    shot(page, output_dir, "06-instances")
    page.get_by_role("link", name=gr.BUSINESS_KEY).click()
    page.wait_for_url(f"**/instances/{iid}")
    active = page.locator("svg.bpmn-diagram g.is-active[data-element-id='stellenbemessung_pruefen']")
    assert active.count() == 1 and active.is_visible()
    assert page.locator("svg.bpmn-diagram g.is-done[data-element-id='runde_eroeffnen']").count() == 1
    assert "Aktive Schritte: Stellenbemessung prüfen" in page.content()
    box = page.locator(".diagram-scroll").first.bounding_box()
    step = active.bounding_box()  # the diagram is scrolled so that the current step is in view
    assert box and step and box["x"] <= step["x"] <= box["x"] + box["width"]
    table = page.locator("section", has=page.get_by_role("heading", name="Rückmeldungen der Gemeinden"))
    assert table.locator("tbody tr").count() == 51
    assert "Übertragung an den Landkreis" in table.inner_text() and "uebertragung" not in table.inner_text()
    shot(page, output_dir, "07-instance-diagram")

    page.goto("/tasks")
    page.get_by_role("link", name="Stellenbemessung prüfen").click()
    shares = page.locator("table.rows-table")
    assert shares.locator("tbody tr").count() == 3 and "Summe" in shares.locator("tfoot").inner_text()
    assert page.get_by_role("button", name="+ Zeile hinzufügen").count() == 0
    shot(page, output_dir, "08-stellenbemessung")


NO_SIDEWAYS = ("document.documentElement.scrollWidth <= window.innerWidth && [...document.querySelectorAll("
               "'.table-scroll')].every(e => e.scrollWidth <= e.clientWidth)")
CELL_LABEL = "e => getComputedStyle(e, '::before').content"


@pytest.mark.timeout(150)
def test_the_round_list_and_the_inbox_say_what_runs_and_become_cards_on_a_phone(
        page: Any, live_db: Database, output_dir: Path) -> None:
    iid = gr.open_round(live_db)
    login(page, "sachbearbeitung")
    press(page, page.get_by_role("link", name="Vorgänge"))
    row = page.locator("main table tbody tr", has=page.get_by_role("link", name=gr.BUSINESS_KEY))
    assert "Abfrage der Gemeinde in 51 Teilvorgängen" in row.inner_text()  # not '–' while the parts run
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate(NO_SIDEWAYS)
    assert row.locator("td[data-label='Aktueller Schritt']").evaluate(CELL_LABEL) == '"Aktueller Schritt: "'
    shot(page, output_dir, "06b-instances-375")
    page.set_viewport_size({"width": 1280, "height": 900})
    press(page, row.get_by_role("link", name=gr.BUSINESS_KEY))
    assert "Abfrage der Gemeinde in 51 Teilvorgängen" in page.locator(".current-step").inner_text()
    assert page.url.endswith(f"/instances/{iid}")
    logout(page)

    login(page, "kehl")
    page.set_viewport_size({"width": 375, "height": 800})
    card = page.locator("table.task-table tbody tr")
    assert card.count() == 1 and page.evaluate(NO_SIDEWAYS)
    assert card.locator("td[data-label='Fällig']").evaluate(CELL_LABEL) == '"Fällig: "'
    assert in_view(page, card.get_by_role("link", name="Rückmeldung Kehl"))
    shot(page, output_dir, "02b-inbox-gemeinde-375")


@pytest.mark.timeout(150)
def test_committee_member_votes_and_chair_sees_tally(page: Any, live_db: Database, output_dir: Path) -> None:
    iid = gr.drive(live_db, "abstimmung")
    login(page, "ausschuss2")
    page.locator("a.task-link").first.click()
    pdf = page.locator("a.doc-link", has_text="Integrationsmanagement")
    assert pdf.count() == 1 and "beschlussvorlage" in pdf.inner_text()
    download = page.request.get(pdf.get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "application/pdf" and download.body()[:5] == b"%PDF-"
    shot(page, output_dir, "09-vote-form")
    page.get_by_label("Zustimmung", exact=True).check()
    page.get_by_role("button", name=SUBMIT).click()
    page.wait_for_url("**/tasks")
    assert "Keine offenen Aufgaben" in page.content()
    logout(page)

    login(page, "ausschuss1")  # the chair
    page.goto(f"/instances/{iid}")
    tally = page.locator(".tally")
    assert "1 von 5 Stimmen abgegeben" in tally.inner_text()
    assert tally.locator(".tally-ja dd").inner_text() == "1"
    assert tally.locator(".tally-open dd").inner_text() == "4"
    shot(page, output_dir, "10-vote-tally")


@pytest.mark.timeout(900)  # through the postings: 34 since the demo tells the 32-posts story
def test_forms_of_the_real_round_look_right(page: Any, live_db: Database, output_dir: Path) -> None:
    """A tour through the later forms: long texts, read-only values, repeated rows, the Personalrat."""
    iid = gr.drive(live_db, "vorlage")
    login(page, "sachbearbeitung")
    page.goto(f"/tasks/{gr.one(live_db, gr.SB, 'beschlussvorlage_entwerfen').id}")
    assert page.get_by_label("Hinweis der Dezernatsleitung").count() == 0  # empty read-only: not shown
    sachverhalt = page.get_by_label("Sachverhalt")
    assert sachverhalt.evaluate("e => e.scrollHeight <= e.clientHeight + 2")  # the whole text is visible
    shot(page, output_dir, "11-beschlussvorlage")
    gr.draft(live_db)
    gr.release(live_db)
    gr.vote(live_db)
    page.goto(f"/tasks/{gr.one(live_db, gr.SB, 'antrag_vervollstaendigen').id}")
    assert page.locator("output#f-planungsrahmen").inner_text().endswith("€")
    shot(page, output_dir, "12-antrag")
    gr.apply(live_db)
    logout(page)

    login(page, "personalamt")
    shot(page, output_dir, "13-inbox-personalamt")
    first = gr.ready(live_db, gr.PA, "ausschreibung_entwerfen")[0]
    page.goto(f"/tasks/{first.id}")
    assert page.locator(".stelle-card").count() == 1
    shot(page, output_dir, "14-stellenausschreibung")
    gr.post(live_db)
    page.goto(f"/tasks/{gr.ready(live_db, gr.PA, 'bewerbungen_erfassen')[0].id}")
    assert "betrifft die Stelle" in page.content()
    page.get_by_label("Name, Zeile 1").fill("Alexandra Beispiel")
    press(page, page.get_by_role("button", name="+ Zeile hinzufügen"))
    page.get_by_label("Name, Zeile 2").fill("Samuel Muster")
    page.get_by_label("Schwerbehindert / gleichgestellt, Zeile 2").check()
    page.get_by_label("Qualifikation, Zeile 1").select_option(index=1)
    page.get_by_label("Qualifikation, Zeile 2").select_option(index=2)
    page.get_by_label("Einladen, Zeile 1").check()
    page.get_by_role("button", name=SUBMIT).click()
    assert "§ 165 SGB IX" in page.locator(".error-summary").inner_text()
    assert page.get_by_label("Name, Zeile 2").input_value() == "Samuel Muster"
    shot(page, output_dir, "15-bewerbungen-refused")
    gr.applications(live_db)
    gr.choose_first(live_db)
    logout(page)

    login(page, "personalrat")
    page.locator("a.task-link").first.click()
    assert "S 11b" in page.locator("output#f-entgeltgruppe").inner_text()
    shot(page, output_dir, "16-personalrat")
    logout(page)
    login(page, "sachbearbeitung")
    page.goto(f"/instances/{iid}")
    shot(page, output_dir, "17-instance-late")
    page.goto("/documents")
    shot(page, output_dir, "18-documents")
