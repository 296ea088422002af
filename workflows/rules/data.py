"""Reference data of the rules, shipped as JSON next to this module (`data/`).

Loaded read-only and cached; the process calls `team_zuordnung(landkreis)` to group the
transferring Gemeinden into regional teams.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

DATA_DIR = Path(__file__).with_name("data")


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def teams(landkreis: str) -> dict[str, Any]:
    """`{"teams": {key: name}, "zuordnung": {ags: key}}` for a Landkreis, empty if none is defined."""
    path = DATA_DIR / f"teams_{landkreis}.json"
    if not path.exists():
        return {"teams": {}, "zuordnung": {}}
    data = _load(path.name)
    return {"teams": dict(data["teams"]), "zuordnung": dict(data["zuordnung"])}


def demo_rueckmeldungen(landkreis: str) -> dict[str, dict[str, Any]]:
    """Demo answers per AGS (refugee count and decision), for demo data and tests only."""
    return {k: dict(v) for k, v in _load(f"demo_{landkreis}.json")["rueckmeldungen"].items()}
