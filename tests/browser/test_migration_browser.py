"""The administration page that moves running rounds to a new version, in Chromium: dry run, apply,
and back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.browser.test_web_browser import login, shot
from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import answer_all, start_mini
from tests.engine.test_migration import _deploy, _version, _with_check_step
from workflows.storage.db import Database

pytestmark = pytest.mark.browser


@pytest.mark.timeout(120)
def test_administration_moves_a_round_and_back(page: Any, live_db: Database, output_dir: Path) -> None:
    deploy_dir(live_db, FIXTURES / "mini")
    instance_id = start_mini(live_db, "Minirunde 2017")
    answer_all(live_db, instance_id)
    _deploy(live_db, _with_check_step())
    login(page, "admin")
    page.goto("/admin/migrations/?key=mini_round")
    page.get_by_label("Zielversion").select_option("2")
    page.get_by_role("button", name="Prüfen (Probelauf)").click()
    result = page.locator("table.data-table")
    assert "kann verschoben werden" in result.inner_text()
    assert "Neu in Version 2: 'Prüfen' (check)" in result.inner_text()
    shot(page, output_dir, "migration-01-dry-run")
    assert _version(live_db, instance_id) == 1
    page.get_by_role("button", name="1 Vorgang verschieben").click()
    assert "verschoben" in page.locator("table.data-table").inner_text()
    assert _version(live_db, instance_id) == 2
    shot(page, output_dir, "migration-02-moved")
    page.goto("/admin/migrations/?key=mini_round")
    page.get_by_role("button", name="Zurückverschieben").click()
    page.wait_for_url("**/admin/migrations/**")
    assert "wieder auf seiner vorigen Version" in page.locator("body").inner_text()
    assert _version(live_db, instance_id) == 1
    page.set_viewport_size({"width": 375, "height": 800})
    shot(page, output_dir, "migration-03-back-375")
