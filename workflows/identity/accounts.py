"""Accounts: logging in with a brake on guessing, and the user administration.

Failed logins are counted in `login_throttle` under three keys, for known and unknown usernames
alike (the answer never reveals whether an account exists):

- the account from this client address (`name@address`): after `FREE_ATTEMPTS` failures every
  further attempt from there must wait an increasing delay (refused with 429 meanwhile);
- the client address over all accounts (`@address`): the same after `FREE_ADDRESS_ATTEMPTS`;
- the account from everywhere (`name`): never refused, so no stranger can lock a person out;
  after `FREE_ACCOUNT_ATTEMPTS` each attempt is only slowed down, up to `MAX_SLOWDOWN`.

Counting is atomic: the rows are locked (`FOR UPDATE` on PostgreSQL; SQLite serializes writers)
and the attempt is counted as a failure *before* the password is checked, so parallel guesses
cannot all pass the check; a success takes its count back and clears the account's counters.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, selectinload

from workflows import audit
from workflows.errors import FieldError, Forbidden, GrantflowError, NotFound, ValidationFailed
from workflows.identity import authz, users
from workflows.storage.db import Database
from workflows.storage.models import Gemeinde, Landkreis, LoginThrottle, Role, User, utcnow

FREE_ATTEMPTS = 5
FREE_ADDRESS_ATTEMPTS = 30
FREE_ACCOUNT_ATTEMPTS = 10
BASE_DELAY = timedelta(seconds=30)
MAX_DELAY = timedelta(minutes=15)
SLOWDOWN_STEP = 0.25
MAX_SLOWDOWN = 3.0
MIN_PASSWORD_LENGTH = 8


class LoginFailed(GrantflowError):
    """Wrong username or password; the message does not say which."""

    http_status = 401

    def __init__(self) -> None:
        super().__init__("Benutzername oder Passwort ist falsch.")


class LoginThrottled(GrantflowError):
    """Too many failures for this username from this address: wait before trying again."""

    http_status = 429

    def __init__(self, wait: timedelta) -> None:
        seconds = max(1, int(wait.total_seconds()))
        text = f"{-(-seconds // 60)} Minuten" if seconds > 90 else f"{seconds} Sekunden"
        super().__init__(f"Zu viele fehlgeschlagene Anmeldeversuche. Bitte warten Sie {text} "
                         "und versuchen Sie es dann erneut.")
        self.wait = wait


def delay_after(failures: int, free: int = FREE_ATTEMPTS) -> timedelta:
    """How long to wait after `failures` failed attempts (0 while below the free attempts)."""
    if failures < free:
        return timedelta(0)
    return min(BASE_DELAY * (2 ** min(failures - free, 16)), MAX_DELAY)


def slowdown_after(failures: int) -> float:
    """Seconds an attempt on an account under attack is held back (it is never refused)."""
    if failures < FREE_ACCOUNT_ATTEMPTS:
        return 0.0
    return min(SLOWDOWN_STEP * (failures - FREE_ACCOUNT_ATTEMPTS + 1), MAX_SLOWDOWN)


def _key(username: str) -> str:
    return (username or "").strip().lower()[:150]


@dataclass(frozen=True)
class _Keys:
    account: str
    pair: str
    address: str

    @classmethod
    def of(cls, username: str, address: str) -> _Keys:
        name, where = _key(username), (address or "unbekannt").strip()[:45]
        return cls(name, f"{name}@{where}", f"@{where}")


def _locked_rows(session: Session, keys: Iterable[str]) -> dict[str, LoginThrottle]:
    """The throttle rows of `keys`, created if missing and locked until the transaction ends."""
    ordered = sorted(set(keys))  # one lock order for everyone: no deadlocks
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    session.execute(dialect.insert(LoginThrottle).values([{"key": k, "failures": 0} for k in ordered])
                    .on_conflict_do_nothing())
    rows = session.scalars(select(LoginThrottle).where(LoginThrottle.key.in_(ordered))
                           .order_by(LoginThrottle.key).with_for_update().execution_options(populate_existing=True))
    return {row.key: row for row in rows}


def _wait(row: LoginThrottle, free: int, moment: datetime) -> timedelta:
    if row.last_failure_at is None:
        return timedelta(0)
    return max(timedelta(0), row.last_failure_at + delay_after(row.failures, free) - moment)


def _reserve_attempt(db: Database, keys: _Keys, moment: datetime) -> int:
    """Refuse while this address must wait; else count the attempt as failed. Returns the account's failures."""
    with db.write() as session:
        rows = _locked_rows(session, [keys.account, keys.pair, keys.address])
        wait = max(_wait(rows[keys.pair], FREE_ATTEMPTS, moment),
                   _wait(rows[keys.address], FREE_ADDRESS_ATTEMPTS, moment))
        if wait > timedelta(0):
            raise LoginThrottled(wait)
        account_failures = rows[keys.account].failures
        for row in rows.values():
            row.failures = (row.failures or 0) + 1
            row.last_failure_at = moment
        return account_failures


def authenticate(db: Database, username: str, password: str, now: datetime | None = None, *,
                 address: str = "", sleep: Callable[[float], None] = time.sleep) -> str:
    """Check the password; returns the canonical username or raises `LoginFailed`/`LoginThrottled`."""
    keys = _Keys.of(username, address)
    account_failures = _reserve_attempt(db, keys, now or utcnow())
    held_back = slowdown_after(account_failures)
    if held_back:
        sleep(held_back)
    with db.read() as session:
        user = session.scalars(select(User).where(User.username == keys.account)).first() if keys.account else None
    if not users.verify_password(user, password or ""):
        raise LoginFailed()
    assert user is not None
    with db.write() as session:
        rows = _locked_rows(session, [keys.account, keys.pair, keys.address])
        session.delete(rows[keys.account])
        session.delete(rows[keys.pair])
        rows[keys.address].failures = max(0, rows[keys.address].failures - 1)
        audit.record(session, "login", user.username, None, {})
    return user.username


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


COMMAND_LINE = "kommandozeile"  # the actor of `grantflow user create` in the audit log


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
    errors = _input_errors(username, display_name, roles, gemeinde_ags, password, create)
    with db.read() as session:  # who may, before what is wrong with the input (no hints to others)
        _require_admin(session, actor_name)
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        actor = _require_admin(session, actor_name)
        return _store_user(session, actor.username, username=username, display_name=display_name, roles=roles,
                           gemeinde_ags=gemeinde_ags, email=email, password=password, create=create)


def create_user_on_command_line(db: Database, *, username: str, display_name: str, roles: Iterable[str],
                                gemeinde_ags: str | None, email: str, password: str) -> UserInfo:
    """`grantflow user create`: whoever runs the command line holds the database already, so this is how
    the first administrator of a new database comes about; the same checks as the admin page's."""
    username = (username or "").strip().lower()
    roles = sorted(set(roles))
    errors = _input_errors(username, display_name, roles, gemeinde_ags, password, True)
    if errors:
        raise ValidationFailed(errors)
    with db.write() as session:
        return _store_user(session, COMMAND_LINE, username=username, display_name=display_name, roles=roles,
                           gemeinde_ags=gemeinde_ags, email=email, password=password, create=True)


def _input_errors(username: str, display_name: str, roles: list[str], gemeinde_ags: str | None,
                  password: str | None, create: bool) -> list[FieldError]:
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
    return errors


def _store_user(session: Session, actor: str, *, username: str, display_name: str, roles: list[str],
                gemeinde_ags: str | None, email: str, password: str | None, create: bool) -> UserInfo:
    existing = session.scalars(select(User).where(User.username == username)).first()
    if create and existing is not None:
        raise ValidationFailed([FieldError("/username", f"Den Benutzer '{username}' gibt es bereits.")])
    if not create and existing is None:
        raise NotFound(f"Benutzer '{username}' nicht gefunden.")
    password_hash = users.hash_password(password) if password else existing.password_hash  # type: ignore[union-attr]
    user = users.upsert_user(session, username, display_name.strip(), roles, password_hash,
                             gemeinde_ags=gemeinde_ags or None, email=(email or "").strip(), actor=actor)
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
