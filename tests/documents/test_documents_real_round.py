"""Every document a real round makes, read back: no placeholder, no contradiction, no lonely signature.

A page that holds nothing but a signature block (or a few stray lines) fails, wherever it falls.

The round is the real one (bpmn/, forms/, the calibrated Ortenaukreis demo) driven to its end as
the web tests drive it; the worker renders each PDF as in production. Every PDF of every kind is
checked (34 postings, 41 letters), and one of each kind is written to `tests/output/round-pdfs/`
for a person to look at (`pdftoppm -png`).
"""

from __future__ import annotations

import io
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import select

from tests.documents._pdftext import norm, pdf_text
from tests.web import grant_round as gr
from workflows import engine, inbox, jobs
from workflows.foerderung.rules.funding import foerdersumme
from workflows.formatting import format_date
from workflows.storage.db import Database
from workflows.storage.models import Document, ProcessInstance

KINDS = {"beschlussvorlage", "abstimmungsergebnis", "antrag", "stellenausschreibung", "mitteilung_gemeinden"}
#: a word written twice in a row ("Regionalteam Regionalteam"); numbers and short words may repeat
DOUBLED = re.compile(r"\b([A-Za-zÄÖÜäöüß][a-zäöüß]{3,})\s+\1\b")
SIGNATURE_LABELS = ("Mit freundlichen Grüßen", "Vorsitz", "Schriftführung", "Dezernatsleitung",
                    "Amt für Migration und Integration")


def _finished_round(db: Database) -> int:
    iid = gr.drive(db, "bescheid")
    data = inbox.get_instance(db, iid, gr.SB).data
    personen = [{"name": b["name"], "vza": b["vza"], "betrag": float(foerdersumme(b["vza"], 64000))}
                for b in data["besetzungen"]]
    engine.deliver_message(db, iid, "bewilligungsbescheid", {"aktenzeichen": "RPS15.2-1", "datum": "2018-05-15",
                                                             "personen": personen}, gr.SB)
    while jobs.run_worker(db, once=True):
        pass
    assert inbox.get_instance(db, iid, gr.SB).instance.status == "completed"
    return iid


def _pages(pdf: bytes) -> list[str]:
    pages = PdfReader(io.BytesIO(pdf)).pages
    return [re.sub(r"\s+", " ", (p.extract_text() or "").replace("\u00a0", " ")) for p in pages]


def _body(page: str, footer_lines: list[str]) -> str:
    """A page without its running header, footer and page number."""
    text = re.sub(r"Seite \d+ von \d+", " ", page)
    for line in footer_lines:
        text = text.replace(line, " ")
    return re.sub(r"\s+", " ", text).strip()


def _problems(doc: Document, footer_lines: list[str], signers: set[str]) -> list[str]:
    text = pdf_text(doc.content)
    found = []
    for placeholder in ("—", "None", "N. N.", "noch offen", "{{", "}}"):
        if placeholder in text:
            at = text.index(placeholder)
            found.append(f"{placeholder!r} … {text[max(0, at - 60):at + 40]!r}")
    found += [f"doubled word {m.group(0)!r}" for m in DOUBLED.finditer(text)]
    pages = _pages(doc.content)
    for number, page in enumerate(pages, start=1):
        rest = _body(page, footer_lines)
        for word in (*SIGNATURE_LABELS, *signers):
            rest = rest.replace(word, " ")
        if len(pages) > 1 and len(rest.split()) < 30:  # the running header and a few lines at most
            found.append(f"page {number} holds only a signature or a few lines: {_body(page, footer_lines)!r}")
    return found


@pytest.mark.timeout(900)
def test_every_document_of_a_real_round_names_real_values(db: Database, output_dir: Path) -> None:
    iid = _finished_round(db)
    with db.read() as session:
        parts = select(ProcessInstance.id).where(ProcessInstance.root_id == iid)  # the postings' own documents
        docs = list(session.scalars(select(Document).where(
            (Document.instance_id == iid) | Document.instance_id.in_(parts)).order_by(Document.id)))
        for doc in docs:
            session.expunge(doc)
    assert {d.kind for d in docs} == KINDS
    data = inbox.get_instance(db, iid, gr.SB).data
    footer = ["Landratsamt Ortenaukreis · Badstraße 20 · 77652 Offenburg",
              "Telefon 0781 805-0 · integrationsmanagement@ortenaukreis.example · www.ortenaukreis.de",
              "Muster – Demodaten, kein amtliches Dokument"]
    signers = {"Sabine Keller", "Michael Brandt", "Frank Weber", "Petra Lorenz", "Sachbearbeitung"}
    problems = {f"{d.kind} {d.filename}": p for d in docs if (p := _problems(d, footer, signers))}
    assert not problems, "\n".join(f"{k}: {v}" for k, v in problems.items())

    out = output_dir / "round-pdfs"
    out.mkdir(exist_ok=True)
    newest: dict[str, Document] = {}
    for doc in docs:
        newest[doc.kind] = doc
    for doc in newest.values():  # the SQLite and PostgreSQL runs may write at once (two workers): whole files only
        part = out / f"{doc.filename}.{os.getpid()}.part"
        part.write_bytes(doc.content)
        part.replace(out / doc.filename)

    # what the issue found, one by one, now with the round's values
    texts = {kind: pdf_text(doc.content) for kind, doc in newest.items()}
    ad = texts["stellenausschreibung"]
    for expected in ("Wir bieten", "Sabine Keller", "Telefon 0781 805-9610", "Jana Vogt", "Telefon 0781 805-1150",
                     "bewerbung@ortenaukreis.example", "für das Regionalteam"):
        assert norm(expected) in ad, expected
    vorlage = texts["beschlussvorlage"]
    for expected in ("Gesamtkosten 4.608.000,00 €", "Landeszuschuss 4.096.000,00 €", "Kreisanteil 512.000,00 €",
                     "Stichtag 15.09.2017"):  # 32 VZÄ × 72.000 € × 2 Jahre; × 64.000 €
        assert norm(expected) in vorlage, expected
    sitzung = format_date(data["beschlussvorlage"]["sitzungsdatum"])
    result = texts["abstimmungsergebnis"]
    counts = data["stimmzaehlung"]
    assert norm(f"Ja-Stimmen {counts['ja']} Nein-Stimmen {counts['nein']} "
                f"Abgegebene Stimmen {counts['ja'] + counts['nein']} Enthaltungen {counts['enthaltung']}") in result
    assert f"Festgestellt in der Sitzung am {sitzung}" in result
    assert "Frank Weber Vorsitz" in result and "Petra Lorenz Schriftführung" in result
    # every staff member may open it: the result, not who voted how (`einzelstimmen`: Vorsitz, Schriftführung)
    assert "Namentliche Stimmabgabe" not in result and "Maria Schneider" not in result
    assert data["rueckmeldefrist"] < data["beschlussvorlage"]["sitzungsdatum"]
    # file names carry the round's years, not the year the documents were made
    assert newest["beschlussvorlage"].filename == "beschlussvorlage-ortenaukreis-2017-2018.pdf"
    assert newest["antrag"].filename == "antrag-ortenaukreis-2017-2018.pdf"


def test_the_signature_check_catches_a_lonely_signature() -> None:
    """The check above fails on what the issue saw: a page with nothing but the signature."""
    from workflows.documents.render import html_to_pdf

    html = ("<html><body><p>" + "Die Stellen sind besetzt. " * 40 + "</p>"
            "<div style='break-before: page'>Mit freundlichen Grüßen<br><br>Sabine Keller<br>"
            "Amt für Migration und Integration</div></body></html>")
    doc = Document(kind="mitteilung_gemeinden", filename="x.pdf", content=html_to_pdf(html))
    found = _problems(doc, [], {"Sabine Keller"})
    assert any("page 2 holds only a signature" in p for p in found), found
    assert not _problems(Document(kind="x", filename="y.pdf", content=html_to_pdf(html.replace(
        "break-before: page", "margin-top: 5mm"))), [], {"Sabine Keller"})
