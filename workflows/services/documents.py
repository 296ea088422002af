"""The `generate_document` service: render PDFs from the process data inside the step's transaction.

Regenerating never overwrites: each run stores a new version per (instance, kind, Gemeinde).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from workflows import audit
from workflows.documents import render_document
from workflows.models import Document, Landkreis, User
from workflows.services import StepContext, service
from workflows.services.document_contexts import BUILDERS, common_context
from workflows.taskindex import LOCAL_TZ


def _next_version(ctx: StepContext, filename: str) -> int:
    """Versions count per file of the round: a regenerated Beschlussvorlage is version 2, the
    eleventh different Stellenausschreibung is still version 1 of its own file."""
    latest = ctx.session.scalar(select(func.max(Document.version)).where(
        Document.instance_id == ctx.instance.id, Document.filename == filename))
    return (latest or 0) + 1


@service("generate_document")
def generate_document(ctx: StepContext, params: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    kind = str(params.get("kind"))
    if kind not in BUILDERS:
        raise LookupError(f"Unbekannte Dokumentart '{kind}'")
    kreis = ctx.session.scalars(select(Landkreis).where(Landkreis.key == data.get("landkreis"))).first()
    if kreis is None:
        raise LookupError(f"Unbekannter Landkreis '{data.get('landkreis')}'")
    actor_name = ctx.session.scalar(select(User.display_name).where(User.username == ctx.actor)) if ctx.actor else None
    common = common_context(kreis.as_document_data(), actor_name or kreis.amt, datetime.now(LOCAL_TZ).date(),
                            kreis.muster)
    stored = []
    for job in BUILDERS[kind](data, common):
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
