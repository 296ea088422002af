"""The append-only audit log, hash-chained so that editing or deleting a row is detectable.

Events are collected during a unit of work and written in `before_commit`, after every other
write of the transaction: on PostgreSQL that is where the transaction-scoped advisory lock
serializing the chain head is taken, so it is always the last lock acquired (no deadlocks) and
two transactions can never both append to the same head. On SQLite write transactions are
already serialized (`BEGIN IMMEDIATE`).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy import select, text
from sqlalchemy.orm import Session

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


def compute_hash(prev_hash: str, kind: str, actor: str | None, instance_id: int | None,
                 task_id: int | None, created_at: datetime, payload: dict[str, Any]) -> str:
    body = json.dumps(
        [prev_hash, kind, actor, instance_id, task_id, created_at.isoformat(), payload],
        sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


@sa_event.listens_for(Session, "before_commit")
def _write_pending(session: Session) -> None:
    pending: list[_Pending] = session.info.pop("pending_events", [])
    if not pending:
        return
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_KEY})
    head = session.scalars(select(Event.hash).order_by(Event.id.desc()).limit(1)).first() or GENESIS
    for item in pending:
        payload = json.loads(json.dumps(item.payload, default=str))  # what the DB will give back
        digest = compute_hash(head, item.kind, item.actor, item.instance_id, item.task_id, item.created_at, payload)
        session.add(Event(kind=item.kind, actor=item.actor, instance_id=item.instance_id, task_id=item.task_id,
                          created_at=item.created_at, payload=payload, prev_hash=head, hash=digest))
        head = digest
    session.flush()


@sa_event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop("pending_events", None)


@dataclass
class ChainProblem:
    event_id: int
    message: str


def verify(session: Session) -> tuple[int, list[ChainProblem]]:
    """Walk the chain in order; returns (rows checked, problems naming the rows)."""
    problems: list[ChainProblem] = []
    head = GENESIS
    count = 0
    for row in session.scalars(select(Event).order_by(Event.id)).yield_per(1000):
        count += 1
        if row.prev_hash != head:
            problems.append(ChainProblem(row.id, "Verkettung unterbrochen: ein Eintrag davor wurde gelöscht "
                                                 "oder verändert."))
        expected = compute_hash(row.prev_hash, row.kind, row.actor, row.instance_id, row.task_id,
                                row.created_at, row.payload)
        if expected != row.hash:
            problems.append(ChainProblem(row.id, "Inhalt verändert (Prüfsumme stimmt nicht)."))
        head = row.hash
    return count, problems


def head(session: Session) -> tuple[int, str] | None:
    """The newest row's id and hash. Record it elsewhere (a ticket, a mail): the chain alone cannot
    show that rows were cut off its end; `contains(hash)` later can."""
    row = session.execute(select(Event.id, Event.hash).order_by(Event.id.desc()).limit(1)).first()
    return (row[0], row[1]) if row else None


def contains(session: Session, digest: str) -> bool:
    return session.scalar(select(Event.id).where(Event.hash == digest)) is not None
