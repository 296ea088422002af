"""End-to-end in headless Chromium: log in, answer, see errors, diagram, vote. Screenshots in tests/output/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from workflows import engine
from workflows.db import Database

pytestmark = pytest.mark.browser
START = {"landkreis": "ortenaukreis", "frist": "2030-01-31"}


def login(page: Any, username: str, password: str = "demo") -> None:
    page.goto("/login")
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort").fill(password)
    page.get_by_role("button", name="Anmelden").click()
    page.wait_for_url("**/tasks")


def test_gemeinde_answers_and_task_leaves_inbox(page: Any, live_db: Database, output_dir: Path) -> None:
    engine.start_instance(live_db, "mini_round", "Ortenaukreis 2030", "sachbearbeitung", START)
    page.goto("/login")
    page.screenshot(path=str(output_dir / "web-01-login.png"), full_page=True)
    login(page, "offenburg")
    page.screenshot(path=str(output_dir / "web-02-inbox-gemeinde.png"), full_page=True)
    rows = page.locator("table.task-table tbody tr")
    assert rows.count() == 1
    page.get_by_role("link", name="Rückmeldung Offenburg").click()
    assert page.get_by_role("heading", name="Rückmeldung Offenburg").is_visible()
    page.screenshot(path=str(output_dir / "web-03-task-form.png"), full_page=True)

    # a validation error from the process rule is shown beside the field, the input kept
    page.get_by_label("Entscheidung").select_option("uebertragen")
    page.get_by_label("Anzahl Personen").fill("5000")
    page.get_by_label("Ansprechperson").fill("Frau Sommer")
    page.get_by_role("button", name="Absenden und Aufgabe erledigen").click()
    error = page.locator("#f-anzahl-error")
    assert "Höchstens 1000 Personen." in error.inner_text()
    assert page.get_by_label("Anzahl Personen").input_value() == "5000"
    assert page.get_by_label("Ansprechperson").input_value() == "Frau Sommer"
    page.screenshot(path=str(output_dir / "web-04-task-validation-error.png"), full_page=True)

    page.get_by_label("Anzahl Personen").fill("120")
    page.get_by_role("button", name="Absenden und Aufgabe erledigen").click()
    page.wait_for_url("**/tasks")
    assert "Erledigt: Rückmeldung Offenburg." in page.locator(".flashes").inner_text()
    assert page.locator("table.task-table").count() == 0
    assert "Keine offenen Aufgaben" in page.content()
    page.screenshot(path=str(output_dir / "web-05-inbox-empty.png"), full_page=True)


def test_sachbearbeitung_sees_diagram_with_current_step(page: Any, live_db: Database, output_dir: Path) -> None:
    iid = engine.start_instance(live_db, "mini_round", "Ortenaukreis 2030", "sachbearbeitung", START).instance_id
    login(page, "sachbearbeitung")
    page.get_by_role("link", name="Vorgänge").click()
    page.screenshot(path=str(output_dir / "web-06-instances.png"), full_page=True)
    page.get_by_role("link", name="Ortenaukreis 2030").click()
    page.wait_for_url(f"**/instances/{iid}")
    active = page.locator("svg.bpmn-diagram g.is-active[data-element-id='answer']")
    assert active.count() == 1
    assert page.locator("svg.bpmn-diagram g.is-done[data-element-id='load']").count() == 1
    page.screenshot(path=str(output_dir / "web-07-instance-diagram.png"), full_page=True)


def test_committee_member_votes_and_chair_sees_tally(page: Any, live_db: Database, output_dir: Path) -> None:
    """The vote of the test process `vote_round` (tests/web/fixtures/vote), same form as the real one."""
    iid = engine.start_instance(live_db, "vote_round", "Sitzung des Verwaltungsausschusses", "sachbearbeitung",
                                {"betreff": "Integrationsmanagement 2026-2027"}).instance_id
    login(page, "ausschuss2")
    page.get_by_role("link", name="Abstimmung: Integrationsmanagement 2026-2027").click()
    page.screenshot(path=str(output_dir / "web-08-vote-form.png"), full_page=True)
    page.get_by_label("Zustimmung").check()
    page.get_by_role("button", name="Absenden und Aufgabe erledigen").click()
    page.wait_for_url("**/tasks")
    assert "Keine offenen Aufgaben" in page.content()
    page.get_by_role("button", name="Abmelden").click()

    login(page, "ausschuss1")  # the chair
    page.goto(f"/instances/{iid}")
    tally = page.locator(".tally")
    assert "1 von 5 Stimmen abgegeben" in tally.inner_text()
    assert tally.locator(".tally-ja dd").inner_text() == "1"
    page.screenshot(path=str(output_dir / "web-09-vote-tally.png"), full_page=True)
