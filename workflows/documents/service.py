"""The `generate_document` service: render PDFs from the process data, after the step (a job).

It is asynchronous: the step that reaches a document task only queues it and the process waits
there. The worker renders in a read-only session (`render_documents`, the slow part: 41 letters
take tens of seconds) and then, in its short write transaction, stores the PDFs and completes the
task (`generate_document`). Regenerating never overwrites: each run stores a new version per
(instance, kind, Gemeinde).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select

from workflows import audit
from workflows.documents import kinds
from workflows.engine.services import StepContext, service
from workflows.storage.models import Document

if TYPE_CHECKING:
    from workflows.documents.render import RenderedDocument

Rendered = list[tuple[str | None, "RenderedDocument"]]


def _next_version(ctx: StepContext, filename: str) -> int:
    """Versions count per file of the round: a regenerated Beschlussvorlage is version 2, the
    eleventh different Stellenausschreibung is still version 1 of its own file."""
    latest = ctx.session.scalar(select(func.max(Document.version)).where(
        Document.instance_id == ctx.instance.id, Document.filename == filename))
    return (latest or 0) + 1


def render_documents(ctx: StepContext, params: Mapping[str, Any], data: Mapping[str, Any]) -> Rendered:
    """Every PDF of the kind, rendered (Gemeinde AGS, document); reads master data only."""
    from workflows.documents.render import render_document  # here: WeasyPrint loads slowly, most commands never render

    kind = str(params.get("kind"))
    return [(job.gemeinde_ags, render_document(kind, job.context))
            for job in kinds.get(kind).build(ctx.session, data, ctx.actor)]


@service("generate_document", asynchronous=True, prepare=render_documents)
def generate_document(ctx: StepContext, params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(params.get("kind"))
    rendered: Rendered = ctx.prepared if ctx.prepared is not None else render_documents(ctx, params, data)
    stored = []
    for gemeinde_ags, pdf in rendered:
        document = Document(
            instance_id=ctx.instance.id, task_id=ctx.task_row_id, kind=kind,
            version=_next_version(ctx, pdf.filename), title=str(params.get("title") or pdf.title),
            filename=pdf.filename, sha256=pdf.sha256, size=pdf.size, content=pdf.pdf,
            gemeinde_ags=gemeinde_ags, created_by=ctx.actor,
        )
        ctx.session.add(document)
        ctx.session.flush()
        audit.record(ctx.session, "document_generated", ctx.actor, ctx.instance.id,
                     {"document_id": document.id, "kind": kind, "version": document.version,
                      "filename": document.filename, "sha256": document.sha256, "gemeinde": gemeinde_ags},
                     task_id=ctx.task_row_id)
        stored.append({"document_id": document.id, "filename": document.filename, "version": document.version,
                       "gemeinde": gemeinde_ags})
    return {"kind": kind, "documents": stored, **(stored[0] if len(stored) == 1 else {})}
