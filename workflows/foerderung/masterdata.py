"""Master data of a Landkreis: its letterhead, Gemeinden (with their AGS) and regional teams.

Everything that differs between Landkreise is loaded here as data, so any Kreis can run the
round: `grantflow landkreis import` reads a Gemeinden CSV (the format of
`workflows/data/ortenaukreis_gemeinden.csv`) and optionally a teams JSON (the format of
`workflows/data/teams_ortenaukreis.json`). Importing again updates the same rows.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import audit
from workflows.errors import FieldError, ValidationFailed
from workflows.storage.models import Gemeinde, Landkreis, Regionalteam

DATA_DIR = Path(__file__).with_name("data")

IMPORTED = audit.label("landkreis_imported", "Landkreis-Stammdaten eingelesen")


@dataclass(frozen=True)
class GemeindeRecord:
    name: str
    ags: str
    typ: str
    einwohner: int | None
    einwohner_jahr: int | None


@dataclass
class LandkreisData:
    key: str
    name: str
    gemeinden: list[GemeindeRecord]
    teams: dict[str, str] = field(default_factory=dict)  # team key -> name
    zuordnung: dict[str, str] = field(default_factory=dict)  # AGS -> team key
    letterhead: dict[str, Any] = field(default_factory=dict)  # behoerde, amt, strasse, plz, ort, ...


def _int(text: str | None) -> int | None:
    return int(text) if text and text.strip() else None


def read_gemeinden_csv(path: Path) -> list[GemeindeRecord]:
    """Columns `name, ags, type, population, population_year`; refuses bad rows with the line number."""
    records, errors = [], []
    with open(path, encoding="utf-8", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            ags = (row.get("ags") or "").strip()
            if not (row.get("name") or "").strip() or not (len(ags) == 8 and ags.isdigit()):
                errors.append(FieldError(f"/{line}", f"Zeile {line}: Name und achtstelliger AGS sind nötig."))
                continue
            try:
                records.append(GemeindeRecord(row["name"].strip(), ags, (row.get("type") or "Gemeinde").strip(),
                                              _int(row.get("population")), _int(row.get("population_year"))))
            except ValueError:
                errors.append(FieldError(f"/{line}", f"Zeile {line}: Einwohnerzahl und Jahr müssen Zahlen sein."))
    if errors:
        raise ValidationFailed(errors, f"{path.name}: {len(errors)} fehlerhafte Zeile(n), nichts importiert.")
    return records


_PERSON = {"type": "object", "additionalProperties": False,
           "properties": {k: {"type": "string", "maxLength": 200} for k in ("name", "funktion", "telefon", "email")},
           "required": ["name"]}
#: the shape of a Landkreis's `stammdaten` (what its letters name besides the letterhead)
STAMMDATEN_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "_hinweis": {"type": "string"},
        "kontakte": {"type": "object", "additionalProperties": False,
                     "properties": {k: _PERSON for k in ("fachamt", "personalamt", "schriftfuehrung")}},
        "angebot": {"type": "array", "items": {"type": "string", "minLength": 1, "maxLength": 500}},
        "bewerbung": {"type": "object", "additionalProperties": False,
                      "properties": {k: {"type": "string", "maxLength": 300}
                                     for k in ("portal", "email", "anschrift")}},
    },
    "additionalProperties": False,
}


def read_stammdaten_json(path: Path) -> dict[str, Any]:
    """Contact persons, the employer's offer and where to apply (format: `data/stammdaten_ortenaukreis.json`)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ValidationFailed([FieldError("/", f"{path.name}: kein gültiges JSON (Zeile {exc.lineno}).")]) from None
    problems = sorted(Draft202012Validator(STAMMDATEN_SCHEMA).iter_errors(data), key=lambda e: list(e.path))
    if problems:
        where = "/".join(str(p) for p in problems[0].path) or "(oberste Ebene)"
        raise ValidationFailed([FieldError(f"/{where}", f"{path.name}: unerwarteter Wert bei {where}.")])
    return {k: v for k, v in data.items() if not k.startswith("_")}


def read_teams_json(path: Path) -> tuple[dict[str, str], dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    return dict(data["teams"]), dict(data["zuordnung"])


def landkreis_choices(session: Session) -> list[tuple[str, str]]:
    """The Landkreise a round can run for: (key, name), by name (the choices of the start data's `landkreis`)."""
    return [(k, n) for k, n in session.execute(select(Landkreis.key, Landkreis.name).order_by(Landkreis.name))]


def import_landkreis(session: Session, data: LandkreisData, actor: str | None = None) -> dict[str, int]:
    """Create or update the Landkreis, its teams and Gemeinden; one transaction with the caller's."""
    unknown = sorted(set(data.zuordnung.values()) - set(data.teams))
    if unknown:
        raise ValidationFailed([FieldError("/zuordnung", f"Unbekannte Teams: {', '.join(unknown)}")])
    kreis = session.scalars(select(Landkreis).where(Landkreis.key == data.key)).first()
    if kreis is None:
        kreis = Landkreis(key=data.key, name=data.name)
        session.add(kreis)
    kreis.name = data.name
    for attribute, value in data.letterhead.items():
        setattr(kreis, attribute, value)
    session.flush()
    teams = {t.key: t for t in session.scalars(select(Regionalteam).where(Regionalteam.landkreis_id == kreis.id))}
    for team_key, team_name in data.teams.items():
        if team_key not in teams:
            teams[team_key] = Regionalteam(landkreis_id=kreis.id, key=team_key, name=team_name)
            session.add(teams[team_key])
        teams[team_key].name = team_name
    session.flush()
    for rec in data.gemeinden:
        gemeinde = session.scalars(select(Gemeinde).where(Gemeinde.ags == rec.ags)).first()
        if gemeinde is None:
            gemeinde = Gemeinde(ags=rec.ags, landkreis=kreis)
            session.add(gemeinde)
        gemeinde.landkreis = kreis
        gemeinde.name, gemeinde.typ = rec.name, rec.typ
        gemeinde.einwohner, gemeinde.einwohner_jahr = rec.einwohner, rec.einwohner_jahr
        assigned = data.zuordnung.get(rec.ags)
        gemeinde.regionalteam = teams[assigned] if assigned else None
    session.flush()
    audit.record(session, IMPORTED, actor, None,
                 {"landkreis": data.key, "gemeinden": len(data.gemeinden), "teams": sorted(data.teams)})
    return {"gemeinden": len(data.gemeinden), "teams": len(data.teams)}
