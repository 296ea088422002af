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


#: the committee meets two weeks after the survey closed, at the earliest [NV, editable]
SITZUNG_NACH_RUECKMELDEFRIST = timedelta(days=14)


def sitzung_vorschlag(rueckmeldefrist: DateLike | None, heute: DateLike) -> str:
    """Two weeks after the Rückmeldefrist (or after today, if the round is drafted later)."""
    after = max(to_date(heute), to_date(rueckmeldefrist)) if rueckmeldefrist else to_date(heute)
    return iso(after + SITZUNG_NACH_RUECKMELDEFRIST)


def beschlussvorlage_fehler(form: Mapping[str, Any], rueckmeldefrist: DateLike, heute: DateLike) -> dict[str, str]:
    """The Sitzung follows the survey (only then is it known who transferred) and lies ahead:
    the members vote until it ends, so a past date would close the vote at once."""
    sitzung = form.get("sitzungsdatum")
    if not sitzung:
        return {}
    if to_date(sitzung) <= to_date(rueckmeldefrist):
        return {"sitzungsdatum": f"Die Sitzung muss nach der Rückmeldefrist ({_datum(rueckmeldefrist)}) "
                                 f"liegen: erst dann steht fest, welche Gemeinden übertragen."}
    if to_date(sitzung) < to_date(heute):
        return {"sitzungsdatum": "Die Sitzung darf nicht in der Vergangenheit liegen: bis zu ihrem Ende "
                                 "wird abgestimmt."}
    return {}


def beschlussvorlage_vorbelegung(vorher: Mapping[str, Any] | None, landkreis_name: str,
                                 bemessung: Mapping[str, Any], foerdersatz_vza_jahr: Number,
                                 foerderdauer_monate: int, stichtag: DateLike, heute: DateLike,
                                 freigabe: Mapping[str, Any] | None = None,
                                 rueckmeldefrist: DateLike | None = None) -> dict[str, Any]:
    """Initial Beschlussvorlage; after a send-back the previous draft plus the comment (read-only).

    `rueckmeldefrist` is keyword-only in practice: process versions deployed before it was added
    call with eight arguments and get a Sitzung two weeks from today.
    """
    if vorher:
        return _resumed(vorher, freigabe)
    n_ueb = len(bemessung["uebertragende"])
    teams = "; ".join(f"{a['bezeichnung']}: {format_vza(a['vza'])} VZÄ" for a in bemessung["anteile"])
    sitzung = sitzung_vorschlag(rueckmeldefrist, heute)
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
            f"Das Land fördert {format_vza(bemessung['vza_gesamt'])} VZÄ über {foerderdauer_monate} Monate mit "
            f"einem Festbetrag von {format_eur(bemessung['foerdersumme'])}. Die darüber hinausgehenden Personal- "
            f"und Sachkosten (Arbeitsplatz, Tarifsteigerungen) trägt der Landkreis als Kreisanteil."),
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

    A Gemeinde is served by every person hired for the share (team) it belongs to. The round does
    not store the notices (41 of them repeat each team's staff); the letters and the mails are
    made from them where they are needed.
    """
    people = _staff_by_gemeinde(besetzungen)
    return [_notice(g, people.get(g["ags"], [])) for g in uebertragende]


def mitteilung_text(ags: str, besetzungen: Iterable[Mapping[str, Any]],
                    uebertragende: Iterable[Mapping[str, Any]]) -> str:
    """The mail text of the notice to the Gemeinde `ags`."""
    (gemeinde,) = [g for g in uebertragende if g["ags"] == ags]
    return str(_notice(gemeinde, _staff_by_gemeinde(besetzungen).get(ags, []))["text"])


def _staff_by_gemeinde(besetzungen: Iterable[Mapping[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    people: dict[str, list[dict[str, Any]]] = {}
    for b in besetzungen:
        if b.get("status") != "besetzt":
            continue
        for ags in b.get("gemeinden") or []:
            people.setdefault(ags, []).append({"name": b["name"], "vza": b["vza"], "beginn": b["beginn"],
                                               "team": b["bezeichnung"]})
    return people


def _notice(gemeinde: Mapping[str, Any], staff: list[dict[str, Any]]) -> dict[str, Any]:
    names = ", ".join(f"{p['name']} (ab {_datum(p['beginn'])})" for p in staff) or "noch offen"
    return {"ags": gemeinde["ags"], "name": gemeinde["name"], "integrationsmanager": staff,
            "betreff": "Ihr Integrationsmanagement", "text": f"Für {gemeinde['name']} ist zuständig: {names}."}
