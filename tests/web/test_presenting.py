"""Tables of process data: German values, numeric columns right-aligned and summed, technical keys hidden.

Labels, tables and formats come from the forms' hints (docs/bpmn-conventions.md, "Presentation hints"):
`REAL` reads them from the real process's forms; the generic cases build their own small schemas.
"""

from __future__ import annotations

import json
from pathlib import Path

from webapp.web.presenting import Labels, data_tables

FORMS = Path(__file__).resolve().parents[2] / "forms"
REAL = Labels.from_forms(*(json.loads(p.read_text()) for p in sorted(FORMS.rglob("*.schema.json"))))


def test_answers_table_sums_numbers_and_hides_team_keys() -> None:
    data = {"rueckmeldungen": [
        {"name": "Kehl", "ags": "08317057", "anzahl_gefluechtete": 120, "team": "kinzigtal", "entscheidung": "x"},
        {"name": "Lahr", "ags": "08317065", "anzahl_gefluechtete": 80, "team": "lahr_umland", "entscheidung": "y"},
        {"name": "Rust", "ags": "08317114", "anzahl_gefluechtete": None, "team": None, "entscheidung": "z"},
    ]}
    (table,) = data_tables(data, REAL)
    keys = [key for key, _ in table.columns]
    assert "team" not in keys and keys[:2] == ["name", "ags"]
    column = keys.index("anzahl_gefluechtete")
    assert table.numeric == {column}  # the AGS is text, not a number to add up
    assert table.totals is not None and table.totals[column] == "200"
    assert table.totals[keys.index("name")] == ""


def test_values_the_process_sets_read_in_german() -> None:
    assert REAL.value("entscheidung", "keine_rueckmeldung") == "keine Rückmeldung"
