"""The `generate_document` service: render PDFs from the process data inside the step's transaction.

Regenerating never overwrites: each run stores a new version per (instance, kind, Gemeinde).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import func, select

from workflows import audit
from workflows.documents import kinds
from workflows.engine.services import StepContext, service
from workflows.storage.models import Document


def _next_version(ctx: StepContext, filename: str) -> int:
    """Versions count per file of the round: a regenerated Beschlussvorlage is version 2, the
    eleventh different Stellenausschreibung is still version 1 of its own file."""
    latest = ctx.session.scalar(select(func.max(Document.version)).where(
        Document.instance_id == ctx.instance.id, Document.filename == filename))
    return (latest or 0) + 1


@service("generate_document")
def generate_document(ctx: StepContext, params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    from workflows.documents.render import render_document  # here: WeasyPrint loads slowly, most commands never render

    kind = str(params.get("kind"))
    stored = []
    for job in kinds.get(kind).build(ctx.session, data, ctx.actor):
        rendered = render_document(kind, job.context)
        document = Document(
            instance_id=ctx.instance.id, task_id=ctx.task_row_id, kind=kind,
            version=_next_version(ctx, rendered.filename), title=str(params.get("title") or rendered.title),
            filename=rendered.filename, sha256=rendered.sha256, size=rendered.size, content=rendered.pdf,
            gemeinde_ags=job.gemeinde_ags, created_by=ctx.actor,
        )
        ctx.session.add(document)
        ctx.session.flush()
        audit.record(ctx.session, "document_generated", ctx.actor, ctx.instance.id,
                     {"document_id": document.id, "kind": kind, "version": document.version,
                      "filename": document.filename, "sha256": document.sha256, "gemeinde": job.gemeinde_ags},
                     task_id=ctx.task_row_id)
        stored.append({"document_id": document.id, "filename": document.filename, "version": document.version,
                       "gemeinde": job.gemeinde_ags})
    return {"kind": kind, "documents": stored, **(stored[0] if len(stored) == 1 else {})}
