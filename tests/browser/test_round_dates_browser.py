"""Opening a round in Chromium: its dates are checked in order, the German message beside the field."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_browser import SUBMIT, login, shot
from tests.web import grant_round as gr
from workflows import engine
from workflows.storage.db import Database

pytestmark = pytest.mark.browser


@pytest.mark.timeout(180)
def test_a_rueckmeldefrist_before_the_stichtag_is_refused_beside_the_field(page: Any, live_db: Database,
                                                                           output_dir: Path) -> None:
    gr.deploy(live_db)
    engine.start_instance(live_db, "grant_round", gr.BUSINESS_KEY, gr.SB)
    login(page, gr.SB)
    page.goto(f"/tasks/{gr.one(live_db, gr.SB, 'runde_eroeffnen').id}")
    assert page.get_by_label("Kosten je Vollzeitstelle und Jahr").input_value() == "72.000,00"
    page.get_by_label("Stichtag der Erhebung").fill("2026-12-20")
    page.get_by_label("Förderzeitraum bis").fill("2027-12-31")
    page.get_by_label("Rückmeldefrist der Gemeinden").fill("2026-12-10")
    page.get_by_role("button", name=SUBMIT).click()
    message = "Die Rückmeldefrist muss nach dem Stichtag (20.12.2026) liegen"
    field = page.locator(".field", has=page.get_by_label("Rückmeldefrist der Gemeinden"))
    assert message in field.inner_text()  # beside its field, the input kept
    assert page.get_by_label("Stichtag der Erhebung").input_value() == "2026-12-20"
    page.set_viewport_size({"width": 1280, "height": 900})
    shot(page, output_dir, "runde-01-datumsfolge-1280")
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, output_dir, "runde-01-datumsfolge-375")
    assert gr.one(live_db, gr.SB, "runde_eroeffnen")  # nothing moved
