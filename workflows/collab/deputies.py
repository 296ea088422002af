"""Vertretung: a person names a deputy for a period (Urlaub, Krankheit) on their account page.

During the period (days in the Landratsamt's time zone, both included) the deputy's inbox shows the
person's tasks marked "Vertretung", and the deputy may complete them: `authz.load_actor` gives the
deputy the principals of the day, which the engine's `check_may_complete` accepts. Four-eyes stays
with the deputy's own name. Naming and ending are audit events.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import or_, select
from sqlalchemy.orm import Session, selectinload

from workflows import audit
from workflows.errors import FieldError, Forbidden, NotFound, ValidationFailed
from workflows.formatting import format_date
from workflows.identity import authz
from workflows.storage.db import Database
from workflows.storage.models import Deputy, User

MAX_PERIOD = timedelta(days=366)
REASONS = ("Urlaub", "Krankheit", "Dienstreise", "Fortbildung", "Sonstiges")


@dataclass
class DeputyInfo:
    id: int
    principal: str
    principal_name: str
    deputy: str
    deputy_name: str
    starts_on: date
    ends_on: date
    reason: str
    active: bool


def _parse_day(value: object, field: str, label: str) -> date:
    if isinstance(value, date):
        return value
    text = str(value or "").strip()
    for parse in (date.fromisoformat, lambda t: date(int(t[6:10]), int(t[3:5]), int(t[0:2]))):
        try:
            if text:
                return parse(text)
        except (ValueError, IndexError):
            continue
    raise ValidationFailed([FieldError(f"/{field}", f"{label}: Bitte ein Datum angeben, z. B. 24.12.2026.")])


def name_deputy(db: Database, actor_name: str, deputy: str, starts_on: object, ends_on: object,
                reason: str = "") -> DeputyInfo:
    """The actor names `deputy` for the period; overlapping periods with other deputies are allowed."""
    start = _parse_day(starts_on, "starts_on", "Von")
    end = _parse_day(ends_on, "ends_on", "Bis")
    errors = []
    if end < start:
        errors.append(FieldError("/ends_on", "Bis: Das Ende darf nicht vor dem Beginn liegen."))
    elif end - start > MAX_PERIOD:
        errors.append(FieldError("/ends_on", "Bis: Eine Vertretung gilt höchstens ein Jahr."))
    elif end < authz.today():
        errors.append(FieldError("/ends_on", "Bis: Der Zeitraum ist schon vorbei."))
    reason = (reason or "").strip()
    if len(reason) > 200:
        errors.append(FieldError("/reason", "Anlass: Höchstens 200 Zeichen."))
    if not (deputy or "").strip():
        errors.append(FieldError("/deputy", "Vertretung: Bitte eine Person auswählen."))
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        principal = authz.load_actor(session, actor_name)
        target = session.scalars(select(User).where(User.username == deputy.strip())).first()
        if target is None or not target.active:
            raise ValidationFailed([FieldError("/deputy", "Vertretung: Unbekannter oder gesperrter Benutzer.")])
        try:
            authz.check_may_name_deputy(principal, authz.load_actor(session, target.username))
        except Forbidden as exc:
            raise ValidationFailed([FieldError("/deputy", f"Vertretung: {exc.message}")]) from exc
        row = Deputy(principal=principal.username, deputy=target.username, starts_on=start, ends_on=end,
                     reason=reason)
        session.add(row)
        session.flush()
        audit.record(session, "deputy_named", principal.username, None,
                     {"deputy": target.username, "from": start.isoformat(), "until": end.isoformat(),
                      "reason": reason})
        return _info(row, {principal.username: principal.display_name, target.username: target.display_name})


def end_deputy(db: Database, deputy_id: int, actor_name: str, note: str = "") -> DeputyInfo:
    """The principal (or the deputy) ends a Vertretung today; one that has not begun is withdrawn."""
    with db.write() as session:
        actor = authz.load_actor(session, actor_name)
        row = session.get(Deputy, deputy_id)
        if row is None or actor.username not in (row.principal, row.deputy):
            raise NotFound(f"Vertretung {deputy_id} nicht gefunden.")
        today = authz.today()
        if row.ends_on < today:
            raise ValidationFailed([], "Diese Vertretung ist bereits beendet.")
        ended = today - timedelta(days=1)
        row.ends_on = max(ended, row.starts_on - timedelta(days=1))
        audit.record(session, "deputy_ended", actor.username, None,
                     {"principal": row.principal, "deputy": row.deputy, "until": row.ends_on.isoformat(),
                      **({"note": note.strip()[:200]} if note.strip() else {})})
        return _info(row, _names(session, [row.principal, row.deputy]))


def _names(session: Session, usernames: list[str]) -> dict[str, str]:
    return dict(session.execute(select(User.username, User.display_name)
                                .where(User.username.in_(sorted(set(usernames))))).all())


def _info(row: Deputy, names: dict[str, str]) -> DeputyInfo:
    today = authz.today()
    return DeputyInfo(row.id, row.principal, names.get(row.principal, row.principal), row.deputy,
                      names.get(row.deputy, row.deputy), row.starts_on, row.ends_on, row.reason,
                      row.starts_on <= today <= row.ends_on)


@dataclass
class DeputyOverview:
    """The account page: whom I named, for whom I stand in, whom I could name."""

    named: list[DeputyInfo]
    standing_in: list[DeputyInfo]
    candidates: list[tuple[str, str]]


def overview(db: Database, actor_name: str) -> DeputyOverview:
    """Current and future Vertretungen of and for the actor (ended ones are in the audit log)."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        rows = list(session.scalars(select(Deputy).where(
            or_(Deputy.principal == actor.username, Deputy.deputy == actor.username),
            Deputy.ends_on >= authz.today()).order_by(Deputy.starts_on, Deputy.id)))
        names = _names(session, [u for r in rows for u in (r.principal, r.deputy)])
        infos = [_info(r, names) for r in rows]
        users = session.scalars(select(User).where(User.active.is_(True), User.username != actor.username)
                                .options(selectinload(User.roles), selectinload(User.gemeinde))
                                .order_by(User.display_name)).all()
        candidates = []
        for user in users:
            person = authz.Actor(user.username, user.display_name, user.role_keys,
                                 user.gemeinde.ags if user.gemeinde else None)
            try:
                authz.check_may_name_deputy(actor, person)
            except Forbidden:
                continue
            candidates.append((user.username, user.display_name))
        return DeputyOverview([i for i in infos if i.principal == actor.username],
                              [i for i in infos if i.deputy == actor.username], candidates)


def describe(info: DeputyInfo) -> str:
    return f"{format_date(info.starts_on)} bis {format_date(info.ends_on)}"
