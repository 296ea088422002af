"""Records in headless Chromium on the REAL grant round: attachments, overview with charts, export, print view,
Überfällig; screenshots at 1280 and 375 px in tests/output/ (web-40-* ...)."""

from __future__ import annotations

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy import select, update

from tests.browser.test_web_browser import login, press
from tests.records.files import pdf_bytes
from tests.web import grant_round as gr
from workflows import engine, inbox, jobs
from workflows.storage.db import Database
from workflows.storage.models import TaskRow, utcnow

pytestmark = pytest.mark.browser
WIDTHS = (1280, 375)


def shots(page: Any, output_dir: Path, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(output_dir / f"web-{name}-{width}.png"), full_page=True)
        overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
        assert overflow <= 1, f"{name} at {width} px scrolls sideways by {overflow} px"
    page.set_viewport_size({"width": 1280, "height": 900})


def _spread_answers(db: Database, iid: int) -> None:
    """The answers as if they had come in over the last two weeks (the engine stamps them now)."""
    with db.write() as session:
        ids = session.scalars(select(TaskRow.id).where(TaskRow.element_id == "rueckmeldung_abgeben",
                                                       TaskRow.status == "completed").order_by(TaskRow.id)).all()
        for n, task_id in enumerate(ids):
            session.execute(update(TaskRow).where(TaskRow.id == task_id)
                            .values(completed_at=utcnow() - timedelta(days=14 - (n * n) // 200)))


@pytest.mark.timeout(240)
def test_attachments_overview_export_and_print_of_a_whole_round(page: Any, live_db: Database,
                                                                 output_dir: Path, tmp_path: Path) -> None:
    iid = gr.drive(live_db, "bescheid")
    hired = [b for b in inbox.get_instance(live_db, iid, gr.SB).data["besetzungen"] if b["status"] == "besetzt"]
    engine.deliver_message(live_db, iid, "bewilligungsbescheid", {
        "aktenzeichen": "RPS15.2-1", "datum": "2018-05-15",
        "personen": [{"name": p["name"], "vza": p["vza"], "betrag": 118000.0 * p["vza"]} for p in hired]}, gr.SB)
    jobs.run_worker(live_db, once=True)
    _spread_answers(live_db, iid)
    login(page, gr.SB)

    page.goto(f"/instances/{iid}")
    page.get_by_role("link", name="Anhang hochladen").click()
    (tmp_path / "notiz.pdf").write_text("kein PDF, nur Text")
    page.get_by_label("Art des Schriftstücks").select_option(label="Bescheid des Regierungspräsidiums")
    page.locator("#f-datei").set_input_files(str(tmp_path / "notiz.pdf"))
    page.get_by_role("button", name="Hochladen").click()
    assert "Dieser Dateityp ist nicht erlaubt" in page.locator("#f-datei-error, .field-error").first.inner_text()
    shots(page, output_dir, "40-anhang-abgelehnt")
    (tmp_path / "Bescheid RP Stuttgart.pdf").write_bytes(pdf_bytes())
    page.get_by_label("Art des Schriftstücks").select_option(label="Bescheid des Regierungspräsidiums")
    page.get_by_label("Bezeichnung").fill("Bewilligungsbescheid vom 15.05.2018")
    page.locator("#f-datei").set_input_files(str(tmp_path / "Bescheid RP Stuttgart.pdf"))
    page.get_by_role("button", name="Hochladen").click()
    assert "gespeichert" in page.locator(".flashes").inner_text()
    link = page.get_by_role("link", name="Bewilligungsbescheid vom 15.05.2018", exact=True)
    download = page.request.get(link.get_attribute("href"))
    assert download.body() == pdf_bytes() and download.headers["x-content-type-options"] == "nosniff"
    shots(page, output_dir, "41-anhaenge")
    # a wrong upload is deleted after a German question on its own page (works without JavaScript)
    page.get_by_label("Art des Schriftstücks").select_option(label="Sonstiges Schriftstück")
    page.get_by_label("Bezeichnung").fill("Versehentlich hochgeladen")
    page.locator("#f-datei").set_input_files(str(tmp_path / "Bescheid RP Stuttgart.pdf"))
    page.get_by_role("button", name="Hochladen").click()
    page.get_by_role("link", name="„Versehentlich hochgeladen“ löschen").click()
    assert "Soll der Anhang „Versehentlich hochgeladen“" in page.locator("main").inner_text()
    shots(page, output_dir, "41b-anhang-loeschen")
    page.get_by_role("button", name="Ja, endgültig löschen").click()
    assert "„Versehentlich hochgeladen“ (Bescheid RP Stuttgart.pdf) gelöscht." in page.locator(".flashes").inner_text()
    assert page.get_by_role("link", name="Versehentlich hochgeladen").count() == 0
    page.goto(f"/instances/{iid}")
    history = page.locator("section[aria-labelledby=history-heading]").inner_text()
    assert "Anhang gelöscht" in history and "Anhang abgerufen" in history  # who read and deleted what

    page.goto(f"/instances/{iid}")
    page.get_by_role("link", name="Übersicht mit Diagrammen").click()
    charts = page.locator("svg.chart-wide")
    assert charts.count() == 4
    assert (page.locator("svg.chart title").first.text_content() or "").startswith("Eingegangene Antworten")
    text = page.locator("main").inner_text()
    assert "50 von 51 Gemeinden haben geantwortet" in text and "32,00 VZÄ zugeteilt, 32,00 VZÄ besetzt" in text
    assert "Bewilligt: 92" in text  # 118.000 of 128.000 € per VZÄ
    shots(page, output_dir, "42-uebersicht")

    page.goto(f"/instances/{iid}/export")
    xlsx = page.request.get(page.get_by_role("link", name="Alle Tabellen als Excel-Arbeitsmappe").get_attribute("href"))
    book = load_workbook(io.BytesIO(xlsx.body()))
    assert {"Zuteilung je Regionalteam", "Stellen", "Aufgaben"} <= set(book.sheetnames)
    teams = book["Zuteilung je Regionalteam"]
    assert teams["A1"].value == "Regionalteam" and teams["D2"].value == 16.25 and "€" in teams["F2"].number_format
    shots(page, output_dir, "43-export")

    page.goto(f"/instances/{iid}/druck")
    assert "Protokoll" in page.locator("main").inner_text()
    shots(page, output_dir, "44-druckansicht")
    page.emulate_media(media="print")
    page.pdf(path=str(output_dir / "web-44-druckansicht.pdf"), format="A4", print_background=True)
    page.emulate_media(media="screen")


@pytest.mark.timeout(180)
def test_ueberfaellig_for_staff_and_for_the_gemeinde_itself(page: Any, live_db: Database, output_dir: Path) -> None:
    gr.open_round(live_db)
    gr.answer(live_db)  # one Gemeinde stays silent
    with live_db.write() as session:  # its Rückmeldefrist has passed (the deadline timer has not fired yet)
        session.execute(update(TaskRow).where(TaskRow.status == "ready", TaskRow.element_id == "rueckmeldung_abgeben")
                        .values(due_at=utcnow() - timedelta(days=2)))
        silent = session.scalars(select(TaskRow.assignee_gemeinde).where(
            TaskRow.status == "ready", TaskRow.element_id == "rueckmeldung_abgeben")).all()
    assert len(silent) == 1
    login(page, gr.SB)
    press(page, page.get_by_role("link", name="Überfällig"))
    rows = page.locator("main table tbody tr")
    assert rows.count() == 1 and "2 Tagen" in (rows.first.text_content() or "")
    shots(page, output_dir, "45-ueberfaellig")
    page.get_by_role("button", name="Abmelden").click()
    login(page, "durbach")
    press(page, page.get_by_role("link", name="Überfällig"))
    assert page.locator("main table tbody tr").count() == 1
    press(page, page.get_by_role("link", name="Rückmeldung Durbach"))
    assert page.locator(".page-head .badge-overdue").count() == 1
    page.get_by_role("button", name="Abmelden").click()
    login(page, "kehl")
    press(page, page.get_by_role("link", name="Überfällig"))
    assert "Keine überfälligen Aufgaben." in page.locator("main").inner_text()
