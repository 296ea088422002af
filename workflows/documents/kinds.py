"""The registry of document kinds: what a programme tells the renderer about each of its letters.

The renderer knows PDF/A, fonts and the letter layout, not the letters: a programme (see
`workflows.foerderung.document_kinds`) registers each kind with its template, how a context is
checked and completed, and how the contexts are built from a round's data.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session


class DocumentDataError(ValueError):
    """The context lacks a required field or holds an unusable value (German message)."""


@dataclass
class DocumentJob:
    """One PDF to make: its template context and, for a letter to one Gemeinde, its AGS."""

    context: dict[str, Any]
    gemeinde_ags: str | None = None


@dataclass(frozen=True)
class Prepared:
    """What a kind adds to a checked context before rendering: template variables and names."""

    variables: dict[str, Any]
    filename: str
    title: str


@dataclass(frozen=True)
class DocumentKind:
    """One kind of document as a programme registers it.

    `prepare` checks a context (raising `DocumentDataError`) and derives what the template shows;
    `build` turns a round's process data into one job per PDF (in the step's session, for master
    data such as the Landkreis' letterhead).
    """

    key: str
    label: str
    template: str
    prepare: Callable[[dict[str, Any]], Prepared]
    build: Callable[[Session, Mapping[str, Any], str | None], list[DocumentJob]]
    #: the data class of what the document shows (`workflows.identity.data_classes`), if any: only those
    #: who may see the class see the document (a letter to a Gemeinde: also that Gemeinde)
    data_class: str | None = None


KINDS: dict[str, DocumentKind] = {}
TEMPLATE_DIRS: list[Path] = [Path(__file__).resolve().parent / "templates"]


def register(kind: DocumentKind, templates: Path) -> None:
    KINDS[kind.key] = kind
    if templates not in TEMPLATE_DIRS:
        TEMPLATE_DIRS.insert(0, templates)


def get(key: str) -> DocumentKind:
    try:
        return KINDS[key]
    except KeyError:
        raise LookupError(f"Unbekannte Dokumentart '{key}'") from None
