"""Logging for every grantflow process, configured from the settings: plain text or JSON lines.

Each line carries a request id (`-` outside a request): the web layer sets `request_id` per
request, so the lines of one request can be found together, also across the reverse proxy's log
when it sends `X-Request-ID`.
"""

from __future__ import annotations

import logging
import logging.config
from contextvars import ContextVar
from typing import Any

from workflows.settings import Settings

request_id: ContextVar[str] = ContextVar("grantflow_request_id", default="-")

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
OWN_LOGGERS = ("grantflow", "workflows", "webapp", "gunicorn.error")
JSON_FIELDS = "%(asctime)s %(levelname)s %(name)s %(request_id)s %(message)s"


class RequestIdFilter(logging.Filter):
    """Puts the current request id on every record (as `request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
        return True


def dict_config(current: Settings) -> dict[str, Any]:
    """The `logging.config.dictConfig` for these settings; gunicorn gets the same one."""
    if current.log_format == "json":
        formatter: dict[str, Any] = {"()": "pythonjsonlogger.json.JsonFormatter", "fmt": JSON_FIELDS,
                                     "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
                                     "json_ensure_ascii": False}
    else:
        formatter = {"format": TEXT_FORMAT}
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": RequestIdFilter}},
        "formatters": {"grantflow": formatter},
        "handlers": {"stderr": {"class": "logging.StreamHandler", "stream": "ext://sys.stderr",
                                "formatter": "grantflow", "filters": ["request_id"]}},
        # libraries (SpiffWorkflow logs every task state at INFO) speak from WARNING on, unless DEBUG is asked for
        "root": {"level": current.log_level if current.log_level == "DEBUG" else "WARNING", "handlers": ["stderr"]},
        "loggers": {
            **{name: {"level": current.log_level, "propagate": True} for name in OWN_LOGGERS},
            # grantflow.request logs every request; the servers' own access lines would repeat it
            "gunicorn.access": {"level": "WARNING", "propagate": False},
            "werkzeug": {"level": "WARNING"},
        },
    }


def configure(current: Settings) -> None:
    logging.config.dictConfig(dict_config(current))
