"""The audit chain's MAC key: never in the database, so whoever can write the table cannot re-sign it.

`GRANTFLOW_AUDIT_KEY` if set (operations keep it like a password), else a key generated once and
kept in the instance folder (mode 0600), like the web app's secret key.
"""

from __future__ import annotations

import secrets
from functools import lru_cache
from pathlib import Path

from workflows import settings


@lru_cache(maxsize=8)
def _from_file(path: Path) -> bytes:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip().encode()


def audit_key() -> bytes:
    configured = settings.get()
    if configured.audit_key:
        return configured.audit_key.encode()
    return _from_file(configured.instance_dir / "audit_key")
