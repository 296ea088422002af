"""Render every sample once per session: WeasyPrint's first layout costs about a second."""

from __future__ import annotations

import pytest

from workflows.documents import DOCUMENT_KINDS, RenderedDocument, render_document, sample_context


@pytest.fixture(scope="session")
def samples() -> dict[str, RenderedDocument]:
    return {kind: render_document(kind, sample_context(kind)) for kind in DOCUMENT_KINDS}
