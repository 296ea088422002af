"""Real headless Chromium (Playwright) against a live server on 127.0.0.1 with a real SQLite database."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import deploy_dir, serve
from webapp import create_app
from workflows.storage.db import Database

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--lang=de-DE", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.browser


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.skip(f"{CHROMIUM} not found: install it with 'apt-get install -y chromium' to run browser tests")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield chromium
        chromium.close()


@pytest.fixture
def live_db(sqlite_db: Database) -> Database:
    """The real process (bpmn/, forms/) deployed; tests drive the round to their step through the engine."""
    deploy_dir(sqlite_db, ROOT)
    return sqlite_db


@pytest.fixture
def live_server(live_db: Database) -> Iterator[str]:
    """The real app (CSRF on) served by werkzeug in a thread; yields its base URL."""
    app = create_app({"SECRET_KEY": "browser-test", "GRANTFLOW_DEMO_MODE": True}, database=live_db)
    with serve(app) as url:
        yield url


@pytest.fixture
def page(browser: object, live_server: str) -> Iterator[object]:
    context = browser.new_context(locale="de-DE", timezone_id="Europe/Berlin",  # type: ignore[attr-defined]
                                  viewport={"width": 1366, "height": 900}, base_url=live_server)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    context.close()
