"""The append-only audit log, MAC-chained so that editing, deleting or cutting off rows is detectable.

Each row carries HMAC-SHA256(key, previous row's MAC + its fields + the SHA-256 of its payload); rows
written before the payload hash (migration 0010) cover the payload itself and are verified so. A payload
may be redacted later (the Löschkonzept, `redact`): the run records, in its own chained event, a keyed
attestation per redacted row, and `verify` accepts a changed payload only with a matching attestation.
The key does not live in the database (`workflows.audit.keys`), so whoever can write the table cannot
recompute the chain after a rewrite. After each commit that wrote events, the new head (id and MAC)
is appended to an anchor file outside the database (`Database.audit_anchor`, one line per commit, append-only); `verify`
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
#: the event that records a run of the Löschkonzept, with the attestations of the payloads it redacted
RETENTION_EVENT = "retention_applied"
_ADVISORY_LOCK_KEY = 7_201_704  # any constant: the chain has one head
#: German labels of the event kinds that a part the web does not know records (the programme's own)
LABELS: dict[str, str] = {}


def label(kind: str, text: str) -> str:
    """Give an event kind its German label (shown in the history) where it is recorded; returns the kind."""
    LABELS[kind] = text
    return kind


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


def _canonical(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str).encode("utf-8")


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of a payload as stored: what the chain covers (so a redacted payload still verifies)."""
    return hashlib.sha256(_canonical(payload)).hexdigest()


def compute_hash(prev_hash: str, kind: str, actor: str | None, instance_id: int | None,
                 task_id: int | None, created_at: datetime, payload: dict[str, Any] | None, key: bytes | None = None,
                 *, payload_hash: str | None = None) -> str:
    """The row's MAC. Rows since migration 0010 cover `payload_hash` (the SHA-256 of the payload); older
    rows (`payload_hash` None) cover the payload itself and are verified that way."""
    covered: Any = f"sha256:{payload_hash}" if payload_hash is not None else payload
    body = _canonical([prev_hash, kind, actor, instance_id, task_id, created_at.isoformat(), covered])
    return hmac.new(key if key is not None else audit_key(), body, hashlib.sha256).hexdigest()


def _attestation_body(row: Event, redacted_digest: str) -> bytes:
    return _canonical(["redacted", row.id, row.hash, row.kind, row.actor, row.instance_id, row.task_id,
                       row.created_at.isoformat(), row.payload_hash, redacted_digest])


def redact(row: Event, payload: dict[str, Any], key: bytes | None = None) -> str:
    """Replace a row's payload (the Löschkonzept). Returns the attestation (a MAC binding the row's fields
    and hash to its new payload) that the caller records in a `retention_applied` event's payload under
    `redactions` {event id: attestation}; `verify` accepts the changed payload only with it."""
    key = key if key is not None else audit_key()
    if not _row_holds(row, key, None):
        raise ValueError(f"Protokolleintrag {row.id} ist schon verändert; er wird nicht geschwärzt.")
    row.payload = json.loads(json.dumps(payload, default=str))
    return hmac.new(key, _attestation_body(row, payload_digest(row.payload)), hashlib.sha256).hexdigest()


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
        payload_hash = payload_digest(payload)
        digest = compute_hash(head, item.kind, item.actor, item.instance_id, item.task_id, item.created_at, None,
                              key, payload_hash=payload_hash)
        row = Event(kind=item.kind, actor=item.actor, instance_id=item.instance_id, task_id=item.task_id,
                    created_at=item.created_at, payload=payload, payload_hash=payload_hash, prev_hash=head,
                    hash=digest)
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
    attested = _attestations(session)
    for row in session.scalars(select(Event).order_by(Event.id)).yield_per(1000):
        count += 1
        if row.prev_hash != head:
            problems.append(ChainProblem(row.id, "Verkettung unterbrochen: ein Eintrag davor wurde gelöscht "
                                                 "oder verändert."))
        if not _row_holds(row, key, attested.get(row.id)):
            problems.append(ChainProblem(row.id, "Inhalt verändert (Prüfsumme stimmt nicht)."))
        head = row.hash
    problems.extend(_anchor_problems(session))
    return count, problems


def _attestations(session: Session) -> dict[int, str]:
    """Event id -> the attestation of its redaction, from the `retention_applied` events."""
    found: dict[int, str] = {}
    for payload in session.scalars(select(Event.payload).where(Event.kind == RETENTION_EVENT)):
        for event_id, mac in (payload.get("redactions") or {}).items():
            if str(event_id).isdigit():
                found[int(event_id)] = str(mac)
    return found


def _row_holds(row: Event, key: bytes, attestation: str | None) -> bool:
    """The row's MAC holds, and its payload is the one covered, or a redaction attested by the retention."""
    if row.payload_hash is None:  # a row from before payload hashes: the MAC covers the payload itself
        chained = hmac.compare_digest(compute_hash(row.prev_hash, row.kind, row.actor, row.instance_id,
                                                   row.task_id, row.created_at, row.payload, key), row.hash)
        if chained:
            return True
    else:
        expected = compute_hash(row.prev_hash, row.kind, row.actor, row.instance_id, row.task_id, row.created_at,
                                None, key, payload_hash=row.payload_hash)
        if not hmac.compare_digest(expected, row.hash):
            return False
        if payload_digest(row.payload) == row.payload_hash:
            return True
    if attestation is None:
        return False
    expected_attestation = hmac.new(key, _attestation_body(row, payload_digest(row.payload)), hashlib.sha256)
    return hmac.compare_digest(expected_attestation.hexdigest(), attestation)


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
