"""Queue one mail job per person and event; honour the person's choice (deadlines always go)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import jobs
from workflows.mail.compose import Mail
from workflows.storage.models import MailSetting, User

MAIL = "mail"
CATEGORIES = {"aufgabe", "unterschrift", "frist", "ergebnis"}
ALWAYS = {"frist"}


def wants_mail(session: Session, user: User, category: str) -> bool:
    if category in ALWAYS:
        return True
    setting = session.get(MailSetting, user.id)
    return setting is None or setting.mails_enabled


def queue_mail(session: Session, event: str, users: list[User], mail: Mail, category: str,
               instance_id: int | None) -> int:
    """Jobs for the users with an address who want it; `event` + username makes each unique."""
    queued = 0
    for user in users:
        if not user.email or not wants_mail(session, user, category):
            continue
        job = jobs.enqueue(session, MAIL, {"to": user.email, "username": user.username, "subject": mail.subject,
                                           "body": mail.body, "category": category},
                           instance_id=instance_id, title=f"E-Mail an {user.email}: {mail.subject}"[:300],
                           unique_key=f"mail:{event}:{user.username}")
        queued += job is not None
    return queued


def set_mails_enabled(session: Session, username: str, enabled: bool) -> None:
    user = session.scalars(select(User).where(User.username == username)).one()
    setting = session.get(MailSetting, user.id) or MailSetting(user_id=user.id)
    setting.mails_enabled = enabled
    session.add(setting)


def mails_enabled(session: Session, username: str) -> bool:
    user = session.scalars(select(User).where(User.username == username)).one()
    setting = session.get(MailSetting, user.id)
    return setting is None or setting.mails_enabled
