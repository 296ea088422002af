"""PDF documents of the Integrationsmanagement process (Jinja2 + WeasyPrint, PDF/A-3u).

No Flask, no database: :func:`render_document` turns a plain-dict context into a
:class:`RenderedDocument`; the engine stores it. See :mod:`workflows.documents.kinds` for the
context keys of each kind and :data:`REQUIRED_KEYS`.
"""

from workflows.documents.kinds import (
    DOCUMENT_KINDS,
    REQUIRED_KEYS,
    DocumentDataError,
    DocumentKind,
)
from workflows.documents.render import RenderedDocument, render_document
from workflows.documents.samples import render_samples, sample_context

__all__ = [
    "DOCUMENT_KINDS",
    "REQUIRED_KEYS",
    "DocumentDataError",
    "DocumentKind",
    "RenderedDocument",
    "render_document",
    "render_samples",
    "sample_context",
]
