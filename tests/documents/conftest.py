"""Render every sample once per session: WeasyPrint's first layout costs about a second."""

from __future__ import annotations

import pytest

from workflows.documents.render import RenderedDocument, render_document
from workflows.foerderung.document_kinds import DOCUMENT_KINDS
from workflows.foerderung.samples import sample_context


@pytest.fixture(scope="session")
def samples() -> dict[str, RenderedDocument]:
    return {kind: render_document(kind, sample_context(kind)) for kind in DOCUMENT_KINDS}
