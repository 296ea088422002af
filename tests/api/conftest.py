"""Fixtures for the JSON API: an app on the test database, tokens per user, the mini round."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import FIXTURES, deploy_dir
from webapp import create_app
from webapp.api import register
from workflows import engine
from workflows.identity import tokens
from workflows.storage.db import Database

START_DATA = {"landkreis": "ortenaukreis", "frist": "2030-01-31"}
OFFENBURG_AGS = "08317096"


def make_app(db: Database, **config: object) -> Flask:
    """The real app factory; registers the API blueprint if `webapp.extensions` does not (yet)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "test", **config}, database=db)
    register(app)
    return app


@pytest.fixture
def api_db(sqlite_db: Database) -> Database:
    """SQLite with the mini process. Modules where the database kind matters override this with `mini_db`."""
    deploy_dir(sqlite_db, FIXTURES / "mini")
    return sqlite_db


@pytest.fixture
def app(api_db: Database) -> Flask:
    return make_app(api_db)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


TokenFactory = Callable[[str], dict[str, str]]


@pytest.fixture
def auth(api_db: Database) -> TokenFactory:
    """`auth("sachbearbeitung")` -> headers with a fresh bearer token of that user (one per user)."""
    made: dict[str, dict[str, str]] = {}

    def headers(username: str) -> dict[str, str]:
        if username not in made:
            _, plaintext = tokens.create_token(api_db, username, "pytest")
            made[username] = {"Authorization": f"Bearer {plaintext}"}
        return made[username]

    return headers


@pytest.fixture
def round_id(api_db: Database) -> int:
    """A running mini round (51 Gemeinde answer tasks), started through the engine."""
    return engine.start_instance(api_db, "mini_round", "Testrunde", "sachbearbeitung", START_DATA).instance_id
