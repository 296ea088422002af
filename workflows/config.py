"""Where things are: the project's folders and the database URL."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
BPMN_DIR = PROJECT_ROOT / "bpmn"
FORMS_DIR = PROJECT_ROOT / "forms"
INSTANCE_DIR = Path(os.environ.get("GRANTFLOW_INSTANCE_DIR", PROJECT_ROOT / "instance"))
DATA_DIR = Path(__file__).resolve().parent / "data"


def database_url() -> str:
    """`DATABASE_URL` if set (e.g. `postgresql+psycopg://...`), else a SQLite file in `instance/`."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{INSTANCE_DIR / 'grantflow.db'}"
