"""The append-only audit log, MAC-chained so that editing, deleting or cutting off rows is detectable.

Each row carries HMAC-SHA256(key, previous row's MAC + its content). The key does not live in the
database (`workflows.audit.keys`), so whoever can write the table cannot recompute the chain after a
rewrite. After each commit that wrote events, the new head (id and MAC) is appended to an anchor
file outside the database (`Database.audit_anchor`, one line per commit, append-only); `verify`
checks that the newest anchored row is still there, unchanged, so cutting rows off the end is
detected without a head recorded by hand. A lagging anchor (a crash between commit and append)
is harmless: only an anchor ahead of or different from the table is a finding.

Events are collected during a unit of work and written in `before_commit`, after every other
write of the transaction: on PostgreSQL that is where the transaction-scoped advisory lock
serializing the chain head is taken, so it is always the last lock acquired (no deadlocks) and
two transactions can never both append to the same head. On SQLite write transactions are
already serialized (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from workflows.audit.keys import audit_key
from workflows.storage.models import Event, utcnow

GENESIS = "0" * 64
_ADVISORY_LOCK_KEY = 7_201_704  # any constant: the chain has one head


@dataclass
class _Pending:
    kind: str
    actor: str | None
    instance_id: int | None
    task_id: int | None
    payload: dict[str, Any]
    created_at: datetime


def record(session: Session, kind: str, actor: str | None, instance_id: int | None,
           payload: dict[str, Any] | None = None, task_id: int | None = None) -> None:
    """Queue an event; it is written with the transaction's commit (or dropped with a rollback)."""
    session.info.setdefault("pending_events", []).append(
        _Pending(kind, actor, instance_id, task_id, payload or {}, utcnow()))


def pending(session: Session) -> list[_Pending]:
    """The events recorded in this transaction and not yet written (for observers of the same step)."""
    return list(session.info.get("pending_events", []))


def compute_hash(prev_hash: str, kind: str, actor: str | None, instance_id: int | None,
                 task_id: int | None, created_at: datetime, payload: dict[str, Any], key: bytes | None = None) -> str:
    body = json.dumps(
        [prev_hash, kind, actor, instance_id, task_id, created_at.isoformat(), payload],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hmac.new(key if key is not None else audit_key(), body.encode("utf-8"), hashlib.sha256).hexdigest()


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop("pending_events", [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    head = session.scalars(select(Event.hash).order_by(Event.id.desc()).limit(1)).first() or GENESIS
    key = audit_key()
    row = None
    for item in pending:
        payload = json.loads(json.dumps(item.payload, default=str))  # what the DB will give back
        digest = compute_hash(head, item.kind, item.actor, item.instance_id, item.task_id, item.created_at, payload,
                              key)
        row = Event(kind=item.kind, actor=item.actor, instance_id=item.instance_id, task_id=item.task_id,
                    created_at=item.created_at, payload=payload, prev_hash=head, hash=digest)
        session.add(row)
        head = digest
    session.flush()
    if row is not None:
        session.info["audit_new_head"] = (row.id, row.hash)


@sa_event.listens_for(Session, "after_commit")
def _anchor_head(session: Session) -> None:
    new_head = session.info.pop("audit_new_head", None)
    anchor: Path | None = session.info.get("audit_anchor")
    if new_head is None or anchor is None:
        return
    anchor.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(anchor, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(descriptor, f"{new_head[0]} {new_head[1]}\n".encode())
    finally:
        os.close(descriptor)


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("pending_events", None)
    session.info.pop("audit_new_head", None)


@dataclass
class ChainProblem:
    event_id: int
    message: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order; returns (rows checked, problems naming the rows)."""
    problems: list[ChainProblem] = []
    head = GENESIS
    count = 0
    key = audit_key()
    for row in session.scalars(select(Event).order_by(Event.id)).yield_per(1000):
        count += 1
        if row.prev_hash != head:
            problems.append(ChainProblem(row.id, "Verkettung unterbrochen: ein Eintrag davor wurde gelöscht "
                                                 "oder verändert."))
        expected = compute_hash(row.prev_hash, row.kind, row.actor, row.instance_id, row.task_id,
                                row.created_at, row.payload, key)
        if not hmac.compare_digest(expected, row.hash):
            problems.append(ChainProblem(row.id, "Inhalt verändert (Prüfsumme stimmt nicht)."))
        head = row.hash
    problems.extend(_anchor_problems(session))
    return count, problems


def anchored_head(anchor: Path | None) -> tuple[int, str] | None:
    """The newest head recorded in the anchor file (the highest id: commits may append out of order)."""
    if anchor is None or not anchor.exists():
        return None
    newest: tuple[int, str] | None = None
    with anchor.open(encoding="ascii", errors="replace") as lines:
        for line in lines:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit() and (newest is None or int(parts[0]) > newest[0]):
                newest = (int(parts[0]), parts[1])
    return newest


def _anchor_problems(session: Session) -> list[ChainProblem]:
    anchored = anchored_head(session.info.get("audit_anchor"))
    if anchored is None:
        return []
    event_id, digest = anchored
    stored = session.scalar(select(Event.hash).where(Event.id == event_id))
    if stored is None:
        return [ChainProblem(event_id, "Eintrag fehlt, den der Anker außerhalb der Datenbank nennt: Einträge am "
                                       "Ende wurden gelöscht.")]
    if not hmac.compare_digest(stored, digest):
        return [ChainProblem(event_id, "Eintrag weicht vom Anker außerhalb der Datenbank ab: das Protokoll wurde "
                                       "umgeschrieben.")]
    return []


def head(session: Session) -> tuple[int, str] | None:
    """The newest row's id and hash. The anchor file records it after every commit; recording it
    elsewhere too (a ticket, a mail) lets `contains(hash)` check against that as well."""
    row = session.execute(select(Event.id, Event.hash).order_by(Event.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def contains(session: Session, digest: str) -> bool:
    return session.scalar(select(Event.id).where(Event.hash == digest)) is not None
