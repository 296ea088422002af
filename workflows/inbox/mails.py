"""The mail outbox for Administration: every mail composed, sent (SMTP on) or only kept (SMTP off)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import OutboxMail


@dataclass(frozen=True)
class OutboxMailInfo:
    id: int
    recipient: str
    subject: str
    body: str
    status: str
    created_at: datetime


def list_outbox_mails(db: Database, actor_name: str, limit: int = 200) -> list[OutboxMailInfo]:
    with db.read() as session:
        authz.check_may_administer(authz.load_actor(session, actor_name), "Der Postausgang")
        rows = session.scalars(select(OutboxMail).order_by(OutboxMail.id.desc()).limit(limit))
        return [OutboxMailInfo(m.id, m.recipient, m.subject, m.body, m.status, m.created_at) for m in rows]
