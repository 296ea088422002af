"""The whole real grant round (bpmn/) through the API alone, as another system would drive it.

The scenario (`tests.scenarios.grant_round`) is the one the engine test runs
(`tests/process/test_grant_round_e2e.py`); here it runs with the API driver: HTTP on
`/api/v1`, every user (staff, committee members, each of the 51 Gemeinden) with their own
bearer token. Timers are the ticker's job, not the API's: the driver fires them with
`engine.fire_due_timers`, as `grantflow tick` does.
"""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.conftest import ROOT, deploy_dir
from tests.scenarios.drivers import ApiDriver
from tests.scenarios.grant_round import run_grant_round
from tests.scenarios.pdf_layouts import reuse_pdf_layouts
from workflows.storage.db import Database


@pytest.mark.timeout(900)  # the whole round: 34 postings since the demo tells the 32-posts story
def test_whole_grant_round_through_the_api_alone(client: FlaskClient, api_db: Database,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    reuse_pdf_layouts(monkeypatch)
    deploy_dir(api_db, ROOT)
    driver = ApiDriver(client, api_db)
    run_grant_round(driver)
    assert len(driver._headers) == 4 + 4 + 51  # staff, committee members who voted, every Gemeinde
