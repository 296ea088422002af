"""Notifications to a person, their roles or their Gemeinde."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select

from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import Notification


@dataclass
class NotificationInfo:
    id: int
    instance_id: int | None
    subject: str
    text: str
    created_at: datetime


def list_notifications(db: Database, actor_name: str, limit: int = 100) -> list[NotificationInfo]:
    """Notifications to the actor's roles, Gemeinde or to them personally, newest first."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        own_gemeinde = Notification.recipient_gemeinde == (actor.gemeinde_ags or "")
        clauses = [Notification.recipient_user == actor.username, own_gemeinde,
                   Notification.recipient_role.in_(sorted(actor.roles))
                   & (Notification.recipient_gemeinde.is_(None) | own_gemeinde)]
        rows = session.scalars(select(Notification).where(or_(*clauses))
                               .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit))
        return [NotificationInfo(n.id, n.instance_id, n.subject, n.text, n.created_at) for n in rows]
