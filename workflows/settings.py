"""grantflow's settings: read once from the environment into one object.

Every setting has a default that serves `make run` in a source checkout (SQLite in `instance/`,
the project's own `bpmn/` and `forms/`). Installed as a package, the instance folder moves out of
site-packages (`$XDG_DATA_HOME/grantflow`) and the definitions come from the copy shipped in the
package. The README's settings table ("Betrieb") lists every variable. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from workflows.errors import GrantflowError

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_ROOT = PACKAGE_DIR.parent
SHIPPED_DEFINITIONS = PACKAGE_DIR / "definitions"  # bpmn/ and forms/, copied into the wheel by setup.py
LOG_FORMATS = ("text", "json")
LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
SMTP_SECURITY = ("starttls", "tls", "none")


class SettingInvalid(GrantflowError):
    """An environment variable holds a value grantflow cannot use."""


def in_source_checkout() -> bool:
    """True when running from the repository (editable install or `make run`), not from site-packages."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "bpmn").is_dir()


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    value = env.get(name, "").strip().lower()
    if not value:
        return default
    if value in {"1", "true", "yes", "ja", "on"}:
        return True
    if value in {"0", "false", "no", "nein", "off"}:
        return False
    raise SettingInvalid(f"{name}={value!r} ist kein Ja/Nein-Wert (erlaubt: 1/0, true/false, ja/nein).")


def _optional_flag(env: Mapping[str, str], name: str) -> bool | None:
    return _flag(env, name, False) if env.get(name, "").strip() else None


def _date(env: Mapping[str, str], name: str) -> dt.date | None:
    value = env.get(name, "").strip()
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise SettingInvalid(f"{name}={value!r} ist kein Datum (JJJJ-MM-TT, z. B. 2017-09-18).") from None


def _int(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    value = env.get(name, "").strip()
    if not value:
        return default
    if not value.isdigit() or int(value) < minimum:
        raise SettingInvalid(f"{name}={value!r} muss eine ganze Zahl ab {minimum} sein.")
    return int(value)


def _choice(env: Mapping[str, str], name: str, choices: tuple[str, ...], default: str) -> str:
    value = env.get(name, "").strip() or default
    normalized = value.upper() if choices is LOG_LEVELS else value.lower()
    if normalized not in choices:
        raise SettingInvalid(f"{name}={value!r}: erlaubt sind {', '.join(choices)}.")
    return normalized


def _default_instance_dir(env: Mapping[str, str]) -> Path:
    if in_source_checkout():
        return PROJECT_ROOT / "instance"
    data_home = env.get("XDG_DATA_HOME") or str(Path(env.get("HOME") or Path.home()) / ".local" / "share")
    return Path(data_home) / "grantflow"


@dataclass(frozen=True)
class Settings:
    instance_dir: Path
    database_url_override: str | None
    secret_key: str | None
    demo_mode: bool
    definitions_dir: Path
    proxy_count: int
    secure_cookies: bool | None  # None: on for the production server, off for the development server
    session_hours: int
    log_format: str
    log_level: str
    metrics_token: str | None
    metrics_dir: Path
    default_role: str = "Administration"  # for tasks outside lanes without a declared role
    audit_key: str | None = None
    audit_anchor: Path | None = None
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
    attachment_max_mb: int = 10  # the largest file an upload (Anhang) may be
    retention_days: int = 180  # applicants' data of a finished posting is erased this long after it ended
    demo_date: dt.date | None = None  # the Demo-Uhr: the process's "today" (workflows.clock), for demos only

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        instance = Path(env.get("GRANTFLOW_INSTANCE_DIR") or _default_instance_dir(env))
        shipped = PROJECT_ROOT if in_source_checkout() else SHIPPED_DEFINITIONS
        return cls(
            instance_dir=instance,
            database_url_override=env.get("DATABASE_URL") or None,
            secret_key=env.get("GRANTFLOW_SECRET_KEY") or None,
            demo_mode=_flag(env, "GRANTFLOW_DEMO_MODE", False),
            definitions_dir=Path(env.get("GRANTFLOW_DEFINITIONS_DIR") or shipped),
            proxy_count=_int(env, "GRANTFLOW_PROXY_COUNT", 0),
            secure_cookies=_optional_flag(env, "GRANTFLOW_SECURE_COOKIES"),
            session_hours=_int(env, "GRANTFLOW_SESSION_HOURS", 10, minimum=1),
            log_format=_choice(env, "GRANTFLOW_LOG_FORMAT", LOG_FORMATS, "text"),
            log_level=_choice(env, "GRANTFLOW_LOG_LEVEL", LOG_LEVELS, "INFO"),
            metrics_token=env.get("GRANTFLOW_METRICS_TOKEN") or None,
            metrics_dir=Path(env.get("GRANTFLOW_METRICS_DIR") or instance / "metrics"),
            default_role=(env.get("GRANTFLOW_DEFAULT_ROLE") or "Administration").strip(),
            audit_key=env.get("GRANTFLOW_AUDIT_KEY") or None,
            audit_anchor=Path(env["GRANTFLOW_AUDIT_ANCHOR"]) if env.get("GRANTFLOW_AUDIT_ANCHOR") else None,
            job_max_attempts=_int(env, "GRANTFLOW_JOB_MAX_ATTEMPTS", 5, minimum=1),
            job_retry_base_seconds=float(env.get("GRANTFLOW_JOB_RETRY_BASE_SECONDS") or 30),
            job_lease_seconds=float(env.get("GRANTFLOW_JOB_LEASE_SECONDS") or 600),
            worker_poll_seconds=float(env.get("GRANTFLOW_WORKER_POLL_SECONDS") or 2),
            base_url=(env.get("GRANTFLOW_BASE_URL") or "http://127.0.0.1:5000").rstrip("/"),
            smtp_host=env.get("GRANTFLOW_SMTP_HOST") or None,
            smtp_port=_int(env, "GRANTFLOW_SMTP_PORT", 587, minimum=1),
            smtp_security=_choice(env, "GRANTFLOW_SMTP_SECURITY", SMTP_SECURITY, "starttls"),
            smtp_user=env.get("GRANTFLOW_SMTP_USER") or None,
            smtp_password=env.get("GRANTFLOW_SMTP_PASSWORD") or None,
            mail_sender=env.get("GRANTFLOW_MAIL_SENDER") or cls.mail_sender,
            attachment_max_mb=_int(env, "GRANTFLOW_ATTACHMENT_MAX_MB", 10, minimum=1),
            retention_days=_int(env, "GRANTFLOW_RETENTION_DAYS", 180, minimum=0),
            demo_date=_date(env, "GRANTFLOW_DEMO_DATE"),
        )

    @property
    def attachment_max_bytes(self) -> int:
        return self.attachment_max_mb * 1024 * 1024

    @property
    def database_url(self) -> str:
        """`DATABASE_URL` if set (e.g. `postgresql+psycopg://...`), else a SQLite file in the instance folder."""
        if self.database_url_override:
            return self.database_url_override
        self.instance_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{self.instance_dir / 'grantflow.db'}"


    def audit_anchor_for(self, database_url: str) -> Path:
        """The audit anchor file of a database: `GRANTFLOW_AUDIT_ANCHOR`, else one per database in instance/."""
        if self.audit_anchor:
            return self.audit_anchor
        return self.instance_dir / f"audit-anchor-{hashlib.sha256(database_url.encode()).hexdigest()[:16]}.log"


_current: list[Settings] = []


def load() -> Settings:
    """Read the environment; each entry point (CLI command, app factory) calls this once at start."""
    _current[:] = [Settings.from_environment(os.environ)]
    return _current[0]


def get() -> Settings:
    return _current[0] if _current else load()
