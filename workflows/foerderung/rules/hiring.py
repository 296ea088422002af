"""Stellenbesetzung: posting, applications (§ 165 SGB IX), selection, Personalrat (§ 75 LPVG BW)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from decimal import Decimal
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


def ausschreibung_errors(form: Mapping[str, Any], stelle: Mapping[str, Any],
                         vza_mindestanteil: Number = 0.25) -> dict[str, str]:
    """The posting must be gender-neutral (AGG § 11), within the posting's VZÄ and ≥ the minimum share."""
    errors: dict[str, str] = {}
    if "(m/w/d)" not in str(form.get("titel") or ""):
        errors["titel"] = "Die Stellenbezeichnung muss geschlechtsneutral sein, z. B. mit dem Zusatz „(m/w/d)“."
    vza = dec(form.get("vza"))
    if vza < dec(vza_mindestanteil) or vza > dec(stelle["vza"]) or (vza / Decimal("0.25")) % 1:
        errors["vza"] = (f"Der Stellenumfang muss zwischen {format_vza(vza_mindestanteil)} und "
                         f"{format_vza(stelle['vza'])} VZÄ liegen (Schritte von 0,25).")
    if not form.get("qualifikationen"):
        errors["qualifikationen"] = "Bitte wählen Sie mindestens eine Qualifikationskategorie."
    return errors


def veroeffentlichung_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """§ 165 SGB IX: a public employer reports the vacancy to the Agentur für Arbeit."""
    if "agentur_fuer_arbeit" not in (form.get("kanaele") or []):
        return {"kanaele": "Öffentliche Arbeitgeber müssen freie Stellen der Agentur für Arbeit melden "
                           "(§ 165 SGB IX)."}
    return {}


def bewerbungen_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """§ 165 SGB IX: a severely disabled applicant who is not obviously unsuitable must be invited.

    Marking such an applicant as obviously unsuitable needs a written reason.
    """
    errors: dict[str, str] = {}
    rows = list(form.get("bewerbungen") or [])
    names = [str(r.get("name") or "").strip() for r in rows]
    if len(set(names)) != len(names):
        errors["bewerbungen"] = "Jede Bewerbung muss einen eindeutigen Namen haben."
    for row in rows:
        if not row.get("schwerbehindert"):
            continue
        if row.get("offensichtlich_ungeeignet"):
            if not str(row.get("begruendung") or "").strip():
                errors["bewerbungen"] = (f"{row.get('name')}: Bitte begründen Sie, warum die schwerbehinderte "
                                         f"Person offensichtlich ungeeignet ist (§ 165 SGB IX).")
        elif not row.get("einladen"):
            errors["bewerbungen"] = (f"{row.get('name')} ist schwerbehindert und nicht offensichtlich ungeeignet "
                                     f"und muss zum Vorstellungsgespräch eingeladen werden (§ 165 SGB IX).")
    return errors


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


def auswahl_errors(form: Mapping[str, Any], gespraeche: Mapping[str, Any], stelle: Mapping[str, Any],
                   vza_mindestanteil: Number = 0.25) -> dict[str, str]:
    """The selected person must have been interviewed; scope within the posting."""
    errors: dict[str, str] = {}
    teilgenommen = {r["name"]: r for r in (gespraeche.get("gespraeche") or []) if r.get("teilgenommen")}
    if form.get("name") not in teilgenommen:
        errors["name"] = "Ausgewählt werden kann nur, wer am Vorstellungsgespräch teilgenommen hat."
    vza = dec(form.get("vza"))
    if vza < dec(vza_mindestanteil) or vza > dec(stelle["vza"]):
        errors["vza"] = (f"Der Stellenumfang muss zwischen {format_vza(vza_mindestanteil)} und "
                         f"{format_vza(stelle['vza'])} VZÄ liegen.")
    return errors


def personalrat_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """A refusal must be given with reasons (§ 76 LPVG BW practice; domain.md §4.2)."""
    if form.get("entscheidung") == "verweigert" and not str(form.get("begruendung") or "").strip():
        return {"begruendung": "Eine Verweigerung der Zustimmung ist schriftlich zu begründen."}
    return {}


def freigabe_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """Sending a draft back needs a comment saying what to change."""
    if form.get("entscheidung") == "zurueck" and not str(form.get("kommentar") or "").strip():
        return {"kommentar": "Bitte geben Sie an, was überarbeitet werden soll."}
    return {}


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


def weiteres_vorgehen_errors(form: Mapping[str, Any]) -> dict[str, str]:
    """Giving a posting up needs a reason."""
    if form.get("vorgehen") == "aufgeben" and not str(form.get("begruendung") or "").strip():
        return {"begruendung": "Bitte begründen Sie, warum die Stelle nicht besetzt wird."}
    return {}


def besetzte(besetzungen: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    return [dict(b) for b in besetzungen if b.get("status") == "besetzt"]
