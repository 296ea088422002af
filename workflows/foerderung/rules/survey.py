"""Abfrage der Gemeinden: defaults of a round, the 51.000 € rule, answers and non-answers."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from workflows.foerderung.rules.allocation import planungsrahmen
from workflows.foerderung.rules.dates import DateLike, frist_zeitpunkt, iso, to_date
from workflows.foerderung.rules.money import dec, euro
from workflows.formatting import Number, format_date, format_eur

#: demo defaults of a round (domain.md): 64.000 € per VZÄ and year [V], 24 months [V],
#: 796,08 € per person [derived, NV as an official rate]: the one rate at which the Badische Zeitung's
#: bounds for the Ortenau Gemeinden, 52.541 € and 292.957 € [V], are whole persons (66 and 368),
#: and Mannheim's "about 531.800 €" for 668 persons [V] (668 × 796,08 € = 531.781,44 €) agrees;
#: 51.000 € minimum [V], Stichtag 15.09.2017 [V]. Everything else is [NV] and editable.
RUNDE_STANDARD: dict[str, Any] = {
    "landkreis": "ortenaukreis",
    "landkreis_name": "Ortenaukreis",
    "foerderzeitraum_beginn": "2017-01-01",
    "foerderzeitraum_ende": "2018-12-31",
    "foerdersatz_vza_jahr": 64000,
    "kosten_vza_jahr": 72000,
    "foerderdauer_monate": 24,
    "planungsrahmen_satz_person": 796.08,
    "mindestbetrag": 51000,
    "stichtag": "2017-09-15",
    "erinnerung_tage_vorher": 7,
    "vza_schritt": 0.25,
    "vza_mindestanteil": 0.25,
    "vza_rundung": "abrunden",
    "max_vza_je_stelle": 1.0,
    "entgeltgruppe": "S 11b",
    "bescheid_nachfrage_tage": 42,
    "verwendungsnachweis_monate": 3,
}


#: the Gemeinden count the persons on the Stichtag; they answer within six weeks of it [NV, editable]
RUECKMELDUNG_NACH_STICHTAG = timedelta(weeks=6)
#: a deadline the Gemeinden can still meet: at least four weeks from the day the round opens [NV]
RUECKMELDUNG_MINDESTVORLAUF = timedelta(weeks=4)


def _datum(value: DateLike) -> str:
    return format_date(value)


def rueckmeldefrist_vorschlag(stichtag: DateLike, heute: DateLike) -> str:
    """The round's answer deadline: six weeks after its own Stichtag (15.09.2017 → 27.10.2017).

    The engine's timers run on the real clock, so a round opened after that day (a 2017 round
    replayed today) gets four weeks from today instead: a deadline in the past would end the
    Abfrage at once without asking any Gemeinde.
    """
    frist = to_date(stichtag) + RUECKMELDUNG_NACH_STICHTAG
    return iso(frist if frist > to_date(heute) else to_date(heute) + RUECKMELDUNG_MINDESTVORLAUF)


def runde_vorbelegung(heute: DateLike, landkreis: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """Initial values of the form `runde_eroeffnen`: the programme's figures and the deadline they imply, for
    the Landkreis the round was started for (its master data as `load_landkreis` gives them: key and name)."""
    kreis = {"landkreis": landkreis["key"], "landkreis_name": landkreis["name"]} if landkreis else {}
    return dict(RUNDE_STANDARD, **kreis,
                rueckmeldefrist=rueckmeldefrist_vorschlag(RUNDE_STANDARD["stichtag"], heute))


def runde_eroeffnen_fehler(form: Mapping[str, Any], heute: DateLike) -> dict[str, str]:
    """Values of `runde_eroeffnen` that are schema-valid but would break the round (field -> German message).

    The dates must follow each other: the Förderzeitraum's start before its end, the Stichtag
    inside it, the Rückmeldefrist after the Stichtag (the Gemeinden report the count of that day)
    and in the future (a passed deadline would end the Abfrage at once without asking any Gemeinde).
    """
    errors: dict[str, str] = {}
    beginn, ende = form.get("foerderzeitraum_beginn"), form.get("foerderzeitraum_ende")
    stichtag, frist = form.get("stichtag"), form.get("rueckmeldefrist")
    if beginn and ende and to_date(ende) <= to_date(beginn):
        errors["foerderzeitraum_ende"] = (f"Das Ende des Förderzeitraums muss nach seinem Beginn "
                                          f"({_datum(beginn)}) liegen.")
    elif beginn and ende and stichtag and not to_date(beginn) <= to_date(stichtag) <= to_date(ende):
        errors["stichtag"] = (f"Der Stichtag muss im Förderzeitraum liegen ({_datum(beginn)} bis "
                              f"{_datum(ende)}).")
    if frist and stichtag and to_date(frist) <= to_date(stichtag):
        errors["rueckmeldefrist"] = (f"Die Rückmeldefrist muss nach dem Stichtag ({_datum(stichtag)}) liegen: "
                                     f"die Gemeinden melden die Zahl dieses Tages.")
    elif frist and to_date(frist) <= to_date(heute):
        errors["rueckmeldefrist"] = "Die Rückmeldefrist muss in der Zukunft liegen."
    return errors


def abfrage_vorbereiten(rueckmeldefrist: DateLike, erinnerung_tage_vorher: int) -> dict[str, str]:
    """Timer moments of the survey: the deadline (end of day) and the reminder before it."""
    return {"frist": frist_zeitpunkt(rueckmeldefrist),
            "erinnerung": frist_zeitpunkt(rueckmeldefrist, tage_vorher=erinnerung_tage_vorher, uhrzeit="08:00:00")}


def mindestzahl_personen(satz_pro_person: Number, mindestbetrag: Number) -> int | None:
    """The fewest persons whose Planungsrahmen reaches the minimum (None: no number does, rate 0)."""
    if dec(satz_pro_person) <= 0:
        return None
    n = max(1, int(-(-dec(mindestbetrag) // dec(satz_pro_person))))
    while n > 1 and planungsrahmen(n - 1, satz_pro_person) >= dec(mindestbetrag):
        n -= 1
    while planungsrahmen(n, satz_pro_person) < dec(mindestbetrag):
        n += 1
    return n


def erinnerung_text(rueckmeldefrist: DateLike) -> str:
    """The reminder a silent Gemeinde gets before the deadline, with the date as Germans write it."""
    return f"Bitte geben Sie Ihre Rückmeldung zum Integrationsmanagement bis zum {_datum(rueckmeldefrist)} ab."


def opt_in_schema(gemeinde: Mapping[str, Any], satz_pro_person: Number, mindestbetrag: Number) -> dict[str, Any]:
    """The 51.000 € rule (domain.md §1.3) as JSON Schema for a Gemeinde's answer (`formSchema` of
    `rueckmeldung_abgeben`): "eigene Durchführung" needs a Planungsrahmen of at least the minimum, so at
    least `mindestzahl_personen` Geflüchtete. The other rules of the answer are in the form itself."""
    name = gemeinde.get("name", "Die Gemeinde")
    n = mindestzahl_personen(satz_pro_person, mindestbetrag)
    reason = (f"{name} kann keinen eigenen Antrag stellen, wenn ihr Planungsrahmen (Personen × "
              f"{format_eur(satz_pro_person)}) unter dem Mindestbetrag von {format_eur(mindestbetrag)} liegt")
    advice = "Bitte übertragen Sie die Aufgabe an den Landkreis oder schließen Sie sich mit anderen Gemeinden zusammen."
    if n is None:
        then: dict[str, Any] = {"properties": {"entscheidung": {"not": {"const": "eigene_durchfuehrung"},
                                                                 "x-message": f"{reason}. {advice}"}}}
    else:
        then = {"properties": {"anzahl_gefluechtete": {
            "minimum": n, "x-message": f"{reason}: eigene Durchführung erst ab {n} Personen. {advice}"}}}
    return {"allOf": [{"if": {"properties": {"entscheidung": {"const": "eigene_durchfuehrung"}},
                              "required": ["entscheidung"]}, "then": then}]}


def rueckmeldung_vervollstaendigen(rueckmeldung: Mapping[str, Any], gemeinde: Mapping[str, Any],
                                   satz_pro_person: Number) -> dict[str, Any]:
    """Tag an answer with its Gemeinde, since the multi-instance output list is in completion order."""
    return dict(rueckmeldung, ags=gemeinde["ags"], name=gemeinde["name"], status="beantwortet",
                planungsrahmen=euro(planungsrahmen(rueckmeldung.get("anzahl_gefluechtete"), satz_pro_person)))


def keine_rueckmeldung(gemeinde: Mapping[str, Any]) -> dict[str, Any]:
    """The answer recorded when the deadline passed: "keine Rückmeldung" (no figures, no transfer)."""
    return {"ags": gemeinde["ags"], "name": gemeinde["name"], "entscheidung": "keine_rueckmeldung",
            "status": "keine_rueckmeldung", "anzahl_gefluechtete": None, "planungsrahmen": 0.0}
