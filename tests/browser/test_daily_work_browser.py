"""The administrators' daily work in headless Chromium on the REAL grant round (issue 17): the steps before
each part are driven through the engine (tests/web/grant_round.py), the part itself through the browser.
Screenshots go to tests/output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_browser import login, press, shot
from tests.web import grant_round as gr
from workflows import inbox
from workflows.storage.db import Database

pytestmark = pytest.mark.browser


@pytest.mark.timeout(900)  # the whole round: 34 postings
def test_bescheid_starts_with_the_hired_people_and_rows_are_added_before_it_is_recorded(
        page: Any, live_db: Database, output_dir: Path) -> None:
    """The Bescheid form starts with every hired person; '+ Zeile hinzufügen' adds a row and records nothing."""
    iid = gr.drive(live_db, "bescheid")
    assert [m.name for m in inbox.message_forms(live_db, iid, gr.SB)] == ["bewilligungsbescheid"]
    hired = [b for b in inbox.get_instance(live_db, iid, gr.SB).data["besetzungen"] if b["status"] == "besetzt"]
    login(page, gr.SB)
    page.goto(f"/instances/{iid}")
    current = page.locator(".current-step").inner_text()
    assert "(Nachricht von außen erwartet)" in current and "wartet auf Bescheid abwarten" not in current
    form = page.locator("form#message-bewilligungsbescheid")
    rows = form.locator("table.rows-table tbody tr")
    assert rows.count() == len(hired) == 34  # prefilled from the round's Stellenbesetzungen
    assert form.get_by_label("Name, Zeile 1", exact=True).input_value() == hired[0]["name"]
    assert form.get_by_label("VZÄ, Zeile 3", exact=True).input_value() == f"{hired[2]['vza']:.2f}".replace(".", ",")
    form.get_by_label("Aktenzeichen").fill("RPS15.2-1")
    form.get_by_label("Datum des Bescheids").fill("2018-05-15")
    for i, person in enumerate(hired, start=1):
        form.get_by_label(f"Betrag, Zeile {i}", exact=True).fill(f"{int(128000 * person['vza'])}")
    press(page, form.get_by_role("button", name="+ Zeile hinzufügen"))

    form = page.locator("form#message-bewilligungsbescheid")
    assert form.get_by_label(f"Name, Zeile {len(hired) + 1}", exact=True).input_value() == ""
    assert form.get_by_label("Betrag, Zeile 1", exact=True).input_value() == "128000"
    assert form.get_by_label("Aktenzeichen").input_value() == "RPS15.2-1"
    assert gr.ready(live_db, gr.SB, "kuerzung_entscheiden") == []  # nothing recorded
    assert [m.name for m in inbox.message_forms(live_db, iid, gr.SB)] == ["bewilligungsbescheid"]
    form.get_by_label("Betrag, Zeile 1", exact=True).fill("118.000,00")  # less than applied for
    press(page, form.get_by_role("button", name=f"Entfernen (Zeile {len(hired) + 1})"))  # the empty row goes again
    form = page.locator("form#message-bewilligungsbescheid")
    assert form.locator("table.rows-table tbody tr").count() == len(hired)
    assert form.get_by_label("Betrag, Zeile 1", exact=True).input_value() == "118.000,00"
    shot(page, output_dir, "30-bescheid-rows")
    form.get_by_role("button", name="Nachricht erfassen").click()
    assert "Nachricht „Bewilligungsbescheid des Regierungspräsidiums“ erfasst." in page.locator(".flashes").inner_text()
    bescheid = inbox.get_instance(live_db, iid, gr.SB).data["bewilligungsbescheid"]
    assert [p["name"] for p in bescheid["personen"]] == [h["name"] for h in hired]
    assert bescheid["personen"][0]["betrag"] == 118000.0 and bescheid["personen"][2]["vza"] == hired[2]["vza"]
    assert len(gr.ready(live_db, gr.SB, "kuerzung_entscheiden")) == 1


@pytest.mark.timeout(150)
def test_freigabe_links_the_pdf_it_asks_to_check(page: Any, live_db: Database, output_dir: Path) -> None:
    gr.drive(live_db, "freigabe")
    login(page, gr.DZ)
    page.goto(f"/tasks/{gr.one(live_db, gr.DZ, 'beschlussvorlage_freigeben').id}")
    link = page.locator("output#f-dokument a.doc-link")
    assert link.count() == 1 and link.inner_text().startswith("beschlussvorlage-")
    assert link.inner_text().endswith(".pdf")
    download = page.request.get(link.get_attribute("href"))
    assert download.ok and download.headers["content-type"] == "application/pdf" and download.body()[:5] == b"%PDF-"
    shot(page, output_dir, "31-freigabe-link")
