"""Stellenbesetzung: posting, applications (§ 165 SGB IX), selection, Personalrat (§ 75 LPVG BW)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from workflows.foerderung.rules.dates import DateLike, iso, to_date
from workflows.foerderung.rules.funding import funding_end
from workflows.foerderung.rules.money import dec
from workflows.formatting import Number, format_vza

#: qualification categories of the "vorläufige Hinweise" (domain.md §1.10)
QUALIFIKATIONEN = {
    "a": "Bachelor (oder höher) im Bereich Sozialwesen (Soziale Arbeit, Sozialpädagogik o. ä.)",
    "b": "anderer geeigneter Hochschulabschluss (mindestens Bachelor)",
    "c": "mittlerer Bildungsabschluss mit abgeschlossener Berufsausbildung und einschlägiger Erfahrung",
}


def ausschreibung_vorbelegung(stelle: Mapping[str, Any], landkreis_name: str, entgeltgruppe: str,
                              foerderdauer_monate: int, heute: DateLike) -> dict[str, Any]:
    """Initial values of the posting form for one posting (`stelle`)."""
    vza = dec(stelle["vza"])
    umfang = "Vollzeit" if vza >= 1 else f"Teilzeit ({format_vza(vza)} VZÄ)"
    return {
        "titel": "Integrationsmanagerin / Integrationsmanager (m/w/d)",
        "dienststelle": f"Landratsamt {landkreis_name}, Amt für Migration und Integration",
        "einsatzgebiet": stelle["bezeichnung"],
        "kennziffer": "IM-" + stelle["stelle_nr"].upper().replace("_", "-"),
        "vza": float(vza),
        "umfang": umfang,
        "befristung_monate": int(foerderdauer_monate),
        "entgeltgruppe": entgeltgruppe,
        "qualifikationen": ["a", "b"],
        "aufgaben": ("Individuelle Beratung und Begleitung Geflüchteter in der Anschlussunterbringung "
                     "auf der Grundlage eines Integrationsplans; Vermittlung in die Regeldienste; "
                     "Zusammenarbeit mit Ehrenamtlichen und den Gemeinden."),
        "profil": "Abgeschlossenes Studium der Sozialen Arbeit oder vergleichbare Qualifikation.",
        "bewerbungsfrist": iso(to_date(heute) + timedelta(days=21)),
        "ansprechperson": "",
    }


def _vza_range(stelle: Mapping[str, Any], vza_mindestanteil: Number, message: str) -> dict[str, Any]:
    return {"minimum": float(dec(vza_mindestanteil)), "maximum": float(dec(stelle["vza"])),
            "x-message": message.format(von=format_vza(vza_mindestanteil), bis=format_vza(stelle["vza"]))}


def ausschreibung_schema(stelle: Mapping[str, Any], vza_mindestanteil: Number = 0.25) -> dict[str, Any]:
    """The posting's scope lies between the minimum share and the posting's VZÄ (`formSchema`; the
    gender-neutral title, the steps of 0,25 and the categories are in the form itself)."""
    return {"properties": {"vza": _vza_range(stelle, vza_mindestanteil, "Der Stellenumfang muss zwischen {von} und "
                                             "{bis} VZÄ liegen (Schritte von 0,25).")}}


def bewerbungen_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """Each application has its own name (the interviews and the selection refer to it).

    § 165 SGB IX (a severely disabled applicant who is not obviously unsuitable is invited; marking one
    as unsuitable needs a reason) is in the form's schema.
    """
    names = [str(r.get("name") or "").strip() for r in form.get("bewerbungen") or []]
    if len(set(names)) != len(names):
        return {"bewerbungen": "Jede Bewerbung muss einen eindeutigen Namen haben."}
    return {}


def veroeffentlichung_fehler(form: Mapping[str, Any], ausschreibung: Mapping[str, Any],
                             heute: DateLike) -> dict[str, str]:
    """A posting is published by its Bewerbungsfrist (else nobody could apply) and not after today."""
    am = form.get("veroeffentlicht_am")
    if not am:
        return {}
    frist = to_date(ausschreibung["bewerbungsfrist"])
    if to_date(am) > frist:
        return {"veroeffentlicht_am": f"Die Ausschreibung muss bis zum Ende der Bewerbungsfrist "
                                      f"({frist:%d.%m.%Y}) veröffentlicht sein."}
    if to_date(am) > to_date(heute):
        return {"veroeffentlicht_am": f"Das Datum der Veröffentlichung darf nicht nach heute "
                                      f"({to_date(heute):%d.%m.%Y}) liegen."}
    return {}


def eingeladene(bewerbungen: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Applicants invited to an interview (rows of the form `bewerbungen`)."""
    return [dict(r) for r in (bewerbungen.get("bewerbungen") or []) if r.get("einladen")]


def gespraeche_vorbelegung(bewerbungen: Mapping[str, Any]) -> dict[str, Any]:
    """One interview row per invited applicant."""
    return {"gespraeche": [{"name": r["name"], "qualifikation": r.get("qualifikation"), "teilgenommen": True,
                            "bewertung": None, "notiz": ""} for r in eingeladene(bewerbungen)]}


def auswahl_vorbelegung(stelle: Mapping[str, Any], ausschreibung: Mapping[str, Any],
                        personalrat: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Selection form defaults; after a Personalrat refusal its reasons are shown (read-only)."""
    values: dict[str, Any] = {"vza": ausschreibung.get("vza", stelle["vza"]),
                              "entgeltgruppe": ausschreibung.get("entgeltgruppe"), "stufe": 1}
    if personalrat and personalrat.get("entscheidung") == "verweigert":
        values["einwand_personalrat"] = personalrat.get("begruendung", "")
    return values


def auswahl_schema(gespraeche: Mapping[str, Any], stelle: Mapping[str, Any],
                   vza_mindestanteil: Number = 0.25) -> dict[str, Any]:
    """Only someone who took part in an interview can be selected (their names as an `enum`), with a
    scope within the posting (`formSchema` of `auswahl_treffen`)."""
    names = [r["name"] for r in (gespraeche.get("gespraeche") or []) if r.get("teilgenommen")]
    return {"properties": {
        "name": {"enum": names,
                 "x-message": "Ausgewählt werden kann nur, wer am Vorstellungsgespräch teilgenommen hat."},
        "vza": _vza_range(stelle, vza_mindestanteil, "Der Stellenumfang muss zwischen {von} und {bis} VZÄ liegen."),
    }}


def besetzung_ergebnis(stelle: Mapping[str, Any], auswahl: Mapping[str, Any], einstellung: Mapping[str, Any],
                       foerderdauer_monate: int) -> dict[str, Any]:
    """The filled posting: person, category, VZÄ, start and the end of its 24-month funding."""
    beginn = einstellung["beginn"]
    return {"stelle_nr": stelle["stelle_nr"], "titel": stelle.get("titel") or stelle["stelle_nr"],
            "empfaenger": stelle["empfaenger"], "bezeichnung": stelle["bezeichnung"],
            "gemeinden": list(stelle.get("gemeinden") or []),
            "status": "besetzt", "name": auswahl["name"], "qualifikation": auswahl["qualifikation"],
            "vza": float(dec(auswahl["vza"])), "entgeltgruppe": auswahl.get("entgeltgruppe"),
            "beginn": iso(to_date(beginn)), "foerderende": funding_end(beginn, foerderdauer_monate)}


def besetzung_aufgegeben(stelle: Mapping[str, Any], entscheidung: Mapping[str, Any]) -> dict[str, Any]:
    """A posting given up, with the reason (the round may end with it unfilled)."""
    return {"stelle_nr": stelle["stelle_nr"], "titel": stelle.get("titel") or stelle["stelle_nr"],
            "empfaenger": stelle["empfaenger"], "bezeichnung": stelle["bezeichnung"],
            "gemeinden": list(stelle.get("gemeinden") or []),
            "status": "aufgegeben", "vza": float(dec(stelle["vza"])),
            "begruendung": entscheidung.get("begruendung", "")}


def besetzte(besetzungen: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(b) for b in besetzungen if b.get("status") == "besetzt"]
