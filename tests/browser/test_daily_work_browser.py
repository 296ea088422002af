"""The administrators' daily work in headless Chromium on the REAL grant round (issue 17): the steps before
each part are driven through the engine (tests/web/grant_round.py), the part itself through the browser.
Screenshots go to tests/output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_browser import login, shot
from tests.web import grant_round as gr
from workflows import inbox
from workflows.storage.db import Database

pytestmark = pytest.mark.browser


@pytest.mark.timeout(180)
def test_bescheid_rows_are_added_before_it_is_recorded(page: Any, live_db: Database, output_dir: Path) -> None:
    """'+ Zeile hinzufügen' on the Bescheid adds a row and records nothing; the Bescheid then holds both people."""
    iid = gr.drive(live_db, "bescheid")
    assert [m.name for m in inbox.message_forms(live_db, iid, gr.SB)] == ["bewilligungsbescheid"]
    login(page, gr.SB)
    page.goto(f"/instances/{iid}")
    form = page.locator("form#message-bewilligungsbescheid")
    form.get_by_label("Aktenzeichen").fill("RPS15.2-1")
    form.get_by_label("Datum des Bescheids").fill("2018-05-15")
    form.get_by_label("Name, Zeile 1").fill("A kinzigtal-01")
    form.get_by_label("VZÄ, Zeile 1").fill("1")
    form.get_by_label("Betrag, Zeile 1").fill("128.000,00")
    form.get_by_role("button", name="+ Zeile hinzufügen").click()

    form = page.locator("form#message-bewilligungsbescheid")
    assert form.get_by_label("Name, Zeile 2").input_value() == ""
    assert form.get_by_label("Name, Zeile 1").input_value() == "A kinzigtal-01"
    assert form.get_by_label("Aktenzeichen").input_value() == "RPS15.2-1"
    assert gr.ready(live_db, gr.SB, "kuerzung_entscheiden") == []  # nothing recorded
    assert "Nachricht erfasst" not in page.locator(".flashes").all_inner_texts()
    form.get_by_label("Name, Zeile 2").fill("A kinzigtal-02")
    form.get_by_label("VZÄ, Zeile 2").fill("1")
    form.get_by_label("Betrag, Zeile 2").fill("128.000,00")
    shot(page, output_dir, "30-bescheid-two-rows")
    form.get_by_role("button", name="Nachricht erfassen").click()
    assert "erfasst" in page.locator(".flashes").inner_text()
    bescheid = inbox.get_instance(live_db, iid, gr.SB).data["bewilligungsbescheid"]
    assert [p["name"] for p in bescheid["personen"]] == ["A kinzigtal-01", "A kinzigtal-02"]
    assert [p["betrag"] for p in bescheid["personen"]] == [128000.0, 128000.0]
