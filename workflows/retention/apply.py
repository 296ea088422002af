"""The Löschkonzept: applicants' personal data of finished postings is erased after a period.

`apply_retention` takes every ended instance (a posting, a round) that ended more than
`settings.retention_days` ago and has not been erased yet, and replaces the data of the classes
`data_classes.ERASED_BY_RETENTION` (applicants' data and disability status) with a marker: in the
process state, the task rows, the other rows of the instance and its round (notifications, mails, jobs,
migration snapshots, comments) and the audit payloads; a comment on a task of such a class is replaced as a
whole; a document of such a class keeps its row (the documents list still says it was sent, and
when) but its content becomes a one-page PDF saying it was erased; attachments of such a class (an uploaded
Bewerbung) are deleted. Each instance is one
transaction with one `retention_applied` event that lists what was done and attests each redacted
audit payload, so `grantflow audit verify` still passes. A dry run reports the same without writing.
A running round keeps the names it still needs (the Bewilligungsbescheid is matched by name); its
copies are erased when the round itself has ended and its period passed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from html import escape
from typing import Any

from sqlalchemy import JSON, String, Text, delete, select
from sqlalchemy.orm import Session

from workflows import audit, settings
from workflows.documents.kinds import KINDS
from workflows.documents.render import html_to_pdf
from workflows.engine import children
from workflows.formatting import format_date
from workflows.identity.data_classes import ERASED_BY_RETENTION, data_class
from workflows.inbox.classified import Classification, classified_variables, form_classification
from workflows.inbox.history import TASK_NOTES
from workflows.retention.redaction import MARKER, MIN_NAME_LENGTH, Redactor, scrub
from workflows.storage.db import Database
from workflows.storage.models import (
    Attachment,
    Base,
    Comment,
    Document,
    Event,
    InstanceMigration,
    Job,
    Notification,
    OutboxMail,
    ProcessInstance,
    SearchEntry,
    SearchWord,
    TaskRow,
    utcnow,
)

ACTOR = "loeschkonzept"
#: rows of an instance, besides its state, tasks, events and documents, whose text may hold copies
OTHER_ROWS = (Notification, OutboxMail, Job, InstanceMigration, Comment)


@dataclass
class Erasure:
    instance_id: int
    business_key: str
    ended_at: datetime
    variables: int = 0
    task_rows: int = 0
    events: int = 0
    documents: list[str] = field(default_factory=list)
    other_rows: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.variables or self.task_rows or self.events or self.documents or self.other_rows)


def due_instances(session: Session, now: datetime, days: int) -> list[ProcessInstance]:
    """Ended instances whose period has passed and that were not erased yet (children first)."""
    return list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.status != "running", ProcessInstance.erased_at.is_(None),
        ProcessInstance.updated_at < now - timedelta(days=days)).order_by(ProcessInstance.id.desc())))


def apply_retention(db: Database, *, dry_run: bool = False, now: datetime | None = None,
                    days: int | None = None) -> list[Erasure]:
    """Erase what is due; each instance in its own transaction (a dry run rolls every one back)."""
    now = now or utcnow()
    days = settings.get().retention_days if days is None else days
    with db.read() as session:
        ids = [i.id for i in due_instances(session, now, days)]
    done = []
    for instance_id in ids:
        with db.write() as session:
            inst = session.get(ProcessInstance, instance_id)
            if inst is None or inst.erased_at is not None:
                continue
            erasure = _erase(session, inst, now)
            if dry_run:
                session.rollback()
            done.append(erasure)
    return done


def _erase(session: Session, inst: ProcessInstance, now: datetime) -> Erasure:
    erased = frozenset(data_class(key) for key in ERASED_BY_RETENTION)
    classes = {name: c for name, c in classified_variables(inst.definition).items() if c.classes() & erased}
    redactor = Redactor(classes, erased)
    erasure = Erasure(inst.id, inst.business_key, inst.updated_at)

    state = json.loads(inst.state) if inst.state else {}
    new_state = redactor.variables(state)
    outputs = redactor.variables(inst.outputs) if inst.outputs else inst.outputs
    forms = {key: c for key, schema in inst.definition.forms.items()
             if (c := form_classification(schema)).classes() & erased}
    rows = session.scalars(select(TaskRow).where(TaskRow.instance_id == inst.id)).all()
    submissions = {r.id: redactor.classified(r.data, forms[r.form_key or ""]) if r.data and r.form_key in forms
                   else redactor.variables(r.data) for r in rows}
    messages = {name: c for name, schema in inst.definition.message_schemas.items()
                if (c := form_classification(schema)).classes() & erased}
    events = session.scalars(select(Event).where(Event.instance_id == inst.id).order_by(Event.id)).all()
    payloads = {e.id: _event_payload(e, redactor, forms, messages, {r.id: r.form_key for r in rows}) for e in events}
    names = redactor.names  # complete now: every classified value was visited
    # a comment on a task of an erased class is of that class itself (free text: health data need not name
    # anyone): its text goes, and so do its copies (the mention's notification and mail, the search entry)
    classified_comments = session.scalars(select(Comment).where(
        Comment.instance_id == inst.id, Comment.data_class.in_(ERASED_BY_RETENTION))).all()
    names |= {note.text.strip() for note in classified_comments if len(note.text.strip()) >= MIN_NAME_LENGTH}
    for note in classified_comments:
        note.text = MARKER

    erasure.variables = _count_changes(state, new_state)
    inst.state = json.dumps(scrub(new_state, names), ensure_ascii=False, separators=(",", ":"))
    inst.outputs = scrub(outputs, names)
    inst.summary = scrub(inst.summary, names)
    for r in rows:
        data, title = scrub(submissions[r.id], names), scrub(r.title, names)
        if data != r.data or title != r.title:
            r.data, r.title = data, title
            erasure.task_rows += 1
    redactions = {}
    for e in events:
        payload = scrub(payloads[e.id], names)
        if payload != e.payload:
            redactions[str(e.id)] = audit.redact(e, payload)
    erasure.events = len(redactions)
    erasure.other_rows = (len(classified_comments) + _scrub_other_rows(session, inst, names)
                          + _drop_search_entries(session, inst.id, names))
    hidden_kinds = [k for k, kind in KINDS.items() if kind.data_class in ERASED_BY_RETENTION]
    for d in session.scalars(select(Document).where(Document.instance_id == inst.id,
                                                    Document.kind.in_(hidden_kinds))):
        erasure.documents.append(d.filename)
        d.title = scrub(d.title, names)
        d.content = _erased_pdf(d.title, now)
        d.sha256, d.size, d.media_type = hashlib.sha256(d.content).hexdigest(), len(d.content), "application/pdf"
    for a in session.scalars(select(Attachment).where(Attachment.instance_id == inst.id,
                                                      Attachment.data_class.in_(ERASED_BY_RETENTION))):
        erasure.documents.append(a.filename)  # an application (Bewerbung) uploaded to the posting
        session.delete(a)
    inst.erased_at = now
    audit.record(session, audit.RETENTION_EVENT, ACTOR, inst.id, {
        "klassen": sorted(ERASED_BY_RETENTION), "ersetzt_durch": MARKER, "variablen": erasure.variables,
        "aufgaben": erasure.task_rows, "weitere_zeilen": erasure.other_rows,
        "dokumente_geloescht": erasure.documents, "redactions": redactions})
    return erasure


def _erased_pdf(title: str, now: datetime) -> bytes:
    """What stays of a document whose content was erased: its title and when, and why."""
    return html_to_pdf(f"<html lang='de'><body style='font-family: DejaVu Sans, sans-serif'><h1>{escape(title)}</h1>"
                       f"<p>{escape(MARKER)} Der Inhalt dieses Dokuments enthielt personenbezogene Daten von "
                       f"Bewerberinnen und Bewerbern bzw. Beschäftigten und wurde am {format_date(now)} nach dem "
                       "Löschkonzept gelöscht.</p></body></html>")


def _event_payload(e: Event, redactor: Redactor, forms: dict[str, Classification],
                   messages: dict[str, Classification], form_of_task: dict[int, str | None]) -> dict[str, Any]:
    payload: dict[str, Any] = dict(e.payload)
    form = forms.get(form_of_task.get(e.task_id or 0) or "")
    if form is not None and "data" in payload:
        payload["data"] = redactor.classified(payload["data"], form)
    if form is not None and form.whole in redactor.erased:  # the free text of such a task is of its class
        payload |= {key: MARKER for key in TASK_NOTES if key in payload}
    message = messages.get(str(payload.get("message")))
    if message is not None and "payload" in payload:
        payload["payload"] = redactor.classified(payload["payload"], message)
    return dict(redactor.variables(payload))


def _count_changes(before: Any, after: Any) -> int:
    """How many values the first pass replaced (for the report)."""
    if isinstance(before, dict) and isinstance(after, dict):
        return sum(_count_changes(v, after.get(k)) for k, v in before.items())
    if isinstance(before, list) and isinstance(after, list):
        return sum(_count_changes(b, a) for b, a in zip(before, after, strict=False))
    return int(after == MARKER and before != MARKER)


def _drop_search_entries(session: Session, instance_id: int, names: set[str]) -> int:
    """Search entries naming an erased person go with their words (the index is rebuilt from the redacted
    history by `grantflow search reindex`)."""
    if not names:
        return 0
    stale = [e.id for e in session.scalars(select(SearchEntry).where(SearchEntry.instance_id == instance_id))
             if scrub(e.text, names) != e.text]
    if stale:
        session.execute(delete(SearchWord).where(SearchWord.entry_id.in_(stale)))
        session.execute(delete(SearchEntry).where(SearchEntry.id.in_(stale)))
    return len(stale)


def _scrub_other_rows(session: Session, inst: ProcessInstance, names: set[str]) -> int:
    """The names in the other rows of the instance, and of its round: a notification or mail about a part of
    the round (a mention in a comment on a posting's task) belongs to the round."""
    if not names:
        return 0
    changed = 0
    instances = sorted({inst.id, children.round_id(inst)})
    for model in OTHER_ROWS:
        table = Base.metadata.tables[model.__tablename__]
        columns = [c.key for c in table.columns if isinstance(c.type, String | Text | JSON) and c.key != "id"]
        for row in session.scalars(select(model).where(model.instance_id.in_(instances))):
            touched = False
            for column in columns:
                value = getattr(row, column)
                new = scrub(value, names)
                if new != value:
                    setattr(row, column, new)
                    touched = True
            changed += touched
    return changed
