"""grantflow's settings: read once from the environment into one object.

Every setting has a default that serves `make run` (SQLite in `instance/`, the project's own
`bpmn/` and `forms/` below `definitions_dir`); the README's settings table lists them. Nothing else reads `os.environ`.
"""

from __future__ import annotations

import hashlib
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
    audit_key: str | None = None
    audit_anchor: Path | None = None

    @classmethod
    def from_environment(cls, env: Mapping[str, str]) -> Settings:
        instance = Path(env.get("GRANTFLOW_INSTANCE_DIR") or PROJECT_ROOT / "instance")
        return cls(
            instance_dir=instance,
            database_url_override=env.get("DATABASE_URL") or None,
            secret_key=env.get("GRANTFLOW_SECRET_KEY") or None,
            demo_mode=_flag(env.get("GRANTFLOW_DEMO_MODE"), True),
            definitions_dir=Path(env.get("GRANTFLOW_DEFINITIONS_DIR") or PROJECT_ROOT),
            audit_key=env.get("GRANTFLOW_AUDIT_KEY") or None,
            audit_anchor=Path(env["GRANTFLOW_AUDIT_ANCHOR"]) if env.get("GRANTFLOW_AUDIT_ANCHOR") else None,
        )

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
