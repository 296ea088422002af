"""Development convenience: fire due timers every minute in a background thread.

Production runs `grantflow tick` from cron or a systemd timer; several tickers can run at
once because the engine takes due instances with `FOR UPDATE SKIP LOCKED` on PostgreSQL.
"""

from __future__ import annotations

import logging
import threading

from flask import Flask

from workflows import engine

log = logging.getLogger(__name__)


def start_background_ticker(app: Flask, interval_seconds: float = 60.0) -> threading.Thread:
    db = app.extensions["grantflow_db"]
    stop = threading.Event()

    def loop() -> None:
        while not stop.wait(interval_seconds):
            try:
                fired = engine.fire_due_timers(db)
                db.optimize()
                if fired:
                    log.info("ticker: %s instances advanced", fired)
            except Exception:  # keep ticking; the next round retries
                log.exception("ticker failed")

    thread = threading.Thread(target=loop, name="grantflow-ticker", daemon=True)
    thread.start()
    app.extensions["grantflow_ticker_stop"] = stop
    return thread
