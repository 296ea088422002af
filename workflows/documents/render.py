"""Jinja2 → HTML → WeasyPrint → PDF/A-3u, with no access to anything outside the package.

Two walls keep data from reaching the file system or the network:

1. Jinja2 autoescaping: a field holding ``<img src="file:///etc/passwd">`` becomes text.
2. :class:`AssetFetcher`: WeasyPrint may only load ``grantflow-asset:/…`` URLs, which map to
   files below ``assets/``; ``file:``, ``http(s):``, ``data:`` and path tricks are refused.
"""

from __future__ import annotations

import hashlib
import logging
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Undefined
from weasyprint import HTML
from weasyprint.urls import URLFetcher, URLFetcherResponse

from workflows import formatting
from workflows.documents import kinds

LOGGER = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
ASSETS_DIR = PACKAGE_DIR / "assets"
ASSET_SCHEME = "grantflow-asset"
PDF_VARIANT = "pdf/a-3u"
DASH = "—"


class RefusedURLError(ValueError):
    """WeasyPrint asked for a resource outside the package's assets."""


class AssetFetcher(URLFetcher):
    """Serve ``grantflow-asset:/<path>`` from :data:`ASSETS_DIR`, refuse everything else.

    Refused URLs are kept in :attr:`refused` (and logged) so callers and tests can see them;
    WeasyPrint then renders without the resource instead of failing.
    """

    def __init__(self) -> None:
        super().__init__(allowed_protocols=(ASSET_SCHEME,))
        self.refused: list[str] = []

    def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> URLFetcherResponse:
        """Return the asset's bytes; raise :class:`RefusedURLError` for any other URL."""
        path = self._asset_path(url)
        if path is None:
            self.refused.append(url)
            LOGGER.warning("Dokument-Ressource verweigert: %s", url[:200])
            raise RefusedURLError(f"only {ASSET_SCHEME}: URLs are served, not {url[:200]!r}")
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        if path.suffix == ".ttf":
            content_type = "font/ttf"
        return URLFetcherResponse(url, path.read_bytes(), {"Content-Type": content_type})

    @staticmethod
    def _asset_path(url: str) -> Path | None:
        parts = urlsplit(url)
        if parts.scheme.lower() != ASSET_SCHEME or parts.netloc or parts.query:
            return None
        root = ASSETS_DIR.resolve()
        path = (root / unquote(parts.path).lstrip("/")).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path


def _missing(value: Any) -> bool:
    return isinstance(value, Undefined) or value is None or value == ""


def _lenient(function: Any) -> Any:
    """Jinja filter wrapper: absent optional values render as "—" instead of failing."""

    def wrapped(value: Any, *args: Any, **kwargs: Any) -> str:
        return DASH if _missing(value) else str(function(value, *args, **kwargs))

    wrapped.__name__ = function.__name__
    return wrapped


def _dash(value: Any) -> Any:
    return DASH if _missing(value) else value


@cache
def _environment(template_dirs: tuple[Path, ...]) -> Environment:
    """One Jinja environment per set of registered template folders (they are fixed after start-up)."""
    env = Environment(
        loader=FileSystemLoader(list(template_dirs)),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters |= {
        "eur": _lenient(formatting.format_eur),
        "number": _lenient(formatting.format_number),
        "vza": _lenient(formatting.format_vza),
        "percent": _lenient(formatting.format_percent),
        "iban": _lenient(formatting.format_iban),
        "date": _lenient(formatting.format_date),
        "datetime": _lenient(formatting.format_datetime),
        "dash": _dash,
    }
    env.tests["present"] = lambda value: not _missing(value) and value != [] and value != {}
    env.globals["asset"] = lambda name: f"{ASSET_SCHEME}:/{name}"
    return env



@dataclass(frozen=True)
class RenderedDocument:
    """A finished PDF as the engine stores it (``document`` table)."""

    kind: str
    filename: str
    title: str
    pdf: bytes
    sha256: str
    size: int


def render_html(kind: str, context: Mapping[str, Any]) -> tuple[str, str, str]:
    """Validate ``context`` and return (html, filename, title); raises DocumentDataError."""
    if kind not in kinds.KINDS:  # a programming error, not a user's: the service task checks kinds first
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(kinds.KINDS)}")
    document_kind = kinds.KINDS[kind]
    ctx = dict(context)
    prepared = document_kind.prepare(ctx)
    template = _environment(tuple(kinds.TEMPLATE_DIRS)).get_template(document_kind.template)
    html = template.render(**ctx, **prepared.variables, dokument_titel=prepared.title,
                           dokument_art=document_kind.label)
    return html, prepared.filename, prepared.title


def html_to_pdf(html: str, fetcher: AssetFetcher | None = None) -> bytes:
    """Lay out ``html`` as PDF/A-3u; only :class:`AssetFetcher` URLs are loaded."""
    document = HTML(string=html, base_url=f"{ASSET_SCHEME}:/", url_fetcher=fetcher or AssetFetcher())
    pdf = document.write_pdf(pdf_variant=PDF_VARIANT)
    if pdf is None:  # only when a target is given, which we never do
        raise RuntimeError("WeasyPrint returned no PDF bytes")
    return pdf


def render_document(kind: str, context: Mapping[str, Any]) -> RenderedDocument:
    """Render one document of a registered ``kind`` from a plain-dict context."""
    html, filename, title = render_html(kind, context)
    pdf = html_to_pdf(html)
    return RenderedDocument(
        kind=kind,
        filename=filename,
        title=title,
        pdf=pdf,
        sha256=hashlib.sha256(pdf).hexdigest(),
        size=len(pdf),
    )
