"""Need-to-know, after the fact: every download of an attachment or a document is an audit event of its
round (who read what, and when), and an attachment can be deleted by whoever may (`authz`), audited too.

A file of a data class (an application: `bewerberdaten`) is named in the event by its id only, as at its
upload: its name may carry an applicant's name.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workflows.audit import chain
from workflows.errors import Forbidden
from workflows.identity import authz
from workflows.inbox import attachments as seen_attachments
from workflows.inbox import documents as seen_documents
from workflows.storage.db import Database
from workflows.storage.models import Attachment


def _named(payload: dict[str, object], classified: bool, **names: object) -> dict[str, object]:
    return payload if classified else {**payload, **names}


def read_attachment(db: Database, attachment_id: int, actor_name: str) -> seen_attachments.AttachmentFile:
    """The attachment's bytes (`NotFound` as `get_attachment`), the download recorded."""
    found = seen_attachments.get_attachment(db, attachment_id, actor_name)
    with db.write() as session:
        chain.record(session, "attachment_downloaded", actor_name, found.info.instance_id,
                     _named({"attachment_id": found.info.id}, found.info.data_class is not None,
                            title=found.info.title, filename=found.info.filename), found.info.task_id)
    return found


def read_document(db: Database, document_id: int, actor_name: str) -> seen_documents.DocumentFile:
    """The document's bytes (`NotFound` as `get_document`), the download recorded."""
    doc = seen_documents.get_document(db, document_id, actor_name)
    with db.write() as session:
        chain.record(session, "document_downloaded", actor_name, doc.instance_id,
                     _named({"document_id": doc.info.id, "version": doc.info.version},
                            seen_documents.kind_class(doc.info.kind) is not None,
                            title=doc.info.title, filename=doc.info.filename))
    return doc


def _deletable(session: Session, attachment_id: int, actor: authz.Actor) -> Attachment:
    """The attachment the actor sees (else `NotFound`) and may delete (else `Forbidden`)."""
    a = seen_attachments.visible_attachment(session, attachment_id, actor)
    refusal = authz.attachment_delete_refusal(actor, a.created_by)
    if refusal:
        raise Forbidden(refusal)
    return a


def deletable(db: Database, attachment_id: int, actor_name: str) -> seen_attachments.AttachmentInfo:
    """The attachment the confirmation page asks about, if the actor may delete it (see `_deletable`)."""
    with db.read() as session:
        return seen_attachments.info(_deletable(session, attachment_id, authz.load_actor(session, actor_name)))


def delete_attachment(db: Database, attachment_id: int, actor_name: str) -> seen_attachments.AttachmentInfo:
    """Delete the attachment with its bytes (audited); `Forbidden` for who may see but not delete it."""
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        a = _deletable(session, attachment_id, actor)
        gone = seen_attachments.info(a)
        chain.record(session, "attachment_deleted", actor.username, a.instance_id,
                     _named({"attachment_id": a.id, "sha256": a.sha256, "uploaded_by": a.created_by},
                            a.data_class is not None, title=a.title, filename=a.filename), a.task_id)
        session.delete(a)
        return gone
