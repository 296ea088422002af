"""Pure rule functions of the Pakt-für-Integration grant round (no Flask, no database).

`RULE_FUNCTIONS` is what BPMN scripts, conditions and task properties may call in the sandbox
(`workflows/engine/scripting.py`; `workflows/wiring.py` registers them). Every function there takes
and returns plain JSON data (numbers, strings, lists, dicts), because its results are stored in
task data.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from workflows.foerderung.rules import allocation, drafts, funding, hiring, survey, vote
from workflows.foerderung.rules.dates import frist_zeitpunkt
from workflows.foerderung.rules.money import Number, euro


def planungsrahmen_euro(anzahl: int | None, satz_pro_person: Number) -> float:
    """Sandbox variant of `allocation.planungsrahmen`: the amount as a float of whole cents."""
    return euro(allocation.planungsrahmen(anzahl, satz_pro_person))


def teams_aus_gemeinden(gemeinden: list[dict[str, Any]]) -> dict[str, Any]:
    """Regional teams from the Gemeinden as `load_gemeinden` gives them (master data, not code):
    `{"teams": {key: name}, "zuordnung": {ags: key}}`; a Gemeinde without a team is its own recipient."""
    with_team = [g for g in gemeinden if g.get("team")]
    return {"teams": {g["team"]: g.get("team_name") or g["team"] for g in with_team},
            "zuordnung": {g["ags"]: g["team"] for g in with_team}}


RULE_FUNCTIONS: dict[str, Callable[..., Any]] = {
    # survey of the Gemeinden
    "runde_vorbelegung": survey.runde_vorbelegung,
    "runde_eroeffnen_fehler": survey.runde_eroeffnen_fehler,
    "abfrage_vorbereiten": survey.abfrage_vorbereiten,
    "opt_in_schema": survey.opt_in_schema,
    "erinnerung_text": survey.erinnerung_text,
    "rueckmeldung_vervollstaendigen": survey.rueckmeldung_vervollstaendigen,
    "keine_rueckmeldung": survey.keine_rueckmeldung,
    "planungsrahmen": planungsrahmen_euro,
    "teams_aus_gemeinden": teams_aus_gemeinden,
    "frist_zeitpunkt": frist_zeitpunkt,
    # Stellenbemessung
    "stellenbemessung_berechnen": allocation.stellenbemessung_berechnen,
    "anteile_errors": allocation.anteile_errors,
    "anteile_schema": allocation.anteile_schema,
    "anteile_uebernehmen": allocation.anteile_uebernehmen,
    "stellen_aus_anteilen": allocation.stellen_aus_anteilen,
    # drafts and releases
    "beschlussvorlage_vorbelegung": drafts.beschlussvorlage_vorbelegung,
    "beschlussvorlage_fehler": drafts.beschlussvorlage_fehler,
    "antrag_vorbelegung": drafts.antrag_vorbelegung,
    "mitteilungen_gemeinden": drafts.mitteilungen_gemeinden,
    "mitteilung_text": drafts.mitteilung_text,
    # committee vote
    "stimmen_zaehlen": vote.stimmen_zaehlen,
    "vote_result": vote.vote_result,
    "nicht_teilgenommen": vote.nicht_teilgenommen,
    "stimme_vervollstaendigen": vote.stimme_vervollstaendigen,
    # hiring
    "ausschreibung_vorbelegung": hiring.ausschreibung_vorbelegung,
    "ausschreibung_schema": hiring.ausschreibung_schema,
    "bewerbungen_errors": hiring.bewerbungen_errors,
    "veroeffentlichung_fehler": hiring.veroeffentlichung_fehler,
    "eingeladene": hiring.eingeladene,
    "gespraeche_vorbelegung": hiring.gespraeche_vorbelegung,
    "auswahl_vorbelegung": hiring.auswahl_vorbelegung,
    "auswahl_schema": hiring.auswahl_schema,
    "besetzung_ergebnis": hiring.besetzung_ergebnis,
    "besetzung_aufgegeben": hiring.besetzung_aufgegeben,
    "besetzte": hiring.besetzte,
    # funding
    "funding_end": funding.funding_end,
    "verwendungsnachweis_due": funding.verwendungsnachweis_due,
    "personalmeldung": funding.personalmeldung,
    "bescheid_vergleich": funding.bescheid_vergleich,
    "kuerzung_schema": funding.kuerzung_schema,
    "runde_abschluss": funding.runde_abschluss,
}

__all__ = ["RULE_FUNCTIONS", "planungsrahmen_euro", "teams_aus_gemeinden"]
