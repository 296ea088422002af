"""The page to manage one's own API tokens: create (shown once), list, revoke; CSRF; other users' tokens."""

from __future__ import annotations

import re

from flask import Flask

from tests.web.conftest import LoginAs, make_app
from workflows.identity import tokens
from workflows.storage.db import Database


def test_create_shows_the_token_once_and_it_works(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("sachbearbeitung")
    page = client.get("/konto/tokens")
    assert page.status_code == 200 and "Sie haben noch keine Tokens angelegt." in page.get_data(as_text=True)
    created = client.post("/konto/tokens", data={"name": "Fachverfahren Export"})
    assert created.status_code == 201 and "no-store" in created.headers["Cache-Control"]
    text = created.get_data(as_text=True)
    (plaintext,) = re.findall(r'id="new-token" class="token-value" value="(gf_[^"]+)"', text)
    assert "nur dieses eine Mal angezeigt" in text and "Fachverfahren Export" in text
    assert tokens.authenticate(mini_db, plaintext) == "sachbearbeitung"
    listed = client.get("/konto/tokens").get_data(as_text=True)
    assert "Fachverfahren Export" in listed and "aktiv" in listed and plaintext not in listed
    assert listed.count(" Uhr</td>") >= 2  # created and (just now) last used


def test_name_is_required_and_limited(login_as: LoginAs) -> None:
    client = login_as("offenburg")
    empty = client.post("/konto/tokens", data={"name": "  "})
    assert empty.status_code == 422 and "Bitte geben Sie eine Bezeichnung an" in empty.get_data(as_text=True)
    long = client.post("/konto/tokens", data={"name": "x" * 201})
    assert long.status_code == 422 and "Höchstens 200 Zeichen." in long.get_data(as_text=True)


def test_revoke_own_token_only(login_as: LoginAs, mini_db: Database) -> None:
    own_id, plaintext = tokens.create_token(mini_db, "lahr", "Skript")
    other_id, _ = tokens.create_token(mini_db, "offenburg", "Fremd")
    client = login_as("lahr")
    assert "Fremd" not in client.get("/konto/tokens").get_data(as_text=True)
    assert client.post(f"/konto/tokens/{other_id}/revoke").status_code == 404
    assert tokens.list_tokens(mini_db, "offenburg")[0].active
    done = client.post(f"/konto/tokens/{own_id}/revoke")
    assert done.status_code == 303
    page = client.get(done.headers["Location"]).get_data(as_text=True)
    assert "wurde widerrufen" in page and "widerrufen" in page
    assert tokens.authenticate(mini_db, plaintext) is None
    assert client.post(f"/konto/tokens/{own_id}/revoke").status_code == 303  # idempotent


def test_login_required_and_csrf(app: Flask, mini_db: Database) -> None:
    anonymous = app.test_client().get("/konto/tokens")
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    guarded = make_app(mini_db, WTF_CSRF_ENABLED=True).test_client()
    with guarded.session_transaction() as session:
        session["user"] = "sachbearbeitung"
    refused = guarded.post("/konto/tokens", data={"name": "ohne Token"})
    assert refused.status_code == 400 and "Sicherheitsprüfung" in refused.get_data(as_text=True)
    assert tokens.list_tokens(mini_db, "sachbearbeitung") == []
    token_id, _ = tokens.create_token(mini_db, "sachbearbeitung", "bleibt")
    assert guarded.post(f"/konto/tokens/{token_id}/revoke").status_code == 400
    assert tokens.list_tokens(mini_db, "sachbearbeitung")[0].active
    page = guarded.get("/konto/tokens").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    ok = guarded.post("/konto/tokens", data={"name": "mit Token", "csrf_token": csrf.group(1)})
    assert ok.status_code == 201
