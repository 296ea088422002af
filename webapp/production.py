"""The production server: gunicorn with several worker processes, each with its own app.

`grantflow serve --production` checks the settings first (a secret key, demo mode only when asked
for), prepares the metrics folder the workers share and runs gunicorn in the foreground, so systemd
or a container runtime supervises it. Timers run in `grantflow tick --loop`, not in the workers.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from workflows import logsetup
from workflows.errors import GrantflowError
from workflows.settings import Settings


def check(current: Settings, allow_demo: bool) -> None:
    """Refuse settings that must not reach production (German message for the operator)."""
    if not current.secret_key:
        raise GrantflowError("Für den Produktionsbetrieb fehlt GRANTFLOW_SECRET_KEY (z. B. 64 zufällige Zeichen, "
                             "auf allen Servern gleich).")
    if current.demo_mode and not allow_demo:
        raise GrantflowError("GRANTFLOW_DEMO_MODE ist eingeschaltet: die Anmeldeseite zeigt dann die Demo-Zugänge. "
                             "Für die Produktion ausschalten oder bewusst mit --allow-demo starten.")


def _worker_exited(_server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)  # type: ignore[no-untyped-call]


class ProductionServer(BaseApplication):  # type: ignore[misc]
    """gunicorn, configured from code; each worker builds its own app after the fork."""

    def __init__(self, options: dict[str, Any]) -> None:
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)

    def load(self) -> Flask:
        from webapp import create_app

        return create_app(production=True)


def _prepare_metrics_dir(current: Settings) -> None:
    """A fresh folder for the workers' metric files; prometheus-client finds it through the environment."""
    shutil.rmtree(current.metrics_dir, ignore_errors=True)
    current.metrics_dir.mkdir(parents=True)
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(current.metrics_dir)


def serve(current: Settings, host: str, port: int, workers: int, allow_demo: bool) -> None:
    check(current, allow_demo)
    _prepare_metrics_dir(current)
    ProductionServer({
        "bind": f"{host}:{port}",
        "workers": workers,
        "timeout": 120,  # a step that renders documents may take a while
        "graceful_timeout": 30,
        "logconfig_dict": logsetup.dict_config(current),
        "child_exit": _worker_exited,
        "proc_name": "grantflow",
    }).run()
