"""A round's attachments (uploaded files) as each person may see them; the upload is `workflows.records.attachments`.

A file is seen as a document is (a Gemeinde only its own) and, if it has a data class (an application:
`bewerberdaten`), only by that class's roles (`authz.may_see_attachment`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import children
from workflows.errors import NotFound
from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import Attachment

KINDS: dict[str, str] = {
    "bescheid": "Bescheid des Regierungspräsidiums",
    "antrag_unterschrieben": "Unterschriebener Antrag (Scan)",
    "bewerbung": "Bewerbung",
    "sonstiges": "Sonstiges Schriftstück",
}
@dataclass
class AttachmentInfo:
    id: int
    instance_id: int
    task_id: int | None
    kind: str
    kind_label: str
    title: str
    filename: str
    media_type: str
    size: int
    sha256: str
    data_class: str | None
    created_at: datetime
    created_by: str | None


@dataclass
class AttachmentFile:
    info: AttachmentInfo
    content: bytes


def info(a: Attachment) -> AttachmentInfo:
    return AttachmentInfo(a.id, a.instance_id, a.task_id, a.kind, KINDS.get(a.kind, a.kind), a.title, a.filename,
                          a.media_type, a.size, a.sha256, a.data_class, a.created_at, a.created_by)


def _visible(actor: authz.Actor, a: Attachment) -> bool:
    return authz.may_see_attachment(actor, gemeinde_ags=a.gemeinde_ags, data_class_key=a.data_class)


def visible_attachments(session: Session, round_id: int, actor: authz.Actor,
                        task_id: int | None = None) -> list[AttachmentInfo]:
    """A round's attachments the actor may see, newest first (`task_id`: only that task's)."""
    query = select(Attachment).where(Attachment.instance_id == round_id)
    if task_id is not None:
        query = query.where(Attachment.task_id == task_id)
    rows = session.scalars(query.order_by(Attachment.id.desc()))
    return [info(a) for a in rows if _visible(actor, a)]


def list_attachments(db: Database, instance_id: int, actor_name: str) -> list[AttachmentInfo]:
    """The attachments of a round the actor may see (`NotFound` for a round they may not see)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        return visible_attachments(session, children.round_id(inst), actor)


def visible_attachment(session: Session, attachment_id: int, actor: authz.Actor) -> Attachment:
    """The attachment, if the actor may see its round and the file; else `NotFound`."""
    a = session.get(Attachment, attachment_id)
    if a is None or not _visible(actor, a):
        raise NotFound(f"Anhang {attachment_id} nicht gefunden.")
    authz.visible_instance(session, a.instance_id, actor)
    return a


def get_attachment(db: Database, attachment_id: int, actor_name: str) -> AttachmentFile:
    """An attachment's bytes (`visible_attachment`)."""
    with db.read() as session:
        a = visible_attachment(session, attachment_id, authz.load_actor(session, actor_name))
        return AttachmentFile(info(a), bytes(a.content))
