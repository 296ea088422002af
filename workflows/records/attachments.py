"""Attachments: files a person uploads to a round or to one of its tasks, kept with the round.

The Regierungspräsidium's Bescheid letter, the signed Antrag scan, an application. A file is
accepted only as what its content is (`contentcheck`: PDF, PNG, JPEG) and up to the size limit
(`settings.attachment_max_mb`); a refusal stores nothing. An application is applicants' data
(`bewerberdaten`), and so is any file uploaded to a task whose form collects such data: only
the roles of that class upload and see it. A Gemeinde uploads to its own task and sees only
its own files. Every upload is an audit event of the round; the event of a classified file names
no file (its name may carry an applicant's name).
"""

from __future__ import annotations

import hashlib

from sqlalchemy.orm import Session

from workflows import settings
from workflows.audit import chain
from workflows.engine import children
from workflows.errors import FieldError, NotFound, ValidationFailed
from workflows.identity import authz
from workflows.identity.data_classes import BEWERBERDATEN
from workflows.inbox.attachments import KINDS, AttachmentFile, AttachmentInfo, get_attachment, info, list_attachments
from workflows.inbox.classified import classified_forms
from workflows.records import contentcheck
from workflows.storage.db import Database
from workflows.storage.models import Attachment, ProcessInstance, TaskRow

__all__ = ["KINDS", "AttachmentFile", "AttachmentInfo", "add_attachment", "get_attachment", "list_attachments"]
#: kinds that are always of a data class, whatever they are attached to
KIND_CLASSES: dict[str, str] = {"bewerbung": BEWERBERDATEN.key}


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed([FieldError(f"/{field}", message)], message)


def _task_class(session: Session, row: TaskRow) -> str | None:
    inst = session.get(ProcessInstance, row.instance_id)
    assert inst is not None
    classification = classified_forms(inst.definition).get(row.form_key or "")
    return classification.whole.key if classification and classification.whole else None


def add_attachment(db: Database, instance_id: int, actor_name: str, *, kind: str, content: bytes, filename: str,
                   title: str = "", task_id: int | None = None) -> AttachmentInfo:
    """Check and store a file with the round (audited). `ValidationFailed` (fields `art`, `datei`, `titel`)
    for what the user can correct; `Forbidden`/`NotFound` as for seeing the round or task."""
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        inst = authz.visible_instance(session, instance_id, actor)
        round_id = children.round_id(inst)
        row = None
        if task_id is not None:
            row = session.get(TaskRow, task_id)
            if row is None or row.instance_id not in set(session.scalars(children.family_ids(round_id))):
                raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
        data_class = KIND_CLASSES.get(kind) or (_task_class(session, row) if row is not None else None)
        authz.check_may_attach(actor, row, data_class)  # before the input: who may not upload learns nothing more
        if kind not in KINDS:
            raise _refuse("art", "Bitte die Art des Schriftstücks wählen.")
        if len(title) > 300:
            raise _refuse("titel", "Die Bezeichnung darf höchstens 300 Zeichen lang sein.")
        try:
            checked = contentcheck.check(content, filename, settings.get().attachment_max_bytes)
        except contentcheck.Refused as exc:
            raise _refuse("datei", str(exc)) from exc
        gemeinde = row.assignee_gemeinde if row is not None else None
        attachment = Attachment(
            instance_id=round_id, task_id=task_id, kind=kind, title=title.strip() or KINDS[kind],
            filename=checked.filename, media_type=checked.media_type, sha256=hashlib.sha256(content).hexdigest(),
            size=len(content), content=content, data_class=data_class, gemeinde_ags=gemeinde,
            created_by=actor.username)
        session.add(attachment)
        session.flush()
        payload: dict[str, object] = {"attachment_id": attachment.id, "art": kind, "size": len(content),
                                      "sha256": attachment.sha256, "media_type": checked.media_type}
        if data_class is None:
            payload.update(filename=checked.filename, title=attachment.title)
        chain.record(session, "attachment_added", actor.username, round_id, payload, task_id)
        return info(attachment)
