"""The layout is checked, not hoped for: import-linter's contracts hold, and break when a
module reaches across a boundary."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def _lint(tree: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT_IMPORTS), "--no-cache"], cwd=tree, capture_output=True, text=True,
                          env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"}, timeout=120, check=False)


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    for package in ("workflows", "webapp"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


@pytest.mark.parametrize(("module", "forbidden", "contract"), [
    ("workflows/engine/runtime.py", "from workflows.foerderung import rules", "the engine knows no programme"),
    ("workflows/engine/taskindex.py", "from workflows.identity import authz", "the engine knows no programme"),
    ("workflows/inbox/tasks.py", "import webapp.web.helpers", "workflows knows nothing of the web"),
    ("workflows/identity/users.py", "import flask", "workflows knows nothing of the web"),
    ("workflows/documents/render.py", "from workflows.foerderung import samples",
     "the generic parts know no programme"),
])
def test_a_forbidden_import_breaks_its_contract(tree: Path, module: str, forbidden: str, contract: str) -> None:
    assert _lint(tree).returncode == 0  # the copy as it is keeps every contract
    path = tree / module
    path.write_text(path.read_text() + f"\n{forbidden}  # noqa\n")
    result = _lint(tree)
    assert result.returncode != 0
    assert f"{contract}" in result.stdout and "BROKEN" in result.stdout
