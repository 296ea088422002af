"""grantflow's settings: read once from the environment into one object.

Every setting has a default that serves `make run` (SQLite in `instance/`, the project's own
`bpmn/` and `forms/` below `definitions_dir`); the README's settings table lists them. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent


def _flag(value: str | None, default: bool) -> bool:
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "ja", "on"}


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url_override: str | None
    secret_key: str | None
    demo_mode: bool
    definitions_dir: Path
    job_max_attempts: int = 5
    job_retry_base_seconds: float = 30.0
    job_lease_seconds: float = 600.0
    worker_poll_seconds: float = 2.0
    base_url: str = "http://127.0.0.1:5000"
    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_security: str = "starttls"
    smtp_user: str | None = None
    smtp_password: str | None = None
    mail_sender: str = "Landratsamt Ortenaukreis <integrationsmanagement@ortenaukreis.example>"

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        instance = Path(env.get("GRANTFLOW_INSTANCE_DIR") or PROJECT_ROOT / "instance")
        return cls(
            instance_dir=instance,
            database_url_override=env.get("DATABASE_URL") or None,
            secret_key=env.get("GRANTFLOW_SECRET_KEY") or None,
            demo_mode=_flag(env.get("GRANTFLOW_DEMO_MODE"), True),
            definitions_dir=Path(env.get("GRANTFLOW_DEFINITIONS_DIR") or PROJECT_ROOT),
            job_max_attempts=int(env.get("GRANTFLOW_JOB_MAX_ATTEMPTS") or 5),
            job_retry_base_seconds=float(env.get("GRANTFLOW_JOB_RETRY_BASE_SECONDS") or 30),
            job_lease_seconds=float(env.get("GRANTFLOW_JOB_LEASE_SECONDS") or 600),
            worker_poll_seconds=float(env.get("GRANTFLOW_WORKER_POLL_SECONDS") or 2),
            base_url=(env.get("GRANTFLOW_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            smtp_host=env.get("GRANTFLOW_SMTP_HOST") or None,
            smtp_port=int(env.get("GRANTFLOW_SMTP_PORT") or 587),
            smtp_security=(env.get("GRANTFLOW_SMTP_SECURITY") or "starttls").strip().lower(),
            smtp_user=env.get("GRANTFLOW_SMTP_USER") or None,
            smtp_password=env.get("GRANTFLOW_SMTP_PASSWORD") or None,
            mail_sender=env.get("GRANTFLOW_MAIL_SENDER") or cls.mail_sender,
        )

    @property
    def database_url(self) -> str:
        """`DATABASE_URL` if set (e.g. `postgresql+psycopg://...`), else a SQLite file in the instance folder."""
        if self.database_url_override:
            return self.database_url_override
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.instance_dir / 'grantflow.db'}"


_current: list[Settings] = []


def load() -> Settings:
    """Read the environment; each entry point (CLI command, app factory) calls this once at start."""
    _current[:] = [Settings.from_environment(os.environ)]
    return _current[0]


def get() -> Settings:
    return _current[0] if _current else load()
