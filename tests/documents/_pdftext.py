"""Read a PDF's text back for assertions (whitespace-insensitive, like pdf-check)."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader


def pdf_text(pdf: bytes) -> str:
    """All page text with whitespace (incl. U+00A0 and line breaks) collapsed to single spaces."""
    reader = PdfReader(io.BytesIO(pdf))
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))


def norm(text: str) -> str:
    """Normalise an expected string the way :func:`pdf_text` normalises the PDF's text."""
    return re.sub(r"\s+", " ", text.replace("\u00a0", " "))
