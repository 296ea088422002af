"""Personal API tokens: create, list, revoke, authenticate.

A token is 32 random bytes (`secrets.token_urlsafe`) with a `gf_` prefix, shown once at
creation. Only its SHA-256 is stored. A fast, unsalted hash is the right choice here (unlike
for passwords): the plaintext has 256 bits of entropy, so there is nothing to guess or
precompute, and a deterministic hash lets `authenticate` find the row by an indexed lookup.

A token carries no roles of its own: `authenticate` returns the username, and every request
resolves that user's current roles through the engine (`authz.load_actor`). Deactivating the
user or revoking the token takes effect on the next request.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workflows import audit
from workflows.errors import FieldError, NotFound, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import ApiToken, User, utcnow

PREFIX = "gf_"
MAX_TOKEN_LENGTH = 200
# `last_used_at` is written at most this often per token, so reads stay reads.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class TokenInfo:
    """What may be shown about a token: never the plaintext or the hash."""

    id: int
    username: str
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def active(self) -> bool:
        return self.revoked_at is None


def hash_token(plaintext: str) -> str:
    """SHA-256 hex of the token (see the module docstring for why a fast hash suffices)."""
    return hashlib.sha256(plaintext.encode("utf-8", "surrogatepass")).hexdigest()


def _info(token: ApiToken, username: str) -> TokenInfo:
    return TokenInfo(token.id, username, token.name, token.created_at, token.last_used_at, token.revoked_at)


def _user(session: Session, username: str) -> User:
    user = session.scalars(select(User).where(User.username == username.strip().lower())).first()
    if user is None:
        raise NotFound(f"Unbekannter Benutzer '{username}'.")
    return user


def create_token(db: Database, username: str, name: str = "", actor: str | None = None) -> tuple[int, str]:
    """Create a token for `username`; returns (token id, plaintext). The plaintext is not kept."""
    name = (name or "").strip()
    if len(name) > 200:
        raise ValidationFailed([FieldError("/name", "Höchstens 200 Zeichen.")])
    plaintext = PREFIX + secrets.token_urlsafe(32)
    with db.write() as session:
        user = _user(session, username)
        if not user.active:
            raise ValidationFailed([FieldError("/username", f"Der Benutzer '{user.username}' ist gesperrt.")])
        token = ApiToken(user_id=user.id, name=name, token_hash=hash_token(plaintext))
        session.add(token)
        session.flush()
        audit.record(session, "api_token_created", actor or user.username, None,
                     {"token_id": token.id, "username": user.username, "name": name})
        return token.id, plaintext


def list_tokens(db: Database, username: str) -> list[TokenInfo]:
    """All tokens of a user (active and revoked), newest first."""
    with db.read() as session:
        user = _user(session, username)
        rows = session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)
                               .order_by(ApiToken.created_at.desc(), ApiToken.id.desc()))
        return [_info(t, user.username) for t in rows]


def revoke_token(db: Database, token_id: int, username: str | None = None, actor: str | None = None) -> TokenInfo:
    """Revoke a token (idempotent). With `username`, only a token of that user is found."""
    with db.write() as session:
        token = session.get(ApiToken, token_id)
        owner = token.user.username if token is not None else None
        if token is None or (username is not None and owner != username.strip().lower()):
            raise NotFound(f"API-Token {token_id} nicht gefunden.")
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            audit.record(session, "api_token_revoked", actor or username or owner, None,
                         {"token_id": token.id, "username": owner})
        session.flush()
        return _info(token, owner or "")


def _touch(token_id: int, now: datetime) -> Any:
    """Write `last_used_at`, unless a request at the same time already did."""
    return update(ApiToken).where(
        ApiToken.id == token_id,
        or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_RESOLUTION),
    ).values(last_used_at=now)


def authenticate(db: Database, plaintext: str | None) -> str | None:
    """The username an active token belongs to, or None. Updates `last_used_at` (coarsely).

    It runs on every API request, so on PostgreSQL it costs one statement (two when `last_used_at`
    is due), each on its own outside a transaction: a session's BEGIN/ROLLBACK and a second
    transaction that loaded the token again were five more round trips to the database per request.
    On SQLite the write is its own `BEGIN IMMEDIATE` transaction (`Database.write`): a read that
    then writes would fail with "database is locked" while a step writes.
    """
    if not plaintext or len(plaintext) > MAX_TOKEN_LENGTH or not plaintext.startswith(PREFIX):
        return None
    digest = hash_token(plaintext)
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        found = conn.execute(
            select(ApiToken.id, ApiToken.last_used_at, User.username).join(User)
            .where(ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None), User.active.is_(True))
        ).first()
        if found is None:
            return None
        token_id, last_used, username = found
        now = utcnow()
        due = last_used is None or now - last_used >= LAST_USED_RESOLUTION
        if due and not db.is_sqlite:
            conn.execute(_touch(token_id, now))
    if due and db.is_sqlite:
        with db.write() as session:
            session.execute(_touch(token_id, now))
    return str(username)
