"""The records pages over HTTP (Flask's client on the real app): attachments, export, overview, overdue, print."""

from __future__ import annotations

import csv
import io

from flask import Flask
from openpyxl import load_workbook

from tests.records.files import pdf_bytes
from tests.web.conftest import LoginAs, answer_all
from workflows.storage.db import Database


def _upload(client, round_id: int, content: bytes, name: str, art: str = "bescheid"):  # type: ignore[no-untyped-def]
    return client.post(f"/instances/{round_id}/anhaenge", content_type="multipart/form-data",
                       data={"art": art, "titel": "", "task_id": "", "datei": (io.BytesIO(content), name)})


def test_upload_download_and_refusals_in_the_browser_forms(login_as: LoginAs, round_id: int) -> None:
    sb = login_as("sachbearbeitung")
    refused = _upload(sb, round_id, b"GIF89a not allowed", "bescheid.pdf")
    assert refused.status_code == 422 and "Dieser Dateityp ist nicht erlaubt" in refused.text
    assert "Noch keine Anhänge." in refused.text
    ok = _upload(sb, round_id, pdf_bytes(), "Bescheid RP.pdf")
    assert ok.status_code == 303
    page = sb.get(f"/instances/{round_id}/anhaenge")
    assert "Bescheid RP.pdf" in page.text
    round_page = sb.get(f"/instances/{round_id}")
    assert "Bescheid des Regierungspräsidiums" in round_page.text and "Übersicht mit Diagrammen" in round_page.text
    link = round_page.text.split('href="/anhaenge/')[1].split('"')[0]
    download = sb.get(f"/anhaenge/{link}")
    assert download.data == pdf_bytes() and download.mimetype == "application/pdf"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Disposition"].startswith("attachment;")
    assert login_as("offenburg").get(f"/anhaenge/{link}").status_code == 404
    bewerbung = _upload(sb, round_id, pdf_bytes(), "b.pdf", art="bewerbung")
    assert bewerbung.status_code == 403 and "Personalamt oder Personalrat" in bewerbung.text


def test_an_upload_above_the_limit_is_refused_in_german(app: Flask, login_as: LoginAs, round_id: int,
                                                        monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GRANTFLOW_ATTACHMENT_MAX_MB", "1")
    from workflows import settings

    settings.load()
    try:
        big = _upload(login_as("sachbearbeitung"), round_id, pdf_bytes() + b" " * (1024 * 1024), "gross.pdf")
        assert big.status_code == 422 and "höchstens 1 MB" in big.text
        huge = _upload(login_as("sachbearbeitung"), round_id, b"%PDF-" + b" " * (3 * 1024 * 1024), "riesig.pdf")
        assert huge.status_code == 413 and "höchstens 1 MB" in huge.text
    finally:
        monkeypatch.delenv("GRANTFLOW_ATTACHMENT_MAX_MB")
        settings.load()


def test_export_overview_overdue_and_print_pages(login_as: LoginAs, mini_db: Database, round_id: int) -> None:
    answer_all(mini_db, anzahl=3)
    sb = login_as("sachbearbeitung")
    assert "Alle Tabellen als Excel-Arbeitsmappe" in sb.get(f"/instances/{round_id}/export").text
    workbook = sb.get(f"/instances/{round_id}/export.xlsx")
    assert workbook.headers["X-Content-Type-Options"] == "nosniff"
    assert "Rückmeldung" in load_workbook(io.BytesIO(workbook.data)).sheetnames[0]
    rows = list(csv.reader(io.StringIO(sb.get(f"/instances/{round_id}/export/rueckmeldungen.csv")
                                       .data.decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 52
    overview = sb.get(f"/instances/{round_id}/uebersicht")
    assert overview.status_code == 200 and overview.text.count('role="img"') >= 2 and "<desc id=" in overview.text
    assert "51 von 51 Gemeinden haben geantwortet" in overview.text and "<script" not in overview.text.split("<main")[1]
    gemeinde = login_as("offenburg")
    assert gemeinde.get(f"/instances/{round_id}/uebersicht").status_code == 403
    own = list(csv.reader(io.StringIO(gemeinde.get(f"/instances/{round_id}/export/rueckmeldungen.csv")
                                      .data.decode("utf-8-sig")), delimiter=";"))
    assert [r[0] for r in own[1:]] == ["Offenburg"]
    assert gemeinde.get(f"/instances/{round_id}/export/abstimmung.csv").status_code == 404
    assert "Keine überfälligen Aufgaben." in sb.get("/ueberfaellig").text
    printed = sb.get(f"/instances/{round_id}/druck")
    assert printed.status_code == 200 and "print.css" in printed.text and "Protokoll" in printed.text




def test_a_gemeinde_uploads_to_its_own_task_and_the_task_page_lists_it(login_as: LoginAs, mini_db: Database,
                                                                        round_id: int) -> None:
    from tests.records.files import image_bytes
    from workflows import inbox

    own = inbox.list_tasks(mini_db, "offenburg").items[0]
    client = login_as("offenburg")
    assert "Anhang hochladen" in client.get(f"/tasks/{own.id}").text
    sent = client.post(f"/instances/{own.instance_id}/anhaenge", content_type="multipart/form-data",
                       data={"art": "antrag_unterschrieben", "titel": "Unterschriebene Rückmeldung",
                             "task_id": str(own.id), "datei": (io.BytesIO(image_bytes("JPEG")), "scan.jpeg")})
    assert sent.status_code == 303
    assert "Unterschriebene Rückmeldung" in client.get(f"/tasks/{own.id}").text
    assert "Unterschriebene Rückmeldung" in login_as("sachbearbeitung").get(f"/instances/{round_id}").text
    assert "Unterschriebene Rückmeldung" not in login_as("kehl").get(f"/instances/{round_id}").text


def _events(db: Database, kind: str) -> list[tuple[str | None, dict[str, object]]]:
    from sqlalchemy import select

    from workflows.storage.models import Event

    with db.read() as session:
        return [(e.actor, dict(e.payload or {})) for e in session.scalars(select(Event).where(Event.kind == kind)
                                                                           .order_by(Event.id))]


def test_downloads_are_audited_and_attachments_deleted_by_who_may(login_as: LoginAs, mini_db: Database,
                                                                 round_id: int) -> None:
    sb, dz = login_as("sachbearbeitung"), login_as("dezernat")
    assert _upload(dz, round_id, pdf_bytes(), "Scan Antrag.pdf", art="antrag_unterschrieben").status_code == 303
    assert _upload(sb, round_id, pdf_bytes(), "Bescheid RP.pdf").status_code == 303
    page = dz.get(f"/instances/{round_id}/anhaenge").text
    assert 'href="/anhaenge/1/loeschen"' in page and 'href="/anhaenge/2/loeschen"' not in page  # only its own
    assert dz.get("/anhaenge/2").data == pdf_bytes()
    assert _events(mini_db, "attachment_downloaded") == [
        ("dezernat", {"attachment_id": 2, "title": "Bescheid des Regierungspräsidiums", "filename": "Bescheid RP.pdf"})]
    # someone who sees it but did not upload it and is neither Sachbearbeitung nor Administration: 403
    refused = dz.get("/anhaenge/2/loeschen")
    assert refused.status_code == 403 and "Löschen darf nur, wer den Anhang hochgeladen hat" in refused.text
    assert dz.post("/anhaenge/2/loeschen").status_code == 403
    assert login_as("offenburg").post("/anhaenge/1/loeschen").status_code == 404  # not seen: not found
    question = dz.get("/anhaenge/1/loeschen")
    assert question.status_code == 200 and "Anhang löschen?" in question.text and "Scan Antrag.pdf" in question.text
    done = dz.post("/anhaenge/1/loeschen", follow_redirects=True)
    assert "Anhang „Unterschriebener Antrag (Scan)“ (Scan Antrag.pdf) gelöscht." in done.text
    assert dz.get("/anhaenge/1").status_code == 404
    assert sb.post("/anhaenge/2/loeschen").status_code == 303  # the Sachbearbeitung deletes what others uploaded
    assert [actor for actor, _ in _events(mini_db, "attachment_deleted")] == ["dezernat", "sachbearbeitung"]
    history = sb.get(f"/instances/{round_id}").text
    assert "Anhang gelöscht" in history and "Anhang abgerufen" in history


def test_a_document_download_is_audited_in_web_and_api(app: Flask, login_as: LoginAs, mini_db: Database,
                                                       round_id: int) -> None:
    from workflows.identity import tokens
    from workflows.storage.models import Document

    with mini_db.write() as session:
        doc = Document(instance_id=round_id, kind="sonstiges", title="Beschlussvorlage", filename="vorlage.pdf",
                       sha256="0" * 64, size=len(pdf_bytes()), content=pdf_bytes(), created_by="sachbearbeitung")
        session.add(doc)
        session.flush()
        doc_id = doc.id
    assert login_as("dezernat").get(f"/documents/{doc_id}").data == pdf_bytes()
    assert login_as("offenburg").get(f"/documents/{doc_id}").status_code == 404  # not seen: nothing recorded
    _, token = tokens.create_token(mini_db, "personalamt", "Test")
    api = app.test_client().get(f"/api/v1/documents/{doc_id}", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200
    assert _events(mini_db, "document_downloaded") == [
        (user, {"document_id": doc_id, "version": 1, "title": "Beschlussvorlage", "filename": "vorlage.pdf"})
        for user in ("dezernat", "personalamt")]
