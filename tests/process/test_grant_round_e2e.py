"""The whole grant round through the engine (database, sandbox, services, documents, audit log).

The scenario (`tests.scenarios.grant_round`) is shared with the API test
(`tests/api/test_api_grant_round.py`); here it runs with the engine driver: direct calls to
`workflows.engine` and `workflows.inbox`, as the web views make them. Timers are fired by
`fire_due_timers(now=...)`. The files bpmn.io writes back run through this driver only (on
SQLite); the API driver runs the original files (tests/api/test_api_grant_round.py).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import ROOT, deploy_dir
from tests.scenarios.drivers import EngineDriver
from tests.scenarios.grant_round import run_grant_round
from tests.scenarios.pdf_layouts import reuse_pdf_layouts
from workflows.storage.db import Database


@pytest.mark.timeout(900)  # the whole round: 34 postings since the demo tells the 32-posts story
def test_whole_round_through_the_engine(db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    """On SQLite, and on PostgreSQL when GRANTFLOW_TEST_DATABASE_URL is set (as fast as SQLite)."""
    reuse_pdf_layouts(monkeypatch)
    deploy_dir(db, ROOT)
    run_grant_round(EngineDriver(db))


@pytest.mark.timeout(900)  # the whole round: 34 postings since the demo tells the 32-posts story
def test_whole_round_through_the_engine_on_the_bpmn_io_round_trip(
        sqlite_db: Database, bpmn_io_round_trip: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same round on the diagrams as a bpmn.io editor saves them (DMN and forms as in the repository)."""
    reuse_pdf_layouts(monkeypatch)
    bundle = tmp_path / "bundle"
    shutil.copytree(bpmn_io_round_trip, bundle / "bpmn")
    for dmn in (ROOT / "bpmn").glob("*.dmn"):
        shutil.copy(dmn, bundle / "bpmn" / dmn.name)
    shutil.copytree(ROOT / "forms", bundle / "forms")
    assert sorted(p.name for p in (bundle / "bpmn").iterdir()) == sorted(p.name for p in (ROOT / "bpmn").iterdir())
    deploy_dir(sqlite_db, bundle)
    run_grant_round(EngineDriver(sqlite_db))
