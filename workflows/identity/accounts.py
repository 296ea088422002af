"""Accounts: logging in with a brake on guessing, and the user administration.

Failed logins are counted per username (known or not, so the answer never reveals whether an
account exists) in `login_throttle`. After `FREE_ATTEMPTS` failures every further attempt must
wait an increasing delay; a successful login clears the counter.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from workflows import audit
from workflows.errors import FieldError, Forbidden, GrantflowError, NotFound, ValidationFailed
from workflows.identity import authz, users
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, Landkreis, LoginThrottle, Role, User, utcnow

FREE_ATTEMPTS = 5
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 8


class LoginFailed(GrantflowError):
    """Wrong username or password; the message does not say which."""

    http_status = 401

    def __init__(self) -> None:
        super().__init__("Benutzername oder Passwort ist falsch.")


class LoginThrottled(GrantflowError):
    """Too many failures for this username: wait before trying again."""

    http_status = 429

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, int(wait.total_seconds()))
        text = f"{-(-seconds // 60)} Minuten" if seconds > 90 else f"{seconds} Sekunden"
        super().__init__(f"Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {text} "
                         "und versuchen Sie es dann erneut.")
        self.wait = wait


def delay_after(failures: int) -> timedelta:
    """How long to wait after `failures` failed attempts (0 while below the free attempts)."""
    if failures < FREE_ATTEMPTS:
        return timedelta(0)
    return min(BASE_DELAY * (2 ** min(failures - FREE_ATTEMPTS, 16)), MAX_DELAY)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:200]


def authenticate(db: Database, username: str, password: str, now: datetime | None = None) -> str:
    """Check the password; returns the canonical username or raises `LoginFailed`/`LoginThrottled`."""
    moment = now or utcnow()
    key = _key(username)
    with db.write() as session:
        throttle = session.get(LoginThrottle, key)
        if throttle is not None and throttle.last_failure_at is not None:
            wait_until = throttle.last_failure_at + delay_after(throttle.failures)
            if wait_until > moment:
                raise LoginThrottled(wait_until - moment)
        user = session.scalars(select(User).where(User.username == key)).first() if key else None
        if users.verify_password(user, password or ""):
            assert user is not None
            if throttle is not None:
                session.delete(throttle)
            audit.record(session, "login", user.username, None, {})
            return user.username
    # count the failure in its own transaction (the block above must not roll it back)
    with db.write() as session:
        throttle = session.get(LoginThrottle, key)
        if throttle is None:
            throttle = LoginThrottle(key=key, failures=0)
            session.add(throttle)
        throttle.failures = (throttle.failures or 0) + 1
        throttle.last_failure_at = moment
    raise LoginFailed()


# --------------------------------------------------------------------------- administration

@dataclass
class UserInfo:
    username: str
    display_name: str
    email: str
    active: bool
    roles: list[str]
    gemeinde_ags: str | None
    gemeinde_name: str | None


@dataclass
class AdminChoices:
    roles: list[tuple[str, str]]
    gemeinden: list[tuple[str, str]]


def _info(user: User) -> UserInfo:
    return UserInfo(user.username, user.display_name, user.email, user.active, sorted(user.role_keys),
                    user.gemeinde.ags if user.gemeinde else None, user.gemeinde.name if user.gemeinde else None)


def _require_admin(session: Session, actor_name: str) -> authz.Actor:
    actor = authz.load_actor(session, actor_name)
    if not actor.is_admin:
        raise Forbidden("Die Verwaltung ist der Rolle 'Administration' vorbehalten.")
    return actor


def list_users(db: Database, actor_name: str, *, query: str = "", page: int = 1,
               per_page: int = 50) -> tuple[list[UserInfo], int]:
    """Users by name (filtered by a search text), for administrators."""
    with db.read() as session:
        _require_admin(session, actor_name)
        filters = []
        if query.strip():
            like = f"%{query.strip().lower()}%"
            filters.append(func.lower(User.username).like(like) | func.lower(User.display_name).like(like))
        total = session.scalar(select(func.count()).select_from(User).where(*filters)) or 0
        rows = session.scalars(select(User).where(*filters).options(selectinload(User.roles),
                                                                    selectinload(User.gemeinde))
                               .order_by(User.username).offset((max(1, page) - 1) * per_page).limit(per_page))
        return [_info(u) for u in rows], total


def get_user(db: Database, actor_name: str, username: str) -> UserInfo:
    with db.read() as session:
        _require_admin(session, actor_name)
        user = session.scalars(select(User).where(User.username == username)
                               .options(selectinload(User.roles), selectinload(User.gemeinde))).first()
        if user is None:
            raise NotFound(f"Benutzer '{username}' nicht gefunden.")
        return _info(user)


def admin_choices(db: Database) -> AdminChoices:
    """Roles and Gemeinden to choose from in the user form."""
    with db.read() as session:
        roles = [(r.key, r.label) for r in session.scalars(select(Role).order_by(Role.key))]
        gemeinden = [(g.ags, g.name) for g in session.scalars(select(Gemeinde).order_by(Gemeinde.name))]
        return AdminChoices(roles, gemeinden)


def list_landkreise(db: Database) -> list[tuple[str, str]]:
    """(key, name) of every Landkreis, for the start form of a round."""
    with db.read() as session:
        return [(k.key, k.name) for k in session.scalars(select(Landkreis).order_by(Landkreis.name))]


def save_user(db: Database, actor_name: str, *, username: str, display_name: str, roles: Iterable[str],
              gemeinde_ags: str | None, email: str = "", password: str | None = None,
              create: bool = False) -> UserInfo:
    """Create (`create=True`) or update a user; a new password is set only when given."""
    username = (username or "").strip().lower()
    roles = sorted(set(roles))
    errors = []
    if not username or not all(c.isalnum() or c in "-_." for c in username):
        errors.append(FieldError("/username", "Bitte einen Benutzernamen aus Buchstaben, Ziffern, '-', '_', '.' "
                                              "angeben."))
    if not (display_name or "").strip():
        errors.append(FieldError("/display_name", "Bitte einen Namen angeben."))
    if password and len(password) < MIN_PASSWORD_LENGTH:
        errors.append(FieldError("/password", f"Das Passwort muss mindestens {MIN_PASSWORD_LENGTH} Zeichen haben."))
    if create and not password:
        errors.append(FieldError("/password", "Bitte ein Anfangspasswort vergeben."))
    if "Gemeinde" in roles and not gemeinde_ags:
        errors.append(FieldError("/gemeinde_ags", "Wer die Rolle 'Gemeinde' hat, braucht eine Gemeinde."))
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        actor = _require_admin(session, actor_name)
        existing = session.scalars(select(User).where(User.username == username)).first()
        if create and existing is not None:
            raise ValidationFailed([FieldError("/username", f"Den Benutzer '{username}' gibt es bereits.")])
        if not create and existing is None:
            raise NotFound(f"Benutzer '{username}' nicht gefunden.")
        password_hash = users.hash_password(password) if password else existing.password_hash  # type: ignore[union-attr]
        user = users.upsert_user(session, username, display_name.strip(), roles, password_hash,
                                 gemeinde_ags=gemeinde_ags or None, email=(email or "").strip(),
                                 actor=actor.username)
        user.password_hash = password_hash
        session.flush()
        return _info(user)


def set_active(db: Database, actor_name: str, username: str, active: bool) -> UserInfo:
    """Deactivate (or reactivate) a user; an administrator cannot deactivate themself."""
    with db.write() as session:
        actor = _require_admin(session, actor_name)
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFound(f"Benutzer '{username}' nicht gefunden.")
        if user.username == actor.username and not active:
            raise ValidationFailed([FieldError("/active", "Sie können sich nicht selbst deaktivieren.")])
        user.active = active
        audit.record(session, "user_activated" if active else "user_deactivated", actor.username, None,
                     {"username": username})
        session.flush()
        return _info(user)
