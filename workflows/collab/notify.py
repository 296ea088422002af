"""A notification to one person (shown under "Benachrichtigungen") and its mail, in the caller's transaction."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import audit, mail
from workflows.mail import compose
from workflows.storage.models import Notification, ProcessInstance, User


def notify_user(session: Session, key: str, username: str, instance: ProcessInstance, subject: str, text: str,
                actor: str) -> None:
    """`key` makes the mail unique (one per person and occasion)."""
    note = Notification(instance_id=instance.id, recipient_user=username, subject=subject[:300], text=text)
    session.add(note)
    session.flush()
    audit.record(session, "notification_queued", actor, instance.id,
                 {"notification_id": note.id, "subject": note.subject, "user": username})
    users = list(session.scalars(select(User).where(User.username == username, User.active.is_(True))))
    mail.queue_mail(session, key, users,
                    compose.process_message(session, instance, subject, text),
                    "aufgabe", instance.id)
