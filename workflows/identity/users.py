"""User accounts: creation, passwords (scrypt via werkzeug.security), role and Gemeinde membership."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from workflows import audit
from workflows.errors import FieldError, NotFound, ValidationFailed
from workflows.storage.models import Gemeinde, Role, User

# A fixed hash to compare against when the user does not exist, so timing reveals nothing.
_DUMMY_HASH = generate_password_hash("grantflow-dummy-password")


def hash_password(password: str) -> str:
    return generate_password_hash(password)


def verify_password(user: User | None, password: str) -> bool:
    if user is None or not user.active:
        check_password_hash(_DUMMY_HASH, password)
        return False
    return check_password_hash(user.password_hash, password)


def ensure_role(session: Session, key: str, label: str) -> Role:
    role = session.scalars(select(Role).where(Role.key == key)).first()
    if role is None:
        role = Role(key=key, label=label)
        session.add(role)
        session.flush()
    else:
        role.label = label
    return role


def upsert_user(session: Session, username: str, display_name: str, roles: Iterable[str],
                password_hash: str, gemeinde_ags: str | None = None, email: str = "",
                actor: str | None = None) -> User:
    """Create or update a user with exactly these roles (keys) and Gemeinde."""
    username = username.strip().lower()
    if not username:
        raise ValidationFailed([FieldError("/username", "Bitte einen Benutzernamen angeben.")])
    role_rows = []
    for key in roles:
        role = session.scalars(select(Role).where(Role.key == key)).first()
        if role is None:
            raise NotFound(f"Unbekannte Rolle '{key}'.")
        role_rows.append(role)
    gemeinde = None
    if gemeinde_ags:
        gemeinde = session.scalars(select(Gemeinde).where(Gemeinde.ags == gemeinde_ags)).first()
        if gemeinde is None:
            raise NotFound(f"Unbekannte Gemeinde (AGS {gemeinde_ags}).")
    user = session.scalars(select(User).where(User.username == username)).first()
    created = user is None
    if user is None:
        user = User(username=username, password_hash=password_hash, display_name=display_name)
        session.add(user)
    user.display_name = display_name
    user.email = email
    user.roles = role_rows
    user.gemeinde = gemeinde
    session.flush()
    audit.record(session, "user_created" if created else "user_updated", actor, None,
                 {"username": username, "roles": sorted(r.key for r in role_rows), "gemeinde": gemeinde_ags})
    return user
