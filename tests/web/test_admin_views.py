"""Administration: definitions and uploads, users, roles, Gemeinde membership, deactivation."""

from __future__ import annotations

import io
from pathlib import Path

from tests.conftest import FIXTURES
from tests.web.conftest import LoginAs
from workflows.engine import deployment
from workflows.identity import accounts
from workflows.storage.db import Database

MINI_BPMN = FIXTURES / "mini" / "bpmn" / "mini_round.bpmn"


def upload(client: object, name: str, content: bytes, kind: str = "form") -> object:
    return client.post("/admin/definitions/upload",  # type: ignore[attr-defined]
                       data={"file": (io.BytesIO(content), name), "kind": kind}, content_type="multipart/form-data")


def test_admin_pages_are_for_administration_only(login_as: LoginAs) -> None:
    for path in ("/admin/definitions", "/admin/definitions/mini_round", "/admin/users", "/admin/users/new",
                 "/admin/users/lahr", "/admin/migrations/", "/admin/migrations/?key=mini_round&to=1"):
        assert login_as("sachbearbeitung").get(path).status_code == 403, path
        assert login_as("admin").get(path).status_code == 200, path
    assert login_as("sachbearbeitung").post("/admin/users/lahr/active", data={"active": "0"}).status_code == 403
    assert upload(login_as("dezernat"), "x.bpmn", b"<x/>").status_code == 403  # type: ignore[attr-defined]
    assert login_as("admin").get("/admin/definitions/gibt_es_nicht").status_code == 404
    assert login_as("admin").get("/admin/users/niemand").status_code == 404
    assert "Verwaltung" in login_as("admin").get("/tasks").get_data(as_text=True)
    assert ">Verwaltung<" not in login_as("sachbearbeitung").get("/tasks").get_data(as_text=True)


def test_definitions_list_versions_and_diagram(login_as: LoginAs) -> None:
    page = login_as("admin").get("/admin/definitions").get_data(as_text=True)
    assert "Mini-Runde" in page and "Version 1" in page and "vote_round" in page
    detail = login_as("admin").get("/admin/definitions/vote_round").get_data(as_text=True)
    assert "bpmn-diagram" in detail and "Versionen" in detail


def test_broken_upload_is_refused_with_reasons_and_nothing_stored(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("admin")
    broken = MINI_BPMN.read_bytes().replace(b'value="mini_draft"', b'value="fehlt"')
    response = upload(client, "mini_round.bpmn", broken)
    text = response.get_data(as_text=True)  # type: ignore[attr-defined]
    assert response.status_code == 422  # type: ignore[attr-defined]
    assert "abgelehnt" in text and "forms/fehlt.schema.json" in text and "fehlt." in text
    evil = upload(client, "evil.bpmn", b'<!DOCTYPE x [<!ENTITY a "b">]><x/>')
    assert evil.status_code == 422 and "DOCTYPE" in evil.get_data(as_text=True)  # type: ignore[attr-defined]
    wrong = upload(client, "notes.txt", b"hallo")
    assert wrong.status_code == 422 and ".bpmn-" in wrong.get_data(as_text=True)  # type: ignore[attr-defined]
    assert all(v.version == 1 for v in deployment.list_definitions(mini_db, "admin"))


def test_valid_upload_creates_a_new_version(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("admin")
    changed = MINI_BPMN.read_bytes().replace('name="Zählen"'.encode(), 'name="Zählen und prüfen"'.encode())
    response = upload(client, "mini_round.bpmn", changed)
    assert response.status_code == 303  # type: ignore[attr-defined]
    page = client.get("/admin/definitions").get_data(as_text=True)
    assert "Bereitgestellt: mini_round Version 2" in page
    versions = deployment.list_definitions(mini_db, "admin", "mini_round")
    assert [v.version for v in versions] == [2, 1]
    same = upload(client, "mini_round.bpmn", changed)
    assert same.status_code == 303  # type: ignore[attr-defined]
    assert "keine neue Version" in client.get("/admin/definitions").get_data(as_text=True)


def test_users_create_edit_deactivate(login_as: LoginAs, mini_db: Database) -> None:
    client = login_as("admin")
    listing = client.get("/admin/users?q=offen").get_data(as_text=True)
    assert "offenburg" in listing and "lahr" not in listing
    bad = client.post("/admin/users/new", data={"username": "neu", "display_name": "", "roles": ["Gemeinde"],
                                                "password": "kurz"})
    text = bad.get_data(as_text=True)
    assert bad.status_code == 422 and "Bitte einen Namen angeben." in text and "mindestens 8 Zeichen" in text
    assert "braucht eine Gemeinde" in text
    ok = client.post("/admin/users/new", data={"username": "Neu.Person", "display_name": "Nina Neu",
                                               "roles": ["Gemeinde"], "gemeinde_ags": "08317057",
                                               "password": "sicheres-passwort"})
    assert ok.status_code == 303 and ok.headers["Location"] == "/admin/users/neu.person"
    info = accounts.get_user(mini_db, "admin", "neu.person")
    assert info.roles == ["Gemeinde"] and info.gemeinde_name and info.gemeinde_ags == "08317057"
    dup = client.post("/admin/users/new", data={"username": "neu.person", "display_name": "X",
                                                "roles": [], "password": "sicheres-passwort"})
    assert dup.status_code == 422 and "gibt es bereits" in dup.get_data(as_text=True)
    edit = client.post("/admin/users/neu.person", data={"display_name": "Nina Neu-Meier",
                                                        "roles": ["Sachbearbeitung"], "gemeinde_ags": ""})
    assert edit.status_code == 303
    info = accounts.get_user(mini_db, "admin", "neu.person")
    assert info.display_name == "Nina Neu-Meier" and info.roles == ["Sachbearbeitung"] and info.gemeinde_ags is None
    assert accounts.authenticate(mini_db, "neu.person", "sicheres-passwort") == "neu.person"  # password kept
    assert client.post("/admin/users/neu.person/active", data={"active": "0"}).status_code == 303
    assert not accounts.get_user(mini_db, "admin", "neu.person").active
    self_off = client.post("/admin/users/admin/active", data={"active": "0"})
    assert self_off.status_code == 303 and accounts.get_user(mini_db, "admin", "admin").active
    assert client.post("/admin/users/niemand", data={"display_name": "X"}).status_code == 404


def test_current_bundle_round_trips_without_new_versions(mini_db: Database) -> None:
    with mini_db.read() as session:
        bundle = deployment.current_bundle(session)
    assert "bpmn/mini_round.bpmn" in bundle.files and "forms/mini_answer.schema.json" in bundle.files
    assert "forms/messages/decision.schema.json" in bundle.files
    assert not any(o.created for o in deployment.deploy_upload(
        mini_db, "admin", [("mini_round.bpmn", MINI_BPMN.read_bytes())]))
    assert Path(MINI_BPMN).exists()
