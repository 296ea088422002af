"""Working together in headless Chromium on the REAL grant round: Vertretung, Übernehmen, comments with a
mention, the search and the Team overview. Screenshots at 1280 and 375 px go to tests/output/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_browser import login, logout
from tests.web import grant_round as gr
from workflows import inbox
from workflows.identity import authz, users
from workflows.storage.db import Database

pytestmark = pytest.mark.browser


def shots(page: Any, output_dir: Path, name: str) -> None:
    """The page at 1280 px and at 375 px (phone), full height."""
    for width in (1280, 375):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(output_dir / f"collab-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.timeout(240)
def test_deputy_claims_comments_and_is_found(page: Any, live_db: Database, output_dir: Path) -> None:
    iid = gr.drive(live_db, "freigabe")  # the Beschlussvorlage is drafted by sachbearbeitung
    with live_db.write() as session:
        users.upsert_user(session, "hofmann", "Lukas Hofmann", ["Sachbearbeitung"], users.hash_password("demo"))
    (release,) = inbox.list_tasks(live_db, gr.DZ).items

    # the Dezernatsleitung goes on holiday and names a deputy on the account page
    login(page, gr.DZ)
    page.get_by_role("link", name="Vertretung").click()
    today = authz.today()
    page.get_by_label("Vertretung", exact=True).select_option(label="Lukas Hofmann")
    page.get_by_label("Von").fill(today.isoformat())
    page.get_by_label("Bis (einschließlich)").fill((today - timedelta(days=1)).isoformat())
    page.get_by_role("button", name="Vertretung eintragen").click()
    assert page.locator(".field-error").inner_text().endswith("Bis: Das Ende darf nicht vor dem Beginn liegen.")
    assert page.get_by_label("Vertretung", exact=True).input_value() == "hofmann"  # input kept
    page.get_by_label("Bis (einschließlich)").fill((today + timedelta(days=14)).isoformat())
    page.get_by_label("Anlass").select_option("Urlaub")
    page.get_by_role("button", name="Vertretung eintragen").click()
    assert "Lukas Hofmann vertritt Sie vom" in page.locator(".flashes").inner_text()
    shots(page, output_dir, "01-vertretung")
    logout(page)

    # the deputy sees the release marked "Vertretung", takes it over and asks the drafter
    login(page, "hofmann")
    row = page.locator("table.task-table tbody tr", has_text=release.title)
    assert "Vertretung" in row.text_content() and "für Michael Brandt" in row.text_content()
    shots(page, output_dir, "02-inbox-vertretung")
    row.get_by_role("link", name=release.title).click()
    assert "in Vertretung für Michael Brandt" in page.locator(".claim-panel").inner_text()
    page.get_by_role("button", name="Übernehmen").click()
    assert "Sie bearbeiten diese Aufgabe seit" in page.locator(".claim-panel").inner_text()
    page.get_by_label("Neuer Kommentar").fill("Rückfrage zur Anlage 2, @offenburg")
    page.get_by_role("button", name="Kommentar speichern").click()
    assert "@offenburg (Offenburg (Gemeindeverwaltung)) darf diesen Kommentar nicht lesen" in \
        page.locator(".field-error").inner_text()  # a Gemeinde does not read the Dezernat's task
    assert page.get_by_label("Kommentar").input_value() == "Rückfrage zur Anlage 2, @offenburg"
    shots(page, output_dir, "03a-comment-refused")
    page.get_by_label("Kommentar").fill("Rückfrage zur Anlage 2, @sachbearbeitung")
    page.get_by_role("button", name="Kommentar speichern").click()
    assert "Kommentar gespeichert." in page.locator(".flashes").inner_text()
    assert "Rückfrage zur Anlage 2, @sachbearbeitung" in page.locator("#kommentare").inner_text()
    for width in (1280, 375):  # the task's own form first, the comments after it
        page.set_viewport_size({"width": width, "height": 900})
        assert page.locator("form.task-form").bounding_box()["y"] < page.locator("#kommentare").bounding_box()["y"]
    shots(page, output_dir, "03-task-claimed-commented")
    logout(page)

    # the drafter is notified, finds the comment by search, and cannot release it herself (four-eyes) anyway
    login(page, gr.SB)
    page.get_by_role("link", name="Benachrichtigungen").click()
    assert "Erwähnung im Vorgang Ortenaukreis 2017-2018" in page.locator("main").inner_text()
    page.get_by_role("searchbox", name="Suche").fill("rückfrage anlage")
    page.get_by_role("button", name="Suchen", exact=True).first.click()
    hits = page.locator("table.data-table tbody tr")
    assert hits.count() == 1 and "Kommentar" in hits.first.inner_text()
    shots(page, output_dir, "04-search")
    hits.first.get_by_role("link").click()
    assert "Rückfrage zur Anlage 2" in page.locator("#kommentare").inner_text()
    history = page.locator("section[aria-labelledby=history-heading]").inner_text()
    assert "Aufgabe übernommen" in history and "Kommentar" in history
    shots(page, output_dir, "05-round-comments-history")
    page.goto("/suche?q=kehl")
    assert "Keine Treffer" in page.locator("main").inner_text()  # Kehl's answers are done: no inbox entries
    logout(page)

    # the Dezernatsleitung's Team overview shows who works on what
    login(page, gr.DZ)
    page.get_by_role("link", name="Team").click()
    row = page.locator("table.task-table tbody tr", has_text=release.title)
    assert "Lukas Hofmann" in row.inner_text()
    shots(page, output_dir, "06-team")
    row.get_by_role("link", name="Zuweisen").click()
    assert "Zurzeit in Bearbeitung von Lukas Hofmann" in page.locator("main").inner_text()
    page.get_by_role("button", name="Zuweisen", exact=True).click()  # nobody chosen: refused beside the field
    field = page.locator(".field", has=page.get_by_label("Zuweisen an"))
    assert "Bitte wählen Sie aus, wem Sie die Aufgabe zuweisen." in field.inner_text()
    assert page.get_by_label("Zuweisen an").get_attribute("aria-invalid") == "true"
    shots(page, output_dir, "07-assign-refused")
    assert iid
