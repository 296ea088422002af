"""Demo answers of the Gemeinden (refugee counts are not public), shipped as JSON in `data/`.

Used by the demo and the tests only; the round itself gets its figures from the Gemeinden.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from workflows.foerderung.masterdata import DATA_DIR


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((DATA_DIR / name).read_text(encoding="utf-8"))


def demo_rueckmeldungen(landkreis: str) -> dict[str, dict[str, Any]]:
    """Demo answers per AGS (refugee count and decision), for demo data and tests only."""
    return {k: dict(v) for k, v in _load(f"demo_{landkreis}.json")["rueckmeldungen"].items()}
