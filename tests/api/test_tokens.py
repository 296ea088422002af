"""API tokens: stored only as SHA-256, revocable, carry exactly their user's roles; the CLI commands."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import select, update

from webapp.cli import main
from workflows.errors import NotFound
from workflows.identity import tokens
from workflows.storage.db import Database
from workflows.storage.models import ApiToken, Event, User


def test_create_stores_only_the_hash_and_authenticates(sqlite_db: Database) -> None:
    token_id, plaintext = tokens.create_token(sqlite_db, "sachbearbeitung", "Fachverfahren")
    assert plaintext.startswith("gf_") and len(plaintext) > 40
    with sqlite_db.read() as session:
        row = session.get(ApiToken, token_id)
        assert row is not None
        assert row.token_hash == hashlib.sha256(plaintext.encode()).hexdigest()
        assert plaintext not in str(row.__dict__)
        assert row.last_used_at is None
        kinds = session.scalars(select(Event.kind)).all()
    assert "api_token_created" in kinds
    assert tokens.authenticate(sqlite_db, plaintext) == "sachbearbeitung"
    (info,) = tokens.list_tokens(sqlite_db, "sachbearbeitung")
    assert info.id == token_id and info.name == "Fachverfahren" and info.active and info.last_used_at is not None


def test_unknown_malformed_and_revoked_tokens_are_refused(sqlite_db: Database) -> None:
    token_id, plaintext = tokens.create_token(sqlite_db, "offenburg")
    assert tokens.authenticate(sqlite_db, None) is None
    assert tokens.authenticate(sqlite_db, "") is None
    assert tokens.authenticate(sqlite_db, plaintext + "x") is None
    assert tokens.authenticate(sqlite_db, "gf_" + "a" * 500) is None
    assert tokens.revoke_token(sqlite_db, token_id).revoked_at is not None
    assert tokens.authenticate(sqlite_db, plaintext) is None
    assert tokens.revoke_token(sqlite_db, token_id).active is False  # idempotent
    with pytest.raises(NotFound):
        tokens.revoke_token(sqlite_db, 999_999)


def test_revoke_with_owner_only_finds_own_tokens(sqlite_db: Database) -> None:
    token_id, _ = tokens.create_token(sqlite_db, "lahr")
    with pytest.raises(NotFound):
        tokens.revoke_token(sqlite_db, token_id, username="offenburg")
    assert tokens.revoke_token(sqlite_db, token_id, username="lahr").active is False


def test_deactivated_user_loses_api_access(sqlite_db: Database) -> None:
    _, plaintext = tokens.create_token(sqlite_db, "dezernat")
    with sqlite_db.write() as session:
        session.execute(update(User).where(User.username == "dezernat").values(active=False))
    assert tokens.authenticate(sqlite_db, plaintext) is None


def test_unknown_user_gets_a_clear_error(sqlite_db: Database) -> None:
    with pytest.raises(NotFound, match="niemand"):
        tokens.create_token(sqlite_db, "niemand")


def test_last_used_is_written_coarsely(db: Database) -> None:
    """On both databases: authentication runs outside a transaction (autocommit), so its write must land."""
    token_id, plaintext = tokens.create_token(db, "admin")
    tokens.authenticate(db, plaintext)
    (first,) = tokens.list_tokens(db, "admin")
    tokens.authenticate(db, plaintext)
    (second,) = tokens.list_tokens(db, "admin")
    assert first.last_used_at == second.last_used_at  # no write per request
    assert first.last_used_at is not None
    with db.write() as session:
        session.execute(update(ApiToken).where(ApiToken.id == token_id)
                        .values(last_used_at=first.last_used_at - timedelta(hours=1)))
    tokens.authenticate(db, plaintext)
    (third,) = tokens.list_tokens(db, "admin")
    assert third.last_used_at is not None and third.last_used_at > first.last_used_at - timedelta(minutes=1)


def test_cli_create_list_revoke(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url)
    runner = CliRunner()
    created = runner.invoke(main, ["token", "create", "sachbearbeitung", "--name", "Fachverfahren"])
    assert created.exit_code == 0, created.output
    plaintext = created.output.strip().splitlines()[-1]
    assert plaintext.startswith("gf_")
    assert tokens.authenticate(db, plaintext) == "sachbearbeitung"

    listed = runner.invoke(main, ["token", "list", "sachbearbeitung"])
    assert listed.exit_code == 0 and "Fachverfahren" in listed.output and "aktiv" in listed.output
    assert plaintext not in listed.output
    token_id = listed.output.split()[0]

    revoked = runner.invoke(main, ["token", "revoke", token_id])
    assert revoked.exit_code == 0 and "widerrufen" in revoked.output
    assert tokens.authenticate(db, plaintext) is None
    assert "widerrufen" in runner.invoke(main, ["token", "list", "sachbearbeitung"]).output


def test_cli_errors_are_friendly(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", db.url)
    runner = CliRunner()
    for args in (["token", "create", "niemand"], ["token", "revoke", "4711"], ["token", "list", "niemand"]):
        result = runner.invoke(main, args)
        assert result.exit_code == 1, result.output
        assert "Fehler:" in result.output and "Traceback" not in result.output
        assert not isinstance(result.exception, Exception) or isinstance(result.exception, SystemExit)
