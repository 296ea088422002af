"""Documents of a round and across rounds, filtered by who may see each (a letter to one Gemeinde, a kind
of a data class)."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.documents.kinds import KINDS
from workflows.engine import children
from workflows.errors import NotFound
from workflows.identity import authz
from workflows.identity.data_classes import DataClass, data_class
from workflows.inbox.shapes import DocumentInfo
from workflows.storage.db import Database
from workflows.storage.models import Document, ProcessInstance


def kind_classes() -> dict[str, DataClass]:
    """Document kind -> the data class of what it shows, for the kinds that declare one."""
    return {key: data_class(kind.data_class) for key, kind in KINDS.items() if kind.data_class}


def kind_class(kind: str) -> DataClass | None:
    return kind_classes().get(kind)


def visible_documents(session: Session, instance_id: int, actor: authz.Actor) -> list[DocumentInfo]:
    """The documents of an instance and of its child instances (a round shows its parts' documents)."""
    query = select(Document).where(Document.instance_id.in_(children.family_ids(instance_id))) \
        .order_by(Document.created_at.desc(), Document.id.desc())
    return [
        DocumentInfo(d.id, d.kind, d.title, d.filename, d.version, d.size, d.sha256, d.created_at, d.created_by,
                     d.gemeinde_ags)
        for d in session.scalars(query) if authz.may_see_document(actor, d.gemeinde_ags, kind_class(d.kind))
    ]


def list_documents(db: Database, instance_id: int, actor_name: str) -> list[DocumentInfo]:
    """The documents of an instance the actor may see, newest first (no deserialization)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        authz.visible_instance(session, instance_id, actor)
        return visible_documents(session, instance_id, actor)


@dataclass
class DocumentFile:
    info: DocumentInfo
    instance_id: int
    media_type: str
    content: bytes


def get_document(db: Database, document_id: int, actor_name: str) -> DocumentFile:
    """A document's bytes, if the actor may see its instance and the document (`may_see_document`)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        d = session.get(Document, document_id)
        if d is None or not authz.may_see_document(actor, d.gemeinde_ags, kind_class(d.kind)):
            raise NotFound(f"Dokument {document_id} nicht gefunden.")
        authz.visible_instance(session, d.instance_id, actor)
        info = DocumentInfo(d.id, d.kind, d.title, d.filename, d.version, d.size, d.sha256, d.created_at,
                            d.created_by, d.gemeinde_ags)
        return DocumentFile(info, d.instance_id, d.media_type, bytes(d.content))


def list_all_documents(db: Database, actor_name: str, *, page: int = 1,
                       per_page: int = 50) -> tuple[list[tuple[DocumentInfo, int, str]], int]:
    """Documents the actor may see, newest first, with instance id and business key."""
    page, per_page = max(1, page), min(max(1, per_page), 200)
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        filters = authz.documents_clause(actor, kind_classes())
        total = session.scalar(select(func.count()).select_from(Document).where(*filters)) or 0
        rows = session.execute(
            select(Document.id, Document.kind, Document.title, Document.filename, Document.version, Document.size,
                   Document.sha256, Document.created_at, Document.created_by, Document.gemeinde_ags,
                   Document.instance_id, ProcessInstance.business_key)
            .join(ProcessInstance, ProcessInstance.id == Document.instance_id).where(*filters)
            .order_by(Document.created_at.desc(), Document.id.desc())
            .offset((page - 1) * per_page).limit(per_page)).all()
        return [(DocumentInfo(*r[:10]), r[10], r[11]) for r in rows], total
