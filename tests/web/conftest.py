"""Fixtures for the web app: the real app factory on the test database, logged-in clients, rounds."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from tests.conftest import deploy_dir
from webapp import create_app
from workflows import engine
from workflows.storage.db import Database

HERE = Path(__file__).resolve().parent
VOTE_FIXTURE = HERE / "fixtures" / "vote"
START_DATA = {"landkreis": "ortenaukreis", "frist": "2030-01-31"}
OFFENBURG_AGS = "08317096"


def make_app(db: Database, **config: object) -> Flask:
    return create_app({"TESTING": True, "SECRET_KEY": "test", "WTF_CSRF_ENABLED": False,
                       "GRANTFLOW_DEMO_MODE": True, **config}, database=db)


@pytest.fixture
def app(mini_db: Database) -> Flask:
    deploy_dir(mini_db, VOTE_FIXTURE)
    return make_app(mini_db)


LoginAs = Callable[[str], FlaskClient]


@pytest.fixture
def login_as(app: Flask) -> LoginAs:
    """`login_as("offenburg")` -> a test client whose session holds that user (no password round trip)."""

    def make(username: str) -> FlaskClient:
        client = app.test_client()
        with client.session_transaction() as session:
            session["user"] = username
        return client

    return make


@pytest.fixture
def round_id(mini_db: Database) -> int:
    """A running mini round: 51 Gemeinde answer tasks."""
    return engine.start_instance(mini_db, "mini_round", "Testrunde", "sachbearbeitung", START_DATA).instance_id


@pytest.fixture
def vote_id(app: Flask, mini_db: Database) -> int:
    """A running vote: one task per committee member (ausschuss1 … ausschuss5)."""
    return engine.start_instance(mini_db, "vote_round", "Sitzung VA", "sachbearbeitung",
                                 {"betreff": "Integrationsmanagement 2026"}).instance_id


def answer_all(db: Database, anzahl: int = 10) -> None:
    """Every Gemeinde of the mini round answers (as its own user)."""
    from sqlalchemy import select

    from workflows.storage.models import Gemeinde, TaskRow, User

    with db.read() as session:
        user_of = dict(session.execute(select(Gemeinde.ags, User.username).join(User.gemeinde)).all())
        tasks = session.execute(select(TaskRow.id, TaskRow.assignee_gemeinde).where(
            TaskRow.status == "ready", TaskRow.element_id == "answer")).all()
    for task_id, ags in tasks:
        engine.complete_task(db, task_id, {"entscheidung": "uebertragen", "anzahl": anzahl}, user_of[ags])


def to_decision(db: Database) -> None:
    """Drive the mini round to where it waits for the message `decision`."""
    from workflows import inbox

    answer_all(db)
    (draft,) = inbox.list_tasks(db, "sachbearbeitung").items
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    (release,) = inbox.list_tasks(db, "dezernat").items
    engine.complete_task(db, release.id, {"freigabe": "ja"}, "dezernat")
