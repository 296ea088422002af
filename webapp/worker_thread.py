"""Development convenience: run one job worker in a background thread of `grantflow serve`.

Production runs `grantflow worker` processes (as many as wanted: jobs are claimed with
`FOR UPDATE SKIP LOCKED` on PostgreSQL); `make run` needs nothing else.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from workflows import jobs

log = logging.getLogger(__name__)


def start_background_worker(app: Flask) -> threading.Thread:
    db = app.extensions["grantflow_db"]
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                jobs.run_worker(db, stop)
            except Exception:  # a database hiccup must not end the thread; the next claim retries
                log.exception("worker failed")
                stop.wait(5)

    thread = threading.Thread(target=loop, name="grantflow-worker", daemon=True)
    thread.start()
    app.extensions["grantflow_worker_stop"] = stop
    return thread
