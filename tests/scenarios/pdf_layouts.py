"""Lay out each distinct document HTML once per test session (an opt-in speed-up for the long rounds).

The whole round renders about 55 PDFs, and WeasyPrint's layout is about 40 % of its runtime.
The three runs of the scenario (engine, engine on the bpmn.io round trip, API) produce the
same documents from the same data on the same day. With `reuse_pdf_layouts(monkeypatch)`
everything up to the HTML still runs in every round (process data → document context →
template → HTML, storing, versions, visibility, reading back); only the HTML → PDF layout of
byte-identical HTML is taken from the first run in the session. The key is the SHA-256 of the
HTML, so a document whose content differs in any way is laid out anew. The layout itself is
covered by `tests/documents/`.
"""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from workflows.documents import render

_LAYOUTS: dict[str, bytes] = {}


def reuse_pdf_layouts(monkeypatch: pytest.MonkeyPatch) -> None:
    layout = render.html_to_pdf

    def memo(html: str, fetcher: Any = None) -> bytes:
        if fetcher is not None:
            return layout(html, fetcher)
        key = hashlib.sha256(html.encode("utf-8")).hexdigest()
        if key not in _LAYOUTS:
            _LAYOUTS[key] = layout(html)
        return _LAYOUTS[key]

    monkeypatch.setattr(render, "html_to_pdf", memo)
