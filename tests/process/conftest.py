"""The bpmn.io round trip of `bpmn/`, made once per session for the tests that run the re-exported files."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.process.harness import BPMN_DIR, ROOT

TOOLS = ROOT.parent / "shared" / "tools"


@pytest.fixture(scope="session")
def bpmn_io_round_trip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`bpmn/*.bpmn` as bpmn.io saves them (`bpmnjs-import-check --roundtrip`): a folder of BPMN files.

    Skipped with the reason when ../shared/tools is absent or not set up.
    """
    checker = TOOLS / "bpmnjs-import-check"
    if not checker.exists():
        pytest.skip(f"{TOOLS} not available: no bpmn.io round trip")
    out = tmp_path_factory.mktemp("bpmn_io")
    result = subprocess.run([str(checker), str(BPMN_DIR), "--out", str(out / "png"), "--roundtrip", str(out / "rt")],
                            capture_output=True, text=True, timeout=120)
    if result.returncode == 2:
        pytest.skip(f"checker not set up (run ../shared/tools/setup): {result.stderr.strip()}")
    assert result.returncode == 0, result.stdout + result.stderr
    return out / "rt"
