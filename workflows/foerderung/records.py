"""The programme's tables and figures of a round, from its process data (registered by `workflows.wiring`).

Tables: the allocation (each Gemeinde's answer and Planungsrahmen, each team's VZÄ and funding)
and the postings. Figures: positions per team (allocated against filled VZÄ) and the funding
applied for against the funding granted in the Bewilligungsbescheid. The data comes as the read
models show it to the person, so what a data class hides is not here either.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflows.formatting import format_percent
from workflows.records.overview import BarChart
from workflows.records.tables import Column, Table

Data = Mapping[str, Any]
POSTING_STATUS = {"besetzt": "besetzt", "offen": "offen", "nicht_besetzt": "nicht besetzt"}


def _labels(forms: Data, form: str, field: str) -> dict[str, str]:
    prop = (forms.get(form) or {}).get("properties", {}).get(field, {})
    options = [str(v) for v in prop.get("enum", [])]
    return {**dict(zip(options, prop.get("x-enumLabels", options), strict=False)),
            "keine_rueckmeldung": "keine Rückmeldung"}


def _team_names(data: Data) -> dict[str, str]:
    names = dict((data.get("teams") or {}).get("teams") or {})
    for row in data.get("stellenanteile") or (data.get("bemessung") or {}).get("anteile") or []:
        names[row["empfaenger"]] = row.get("bezeichnung") or row["empfaenger"]
    return names


def _years(data: Data) -> float:
    return float(data.get("foerderdauer_monate", 24)) / 12


def allocation_tables(data: Data, forms: Data) -> list[Table]:
    answers, bemessung = data.get("rueckmeldungen") or [], data.get("bemessung") or {}
    if not bemessung:
        return []
    teams, recipient = _team_names(data), {g["ags"]: g.get("empfaenger") for g in bemessung.get("uebertragende", [])}
    labels = _labels(forms, "gemeinde_rueckmeldung", "entscheidung")
    per_gemeinde = Table("zuteilung_gemeinden", "Zuteilung je Gemeinde", [
        Column("Gemeinde", width=32), Column("AGS", width=11), Column("Entscheidung", width=34),
        Column("Geflüchtete am Stichtag", "integer"), Column("Planungsrahmen", "money"),
        Column("Überträgt an", width=32)])
    for a in sorted(answers, key=lambda a: a.get("name", "")):
        per_gemeinde.rows.append([a.get("name"), a.get("ags"), labels.get(a.get("entscheidung") or "",
                                                                            a.get("entscheidung")),
                                  a.get("anzahl_gefluechtete"), a.get("planungsrahmen"),
                                  teams.get(recipient.get(a.get("ags")) or "", recipient.get(a.get("ags")))])
    rate = float(data.get("foerdersatz_vza_jahr") or 0)
    per_team = Table("zuteilung_teams", "Zuteilung je Regionalteam", [
        Column("Regionalteam", width=32), Column("Gemeinden", "integer"), Column("Planungsrahmen", "money"),
        Column("VZÄ", "vza"), Column("Förderung je Jahr", "money"), Column("Förderung gesamt", "money")])
    for row in data.get("stellenanteile") or bemessung.get("anteile") or []:
        vza = float(row.get("vza") or 0)
        per_team.rows.append([row.get("bezeichnung"), len(row.get("gemeinden") or []), row.get("planungsrahmen"),
                              vza, vza * rate, vza * rate * _years(data)])
    return [per_gemeinde, per_team]


def posting_table(data: Data) -> list[Table]:
    postings = data.get("besetzungen") or data.get("stellen") or []
    if not postings:
        return []
    table = Table("stellen", "Stellen", [
        Column("Stelle", width=36), Column("VZÄ", "vza"), Column("Status"), Column("Name", width=28),
        Column("Entgeltgruppe"), Column("Beginn", "date"), Column("Förderende", "date")])
    numbers: dict[str, int] = {}
    for p in postings:
        team = p.get("bezeichnung") or p.get("empfaenger") or ""
        numbers[team] = numbers.get(team, 0) + 1
        table.rows.append([f"{team}, Stelle {numbers[team]}", p.get("vza"),
                           POSTING_STATUS.get(p.get("status") or "", p.get("status") or "ausgeschrieben"),
                           p.get("name"), p.get("entgeltgruppe"), p.get("beginn"), p.get("foerderende")])
    return [table]


def tables(data: Data, forms: Data) -> list[Table]:
    return allocation_tables(data, forms) + posting_table(data)


def _positions(data: Data) -> BarChart | None:
    shares = data.get("stellenanteile") or (data.get("bemessung") or {}).get("anteile") or []
    if not shares:
        return None
    filled: dict[str, float] = {}
    for p in data.get("besetzungen") or []:
        if p.get("status") == "besetzt":
            team = p.get("empfaenger") or ""
            filled[team] = filled.get(team, 0.0) + float(p.get("vza") or 0)
    groups = [(row.get("bezeichnung") or row["empfaenger"],
               [float(row.get("vza") or 0), filled.get(row["empfaenger"], 0.0)]) for row in shares]
    total, done = sum(g[1][0] for g in groups), sum(g[1][1] for g in groups)
    return BarChart("stellen_je_team", "Stellen je Regionalteam (VZÄ)",
                    f"{_vza(total)} VZÄ zugeteilt, {_vza(done)} VZÄ besetzt.", ["zugeteilt", "besetzt"], groups, "VZÄ")


def _funding(data: Data) -> BarChart | None:
    antrag = data.get("antrag") or {}
    if not antrag.get("beantragte_summe"):
        return None
    applied = float(antrag["beantragte_summe"])
    bescheid = data.get("bewilligungsbescheid") or {}
    granted = sum(float(p.get("betrag") or 0) for p in bescheid.get("personen") or [])
    text = "Bewilligungsbescheid noch nicht eingegangen." if not bescheid else \
        f"Bewilligt: {format_percent(granted / applied)} des beantragten Betrags."
    return BarChart("foerderung", "Beantragte und bewilligte Förderung", text, ["Betrag"],
                    [("beantragt", [applied]), ("bewilligt", [granted])], "€")


def _vza(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")


def figures(data: Data) -> list[BarChart]:
    return [chart for chart in (_positions(data), _funding(data)) if chart is not None]
