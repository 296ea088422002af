"""Real grantflow processes for the operations tests: gunicorn servers, tickers, CLI calls."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import requests

GRANTFLOW = str(Path(sys.executable).parent / "grantflow")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(**settings: str) -> dict[str, str]:
    """The test's environment without grantflow settings of the caller, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GRANTFLOW_", "DATABASE_URL", "PROMETHEUS_"))}
    return {**env, **settings}


def cli(env: Mapping[str, str], *args: str, ok: bool = True, cwd: Path | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([GRANTFLOW, *args], capture_output=True, text=True, env=dict(env), cwd=cwd,
                            timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    assert (result.returncode == 0) == ok, (result.returncode, result.stdout, result.stderr)
    return result


def wait_ready(base_url: str, process: subprocess.Popen[str], timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"server ended early: {process.communicate()[1][-3000:]}")
        try:
            if requests.get(f"{base_url}/readyz", timeout=10).status_code == 200:
                return
        except requests.RequestException:  # not listening yet, or a worker still booting
            pass
        time.sleep(0.3)
    raise AssertionError(f"{base_url} not ready after {timeout} s")


def stop(process: subprocess.Popen[str]) -> str:
    """SIGTERM, wait; returns what the process wrote to stderr."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return err


@contextmanager
def production_server(env: Mapping[str, str], workers: int = 2) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """`grantflow serve --production` on a free loopback port; yields its base URL and the process."""
    port = free_port()
    process = subprocess.Popen([GRANTFLOW, "serve", "--production", "--host", "127.0.0.1", "--port", str(port),
                                "--workers", str(workers)], env=dict(env), stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(base_url, process)
        yield base_url, process
    finally:
        stop(process)


@contextmanager
def ticker(env: Mapping[str, str], interval: float = 1) -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen([GRANTFLOW, "tick", "--loop", "--interval", str(interval)], env=dict(env),
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield process
    finally:
        stop(process)
