"""A person's own mail choice: notifications on or off (deadline mails are always sent)."""

from __future__ import annotations

from workflows import audit
from workflows.mail import queue
from workflows.storage.db import Database


def mails_enabled(db: Database, username: str) -> bool:
    with db.read() as session:
        return queue.mails_enabled(session, username)


def set_mails_enabled(db: Database, username: str, enabled: bool) -> None:
    with db.write() as session:
        queue.set_mails_enabled(session, username, enabled)
        audit.record(session, "user_updated", username, None, {"username": username, "mails_enabled": enabled})
