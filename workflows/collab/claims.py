"""Übernehmen, Zurückgeben, Zuweisen: who works on an open task, and what the inbox shows about it.

A claim does not hide the task from colleagues: they see who works on it, and only the claimant (or
their deputy) completes it until it is given back (`authz.check_claim`, asked by the engine). The
team lead (`authz.TEAM_LEAD_ROLE`) hands a task to someone else. Each change is an audit event of the task.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workflows import audit, formatting
from workflows.collab.notify import notify_user
from workflows.errors import Conflict, Forbidden, NotFound, TaskAlreadyCompleted
from workflows.identity import authz
from workflows.inbox.shapes import TaskSummary, task_summary
from workflows.storage.db import Database
from workflows.storage.models import ProcessInstance, TaskClaim, TaskRow, User, utcnow


@dataclass
class ClaimInfo:
    """What a task's page and the inbox say about who works on it, and what the actor may do."""

    task_id: int
    claimed_by: str | None
    claimed_by_name: str | None
    claimed_at: datetime | None
    assigned_by: str | None
    mine: bool
    vertretung_fuer: str | None
    vertretung_fuer_name: str | None
    may_claim: bool
    claim_refusal: str | None
    may_release: bool
    may_assign: bool


def _names(session: Session, usernames: Iterable[str]) -> dict[str, str]:
    wanted = sorted(set(usernames))
    if not wanted:
        return {}
    return dict(session.execute(select(User.username, User.display_name).where(User.username.in_(wanted))).all())


def _info(session: Session, actor: authz.Actor, row: TaskRow, claim: TaskClaim | None,
          names: dict[str, str]) -> ClaimInfo:
    principal = authz.deputised_for(actor, row)
    refusal = authz.may_claim(session, actor, row) if claim is None else None
    return ClaimInfo(
        row.id, claim.username if claim else None, names.get(claim.username, claim.username) if claim else None,
        claim.claimed_at if claim else None, claim.assigned_by if claim else None,
        bool(claim and claim.username == actor.username),
        principal.username if principal else None, principal.display_name if principal else None,
        claim is None and refusal is None, refusal,
        claim is not None and row.status == "ready" and authz.may_release(actor, claim),
        authz.may_assign(actor, row))


def marks(session: Session, actor: authz.Actor, rows: list[TaskRow]) -> dict[int, ClaimInfo]:
    """Claim and Vertretung of the listed tasks, in two queries (for a page of the inbox)."""
    claims = {c.task_id: c for c in session.scalars(
        select(TaskClaim).where(TaskClaim.task_id.in_([r.id for r in rows])))} if rows else {}
    names = _names(session, (c.username for c in claims.values()))
    return {r.id: _info(session, actor, r, claims.get(r.id), names) for r in rows}


def inbox_marks(db: Database, actor_name: str, task_ids: list[int]) -> dict[int, ClaimInfo]:
    """`marks` for task ids the actor sees (others are left out)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        rows = list(session.scalars(select(TaskRow).where(TaskRow.id.in_(task_ids)))) if task_ids else []
        return marks(session, actor, [r for r in rows if authz.may_see_task(actor, r)])


def _visible_row(session: Session, actor: authz.Actor, task_id: int) -> TaskRow:
    row = session.get(TaskRow, task_id)
    if row is None or not (authz.may_see_task(actor, row) or authz.may_assign(actor, row)):
        raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
    return row


def claim_info(db: Database, task_id: int, actor_name: str) -> ClaimInfo:
    with db.read() as session:
        return read_claim(session, authz.load_actor(session, actor_name), task_id)


def read_claim(session: Session, actor: authz.Actor, task_id: int) -> ClaimInfo:
    row = _visible_row(session, actor, task_id)
    claim = session.get(TaskClaim, row.id)
    return _info(session, actor, row, claim, _names(session, [claim.username] if claim else []))


def _still_open(session: Session, row: TaskRow) -> None:
    """A task done meanwhile cannot be claimed, released or assigned: who did it and when (also for machines)."""
    if row.status != "completed":
        return
    name = _names(session, [row.completed_by]).get(row.completed_by) if row.completed_by else None
    when = formatting.format_datetime(row.completed_at) if row.completed_at else None
    raise TaskAlreadyCompleted(name or row.completed_by, when, username=row.completed_by,
                               completed_at=row.completed_at)


def _note(note: str) -> dict[str, str]:
    return {"note": note.strip()[:200]} if note and note.strip() else {}


def _taken(session: Session, claim: TaskClaim) -> Conflict:
    name = _names(session, [claim.username]).get(claim.username, claim.username)
    return Conflict(f"{name} hat diese Aufgabe bereits übernommen.")


def claim(db: Database, task_id: int, actor_name: str, note: str = "") -> ClaimInfo:
    """Übernehmen: the actor works on the task from now on (`note` goes into the audit event)."""
    try:
        with db.write() as session:
            actor = authz.load_actor(session, actor_name)
            row = _visible_row(session, actor, task_id)
            _still_open(session, row)
            existing = session.get(TaskClaim, row.id)
            if existing is not None:
                if existing.username == actor.username:
                    raise Conflict("Sie haben diese Aufgabe bereits übernommen.")
                raise _taken(session, existing)
            refusal = authz.may_claim(session, actor, row)
            if refusal:
                raise Forbidden(refusal)
            session.add(TaskClaim(task_id=row.id, username=actor.username, claimed_at=utcnow()))
            session.flush()
            principal = authz.deputised_for(actor, row)
            audit.record(session, "task_claimed", actor.username, row.instance_id,
                         {"title": row.title, "user": actor.username, **_note(note),
                          **({"vertretung_fuer": principal.username} if principal else {})}, task_id=row.id)
    except IntegrityError as exc:  # someone else claimed it at the same moment
        with db.read() as session:
            existing = session.get(TaskClaim, task_id)
            if existing is None:
                raise
            raise _taken(session, existing) from exc
    return claim_info(db, task_id, actor_name)


def release(db: Database, task_id: int, actor_name: str, note: str = "") -> ClaimInfo:
    """Zurückgeben: the task is open to everyone entitled again."""
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        row = _visible_row(session, actor, task_id)
        _still_open(session, row)
        existing = session.get(TaskClaim, row.id)
        if existing is None:
            raise Conflict("Diese Aufgabe hat niemand übernommen.")
        if row.status != "ready":
            raise Conflict("Diese Aufgabe ist nicht mehr offen.")
        if not authz.may_release(actor, existing):
            raise Forbidden(f"Zurückgeben kann nur, wer die Aufgabe übernommen hat, oder die {authz.TEAM_LEAD_ROLE}.")
        audit.record(session, "task_released", actor.username, row.instance_id,
                     {"title": row.title, "user": existing.username, **_note(note)}, task_id=row.id)
        session.delete(existing)
    return claim_info(db, task_id, actor_name)


def assign(db: Database, task_id: int, username: str, actor_name: str) -> ClaimInfo:
    """The team lead hands the task to `username`, who must be able to complete it (four-eyes included)."""
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        row = _visible_row(session, actor, task_id)
        _still_open(session, row)
        if not authz.may_assign(actor, row):
            raise Forbidden(f"Aufgaben zuweisen darf die {authz.TEAM_LEAD_ROLE}, für offene Aufgaben der Rollen "
                            f"{', '.join(sorted(authz.TEAM_LANES))}.")
        target_user = session.scalars(select(User).where(User.username == username)).first()
        if target_user is None or not target_user.active:
            raise NotFound(f"Unbekannter oder gesperrter Benutzer '{username}'.")
        target = authz.load_actor(session, username)
        try:
            authz.check_may_complete(session, target, row, ignore_claim=True)
        except Forbidden as exc:
            raise Forbidden(f"{target.display_name} kann diese Aufgabe nicht erledigen: {exc.message}") from exc
        existing = session.get(TaskClaim, row.id)
        previous = existing.username if existing else None
        if existing is None:
            session.add(TaskClaim(task_id=row.id, username=target.username, claimed_at=utcnow(),
                                  assigned_by=actor.username))
        else:
            existing.username, existing.claimed_at, existing.assigned_by = target.username, utcnow(), actor.username
        notify_user(session, f"assigned:{row.id}:{utcnow().isoformat()}", target.username, row.instance,
                    f"Aufgabe zugewiesen: {row.title}",
                    f"{actor.display_name} hat Ihnen die Aufgabe „{row.title}“ zugewiesen.", actor.username)
        audit.record(session, "task_assigned", actor.username, row.instance_id,
                     {"title": row.title, "user": target.username, "previous": previous}, task_id=row.id)
    return claim_info(db, task_id, actor_name)


def candidates(db: Database, task_id: int, actor_name: str) -> list[tuple[str, str]]:
    """(username, name) of the active users the team lead could hand this task to."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        row = _visible_row(session, actor, task_id)
        if not authz.may_assign(actor, row):
            return []
        result = []
        for user in authz.audience(session, role=row.lane):
            try:
                authz.check_may_complete(session, authz.load_actor(session, user.username), row, ignore_claim=True)
            except Forbidden:
                continue
            result.append((user.username, user.display_name))
        return result


@dataclass
class TeamTask:
    task: TaskSummary
    claim: ClaimInfo


def team_tasks(db: Database, actor_name: str, limit: int = 200) -> list[TeamTask]:
    """The team lead's overview: open tasks of `authz.TEAM_LANES` and who works on them, by due date."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        if authz.TEAM_LEAD_ROLE not in actor.roles:
            raise Forbidden(f"Die Teamübersicht ist der {authz.TEAM_LEAD_ROLE} vorbehalten.")
        rows = session.execute(
            select(TaskRow, ProcessInstance.business_key).join(ProcessInstance)
            .where(TaskRow.status == "ready", TaskRow.lane.in_(sorted(authz.TEAM_LANES)),
                   TaskRow.assignee_user.is_(None))
            .order_by(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.id).limit(limit)).all()
        infos = marks(session, actor, [r for r, _ in rows])
        return [TeamTask(task_summary(r, key), infos[r.id]) for r, key in rows]


def task_summary_of(db: Database, task_id: int) -> TaskSummary:
    """The task's summary for the assign page (its visibility was checked by `claim_info`)."""
    with db.read() as session:
        row = session.get(TaskRow, task_id)
        if row is None:
            raise NotFound(f"Aufgabe {task_id} nicht gefunden.")
        return task_summary(row, row.instance.business_key)
