"""Rendering read back: figures, names and dates in German format, fonts, PDF/A metadata."""

from __future__ import annotations

import copy
import hashlib
import io
import re
from pathlib import Path

import pytest
from _pdftext import norm, pdf_text
from pypdf import PdfReader
from pypdf.generic import DictionaryObject

from workflows.documents.kinds import DocumentDataError
from workflows.documents.render import RenderedDocument, render_document, render_html
from workflows.foerderung import samples as documents_samples
from workflows.foerderung.document_kinds import DOCUMENT_KINDS, REQUIRED_KEYS, TEMPLATES_DIR
from workflows.foerderung.samples import render_samples, sample_context

EXPECTED_TEXT = {
    "beschlussvorlage": [
        "Landratsamt Ortenaukreis",
        "Sitzungsvorlage",
        "VA 2017/118",
        "10.10.2017",
        "Verwaltungsausschuss 24.10.2017 öffentlich Beschlussfassung",
        "Der Verwaltungsausschuss",
        "32,00 VZÄ",  # the calibrated demo round (samples.py computes it from the demo answers)
        "64.000,00 €",
        "4.096.000,00 €",  # Landeszuschuss 32 × 64.000 × 2
        "4.608.000,00 €",  # Gesamtkosten 32 × 72.000 × 2
        "512.000,00 €",  # Kreisanteil
        "Kehl 08317057 368 292.957,44 € Acher-Renchtal 2,29",  # the largest Planungsrahmen
        "Summe (41 Gemeinden) 5.166 4.112.549,28 €",
        "Acher-Renchtal 14 16,25",  # the teams carry the round's own allocation (0,25 steps)
        "Stichtag 15.09.2017",
        "Seite 1 von 4",
        "Seite 4 von 4",  # the Gemeinden as Anlage 1 on pages of their own
    ],
    "antrag": [
        "Regierungspräsidium Stuttgart",
        "Referat 15.2",
        "Am Eichamt 2",
        "97877 Wertheim",
        "Badstraße 20, 77652 Offenburg",
        "Sabine Weber",
        "AMI 14.1-7/2018",
        "Lena Schneider",
        "15.02.2018 – 14.02.2020",
        "2018 352,75 29,40 1.881.333,33 €",
        "2020 31,25 2,60 166.666,67 €",
        "Summe 32,00 4.096.000,00 €",
        "Summe (41 Gemeinden) 4.112.549,28 €",
        "Offenburg, 05.03.2018",
        "Dr. Klaus Hofmann",
    ],
    "stellenausschreibung": [
        "Integrationsmanager (m/w/d)",
        "AMI-2017-17",
        "TVöD SuE S 11b",
        "Vollzeit (1,00 VZÄ)",
        "befristet bis 14.01.2020",
        "19.11.2017",
        "Schwerbehinderte Menschen",
        "Gleichstellung",
        "Thomas Ritter",
        "a) Hochschulabschluss",
    ],
    "abstimmungsergebnis": [
        "Der Antrag ist angenommen.",
        "Ja-Stimmen 17",
        "Nein-Stimmen 1",
        "Enthaltungen 2",
        "Anwesend 20",
        "Beschlussfähig ja",
        "24.10.2017",
        "Stefan Brandt AfD Nein",
        "Helga Frey Freie Wähler Enthaltung",
    ],
    "mitteilung_gemeinden": [
        "Stadt Haslach im Kinzigtal",
        "77716 Haslach im Kinzigtal",
        "Leon Wolf Kinzigtal 1,00 VZÄ 01.02.2018 31.01.2020",
        "Lena Yıldız",
        "16.04.2018",
        "Mit freundlichen Grüßen",
        "Dr. Andrea Krämer",
    ],
}


def _reader(document: RenderedDocument) -> PdfReader:
    return PdfReader(io.BytesIO(document.pdf))


def _xmp(reader: PdfReader) -> str:
    return reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_text_carries_german_figures_names_and_dates(samples: dict[str, RenderedDocument], kind: str) -> None:
    text = pdf_text(samples[kind].pdf)
    for expected in EXPECTED_TEXT[kind]:
        assert norm(expected) in text, f"{expected!r} not in {kind}"
    assert "—" not in text and "None" not in text  # a letter leaves out what it lacks
    assert "Muster – Demodaten" in text


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_result_fields_and_metadata(samples: dict[str, RenderedDocument], kind: str) -> None:
    document = samples[kind]
    assert document.kind == kind
    assert re.fullmatch(r"[a-z0-9-]+\.pdf", document.filename)
    assert document.pdf.startswith(b"%PDF-1.7")
    assert document.size == len(document.pdf)
    assert document.sha256 == hashlib.sha256(document.pdf).hexdigest()

    reader = _reader(document)
    assert reader.metadata is not None
    assert reader.metadata.title == document.title
    assert reader.metadata.author == "Landratsamt Ortenaukreis"
    assert reader.trailer["/Root"]["/Lang"] == "de"
    xmp = _xmp(reader)
    assert re.search(r"pdfaid:part(>|=\")3", xmp), xmp
    assert re.search(r"pdfaid:conformance(>|=\")U", xmp)
    assert "Landratsamt Ortenaukreis" in xmp
    assert "/OutputIntents" in reader.trailer["/Root"]


def test_file_names(samples: dict[str, RenderedDocument]) -> None:
    assert {kind: doc.filename for kind, doc in samples.items()} == {
        "beschlussvorlage": "beschlussvorlage-ortenaukreis-2017.pdf",
        "antrag": "antrag-ortenaukreis-2018.pdf",
        "stellenausschreibung": "stellenausschreibung-ortenaukreis-ami-2017-17.pdf",
        "abstimmungsergebnis": "abstimmungsergebnis-ortenaukreis-2017-10-24.pdf",
        "mitteilung_gemeinden": "mitteilung-gemeinden-ortenaukreis-haslach-im-kinzigtal.pdf",
    }


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_only_the_packaged_font_is_used_and_embedded(samples: dict[str, RenderedDocument], kind: str) -> None:
    names = set()
    for page in _reader(samples[kind]).pages:
        fonts = page["/Resources"]["/Font"]
        for ref in fonts.values():
            font = ref.get_object()
            for descendant in font.get("/DescendantFonts", [font]):
                descendant = descendant.get_object()
                descriptor: DictionaryObject = descendant["/FontDescriptor"].get_object()
                assert "/FontFile2" in descriptor or "/FontFile3" in descriptor, descendant["/BaseFont"]
                names.add(re.sub(r"^/[A-Z]{6}\+", "", str(descendant["/BaseFont"])))
    assert names <= {"Carlito", "Carlito-Bold", "Carlito-Italic"}, names


def test_rendering_is_deterministic(samples: dict[str, RenderedDocument]) -> None:
    again = render_document("mitteilung_gemeinden", sample_context("mitteilung_gemeinden"))
    assert again.sha256 == samples["mitteilung_gemeinden"].sha256


@pytest.mark.parametrize(
    ("kind", "path"),
    [(kind, path) for kind, keys in REQUIRED_KEYS.items() for path, _ in keys if "[]" not in path],
)
def test_missing_required_key_names_the_field(kind: str, path: str) -> None:
    context = sample_context(kind)
    *parents, leaf = path.split(".")
    node = context
    for part in parents:
        node = node[part]
    del node[leaf]
    with pytest.raises(DocumentDataError, match=f"Pflichtfeld „{re.escape(path)}“"):
        render_document(kind, context)


def test_missing_key_in_a_list_item_names_the_item() -> None:
    context = sample_context("beschlussvorlage")
    context["gemeinden"][2]["name"] = ""
    with pytest.raises(DocumentDataError, match=r"„gemeinden\[3\]\.name“ \(Name der Gemeinde\)"):
        render_document("beschlussvorlage", context)


def _minimal(kind: str) -> dict:
    """Only the required keys of the sample (lists keep required item keys only)."""
    full = sample_context(kind)
    minimal: dict = {}
    for path, _ in REQUIRED_KEYS[kind]:
        source, target = full, minimal
        parts = path.split(".")
        for index, part in enumerate(parts):
            key = part.removesuffix("[]")
            last = index == len(parts) - 1
            if part.endswith("[]"):
                items = target.setdefault(key, [{} for _ in source[key]])
                for item, src in zip(items, source[key], strict=True):
                    item[parts[index + 1]] = src[parts[index + 1]]
                break
            if last:
                target.setdefault(key, copy.deepcopy(source[key]))
            else:
                target = target.setdefault(key, {})
                source = source[key]
    return minimal


@pytest.mark.parametrize("kind", DOCUMENT_KINDS)
def test_optional_keys_may_be_missing(kind: str) -> None:
    html, _, _ = render_html(kind, _minimal(kind))
    assert "Landratsamt Ortenaukreis" in html and "None" not in html


def test_a_minimal_beschlussvorlage_leaves_out_the_costs_it_was_not_given() -> None:
    text = pdf_text(render_document("beschlussvorlage", _minimal("beschlussvorlage")).pdf)
    assert "Kreisanteil" not in text and "Gesamtkosten" not in text and "Aktenzeichen" not in text
    assert norm("Landeszuschuss 4.096.000,00 €") in text  # 32 VZÄ of the calibrated demo


def test_invalid_values_are_reported_in_german() -> None:
    vote = sample_context("abstimmungsergebnis")
    vote["ja"] = 30
    with pytest.raises(DocumentDataError, match="33 Stimmen, aber nur 20 Anwesende"):
        render_document("abstimmungsergebnis", vote)
    antrag = sample_context("antrag")
    antrag["stellen"][0]["vza"] = "0.2"
    with pytest.raises(DocumentDataError, match="ab 0,25 VZÄ"):
        render_document("antrag", antrag)
    antrag = sample_context("antrag")
    antrag["stellen"][0]["beginn"] = "irgendwann"
    with pytest.raises(DocumentDataError, match=r"„stellen\[1\]\.beginn“ ist kein Datum"):
        render_document("antrag", antrag)
    with pytest.raises(ValueError, match="unknown document kind"):
        render_document("bescheid", {})


@pytest.mark.parametrize(
    ("ja", "nein", "enthaltung", "anwesend", "verdict"),
    [
        (1, 0, 19, 20, "Der Antrag ist angenommen."),  # abstentions do not count
        (9, 9, 2, 20, "Der Antrag ist abgelehnt."),  # a tie rejects
        (10, 1, 0, 11, "Nicht beschlussfähig"),  # 11 of 23 is less than half
    ],
)
def test_vote_result_rules(ja: int, nein: int, enthaltung: int, anwesend: int, verdict: str) -> None:
    context = sample_context("abstimmungsergebnis")
    context |= {"ja": ja, "nein": nein, "enthaltung": enthaltung, "anwesend": anwesend, "namentliche_stimmen": []}
    html, _, _ = render_html("abstimmungsergebnis", context)
    assert verdict in html


def test_templates_exist_for_every_kind() -> None:
    assert set(REQUIRED_KEYS) == set(DOCUMENT_KINDS)
    for kind in DOCUMENT_KINDS.values():
        assert (TEMPLATES_DIR / kind.template).is_file()


def test_render_samples_writes_one_pdf_per_kind(
    tmp_path: Path, samples: dict[str, RenderedDocument], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The rendering itself is covered above; reuse it to keep the suite fast."""
    monkeypatch.setattr(documents_samples, "render_document", lambda kind, context: samples[kind])
    paths = render_samples(tmp_path / "out")
    assert sorted(p.name for p in paths) == sorted(doc.filename for doc in samples.values())
    assert all(p.read_bytes().startswith(b"%PDF") for p in paths)
