"""grantflow installed from its wheel into a fresh venv, run from a folder outside the repository.

Proves the package carries everything it needs (migrations, templates, the process definitions)
and keeps its data outside site-packages. pip uses this machine's ordinary configuration (its
package index) for the dependencies and the freshly built wheel from a local folder.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import requests

from tests.conftest import ROOT
from tests.operations.processes import environment, free_port, stop, wait_ready

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]


def run(*command: str | Path, env: dict[str, str] | None = None, cwd: Path | None = None,
        timeout: float = 600) -> str:
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, env=env, cwd=cwd,
                            timeout=timeout)
    assert result.returncode == 0, (command, result.stdout[-3000:], result.stderr[-3000:])
    assert "Traceback" not in result.stderr, result.stderr
    return result.stdout


def test_the_wheel_installs_and_runs_outside_the_repository(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    run(sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", ROOT, "-w", wheels)
    (wheel,) = wheels.glob("grantflow-*.whl")
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", "--no-compile", "--find-links", wheels, wheel)

    home, elsewhere = tmp_path / "home", tmp_path / "elsewhere"
    home.mkdir()
    elsewhere.mkdir()
    env = environment(HOME=str(home), XDG_DATA_HOME="", PATH=f"{venv / 'bin'}:/usr/bin:/bin")
    grantflow = venv / "bin" / "grantflow"
    assert "Datenbank ist aktuell" in run(grantflow, "db", "upgrade", env=env, cwd=elsewhere)
    deployed = run(grantflow, "deploy", env=env, cwd=elsewhere)
    assert "grant_round: Version 1 (neue Version)" in deployed
    assert "51 Gemeinden" in run(grantflow, "demo-data", env=env, cwd=elsewhere)
    assert (home / ".local" / "share" / "grantflow" / "grantflow.db").is_file()

    port = free_port()
    server = subprocess.Popen([grantflow, "serve", "--production", "--port", str(port), "--workers", "1"],
                              env={**env, "GRANTFLOW_SECRET_KEY": "wheel-test"}, cwd=elsewhere,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        wait_ready(f"http://127.0.0.1:{port}", server)
        page = requests.get(f"http://127.0.0.1:{port}/login", timeout=30)
        assert page.status_code == 200 and "Anmelden" in page.text and "Demo-Modus" not in page.text
    finally:
        assert "Traceback" not in stop(server)
    site_packages = next((venv / "lib").glob("python3*/site-packages"))
    assert not (site_packages / "instance").exists() and not list(site_packages.glob("**/grantflow.db"))
