"""Prefills of the drafting forms (Beschlussvorlage, Antrag) and the letter to the Gemeinden.

The texts are suggestions the Sachbearbeitung edits; they carry the round's figures so that
the committee paper, the application and the data agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import timedelta
from typing import Any

from workflows.foerderung.rules.dates import DateLike, iso, to_date
from workflows.formatting import Number, format_eur, format_vza


def _datum(value: DateLike) -> str:
    return to_date(value).strftime("%d.%m.%Y")


def _resumed(vorher: Mapping[str, Any], freigabe: Mapping[str, Any] | None) -> dict[str, Any]:
    """A draft sent back by the Dezernatsleitung: the previous values plus its comment."""
    values = dict(vorher)
    if freigabe and freigabe.get("entscheidung") == "zurueck":
        values["kommentar_dezernat"] = freigabe.get("kommentar", "")
    return values


def beschlussvorlage_vorbelegung(vorher: Mapping[str, Any] | None, landkreis_name: str,
                                 bemessung: Mapping[str, Any], foerdersatz_vza_jahr: Number,
                                 foerderdauer_monate: int, stichtag: DateLike, heute: DateLike,
                                 freigabe: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Initial Beschlussvorlage; after a send-back the previous draft plus the comment (read-only)."""
    if vorher:
        return _resumed(vorher, freigabe)
    n_ueb = len(bemessung["uebertragende"])
    teams = "; ".join(f"{a['bezeichnung']}: {format_vza(a['vza'])} VZÄ" for a in bemessung["anteile"])
    sitzung = iso(to_date(heute) + timedelta(days=14))
    return {
        "betreff": f"Pakt für Integration – Integrationsmanagement im {landkreis_name}: "
                   f"Übernahme der Aufgabe für {n_ueb} Städte und Gemeinden",
        "vorlagen_nr": "",
        "sitzungsdatum": sitzung,
        "beratungsfolge": [{"gremium": "Verwaltungsausschuss", "datum": sitzung,
                            "oeffentlichkeit": "oeffentlich", "zustaendigkeit": "beschlussfassung"}],
        "beschlussvorschlag": (
            f"1. Der Verwaltungsausschuss nimmt Kenntnis davon, dass {n_ueb} Städte und Gemeinden die "
            f"Aufgabe des Integrationsmanagements auf den Landkreis übertragen haben.\n"
            f"2. Der Verwaltungsausschuss beschließt, beim Regierungspräsidium Stuttgart Fördermittel für "
            f"{format_vza(bemessung['vza_gesamt'])} Vollzeitstellen Integrationsmanagement zu beantragen "
            f"und die Stellen befristet auf {foerderdauer_monate} Monate zu besetzen."),
        "sachverhalt": (
            f"Im Rahmen des Paktes für Integration fördert das Land Integrationsmanagerinnen und "
            f"Integrationsmanager mit bis zu {format_eur(foerdersatz_vza_jahr)} je Vollzeitstelle und Jahr. "
            f"Grundlage ist die Zahl der Geflüchteten in der Anschlussunterbringung zum Stichtag "
            f"{_datum(stichtag)}. Aus den Rückmeldungen der übertragenden Gemeinden ergibt sich ein "
            f"Planungsrahmen von {format_eur(bemessung['planungsrahmen_kreis'])}. Die Stellen verteilen "
            f"sich auf: {teams}."),
        "finanzielle_auswirkungen": (
            f"Förderfähige Personalkosten {format_eur(bemessung['foerdersumme'])} für "
            f"{format_vza(bemessung['vza_gesamt'])} VZÄ über {foerderdauer_monate} Monate; sie werden durch "
            f"die Landesförderung (Festbetrag) gedeckt. Nicht gedeckte Kosten (Sachkosten, "
            f"Tarifsteigerungen) trägt der Landkreis."),
    }


def antrag_vorbelegung(vorher: Mapping[str, Any] | None, landkreis_name: str, bemessung: Mapping[str, Any],
                       stellenanteile: Iterable[Mapping[str, Any]],
                       freigabe: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Initial application to the RP; after a send-back the previous draft plus the comment."""
    if vorher:
        return _resumed(vorher, freigabe)
    return {
        "antragsteller": f"Landratsamt {landkreis_name}",
        "beteiligte_gemeinden": ", ".join(g["name"] for g in bemessung["uebertragende"]),
        "planungsrahmen": bemessung["planungsrahmen_kreis"],
        "beantragte_vza": bemessung["vza_gesamt"],
        "beantragte_summe": bemessung["foerdersumme"],
        "stellenverteilung": [{"bezeichnung": a["bezeichnung"], "vza": a["vza"]} for a in stellenanteile],
        "kontoinhaber": f"Landkreis {landkreis_name}",
    }


def mitteilungen_gemeinden(besetzungen: Iterable[Mapping[str, Any]],
                           uebertragende: Iterable[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One notice per transferring Gemeinde: who its Integrationsmanager(innen) are.

    A Gemeinde is served by every person hired for the share (team) it belongs to.
    """
    people: dict[str, list[dict[str, Any]]] = {}
    for b in besetzungen:
        if b.get("status") != "besetzt":
            continue
        for ags in b.get("gemeinden") or []:
            people.setdefault(ags, []).append({"name": b["name"], "vza": b["vza"], "beginn": b["beginn"],
                                               "team": b["bezeichnung"]})
    notices = []
    for g in uebertragende:
        staff = people.get(g["ags"], [])
        names = ", ".join(f"{p['name']} (ab {_datum(p['beginn'])})" for p in staff) or "noch offen"
        notices.append({"ags": g["ags"], "name": g["name"], "integrationsmanager": staff,
                        "betreff": "Ihr Integrationsmanagement",
                        "text": f"Für {g['name']} ist zuständig: {names}."})
    return notices
