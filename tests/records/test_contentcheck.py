"""Uploads are judged by their content: real PDFs, PNGs and JPEGs pass; everything else is refused in German."""

from __future__ import annotations

import pytest

from tests.records.files import image_bytes, pdf_bytes
from workflows.records import contentcheck
from workflows.records.contentcheck import Refused, check

MB = 1024 * 1024


def test_real_files_pass_with_their_detected_type_and_a_safe_name() -> None:
    assert check(pdf_bytes(), "Bescheid RP.pdf", MB) == contentcheck.CheckedFile("application/pdf", "Bescheid RP.pdf")
    assert check(image_bytes("PNG"), "../../etc/scan", MB).media_type == "image/png"
    assert check(image_bytes("PNG"), "../../etc/scan", MB).filename == "scan.png"
    assert check(image_bytes("JPEG"), "C:\\Users\\x\\Foto.jpeg", MB) == contentcheck.CheckedFile("image/jpeg",
                                                                                                  "Foto.jpg")
    # the name does not decide: a PDF called .png is stored as what it is
    assert check(pdf_bytes(), "antrag.png", MB).filename == "antrag.pdf"


@pytest.mark.parametrize(("content", "name", "reason"), [
    (b"", "leer.pdf", "leer"),
    (b"MZ\x90\x00 this is an exe", "bescheid.pdf", "Dateityp ist nicht erlaubt"),
    (b"<html><script>alert(1)</script></html>", "bescheid.pdf", "Dateityp ist nicht erlaubt"),
    (b"%PDF-1.7\n garbage without an end", "kaputt.pdf", "unvollständig"),
    (b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n%%EOF", "kaputt.pdf", "beschädigt"),
    (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "bild.png", "beschädigt"),
    (b"\xff\xd8\xff\xe0" + b"\x00" * 40, "bild.jpg", "beschädigt"),
])
def test_other_content_is_refused_in_german(content: bytes, name: str, reason: str) -> None:
    with pytest.raises(Refused) as caught:
        check(content, name, MB)
    assert reason in str(caught.value)


def test_truncated_pdf_and_too_large_files_are_refused() -> None:
    pdf = pdf_bytes()
    with pytest.raises(Refused, match="unvollständig"):
        check(pdf[: len(pdf) // 2], "halb.pdf", MB)
    with pytest.raises(Refused, match=r"zu groß .* höchstens 1 MB"):
        check(pdf + b"\n" * MB, "gross.pdf", MB)
