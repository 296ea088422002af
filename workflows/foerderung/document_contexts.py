"""From the grant round's process data to the context each document template expects.

The process data use the names of the forms and rules (`beschlussvorlage`, `bemessung`,
`stimmzaehlung`, `ausschreibung`, `mitteilungen`, ...); the templates use the document
vocabulary described in `workflows.foerderung.document_kinds`. This module is the one place that knows
both. A builder returns one `DocumentJob` per PDF: the letter to the Gemeinden is one PDF per
Gemeinde, addressed (and visible) to it alone.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import clock
from workflows.documents.kinds import DocumentJob
from workflows.foerderung.rules import allocation
from workflows.foerderung.rules.drafts import mitteilungen_gemeinden
from workflows.storage.models import Landkreis, Role, User

Data = Mapping[str, Any]


def _lines(text: Any) -> list[str]:
    return [line.strip(" -•\t") for line in str(text or "").splitlines() if line.strip(" -•\t")]


def _signer(common: Data) -> dict[str, Any]:
    return {"name": common["sachbearbeitung"]["name"], "funktion": common["landkreis"]["amt"]}


def _kontakt(common: Data, rolle: str) -> dict[str, Any]:
    """A contact person of the Landkreis's master data (`stammdaten.kontakte`), or an empty dict."""
    return dict((common["landkreis"].get("kontakte") or {}).get(rolle) or {})


def _team_of(anteile: list[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    return {ags: row for row in anteile for ags in row.get("gemeinden") or []}


def _gemeinde_shares(bemessung: Data, anteile: list[Mapping[str, Any]]) -> dict[str, float]:
    """Each Gemeinde's arithmetic part of its team's VZÄ (to 0,01, summing exactly per team)."""
    planungsrahmen = {g["ags"]: g["planungsrahmen"] for g in bemessung["uebertragende"]}
    shares: dict[str, float] = {}
    for row in anteile:
        weights = {ags: planungsrahmen[ags] for ags in row.get("gemeinden") or [] if planungsrahmen.get(ags)}
        if weights and row.get("vza"):
            shares.update(allocation.allocate_shares(weights, row["vza"], 0.01, 0.01))
    return shares


def beschlussvorlage(data: Data, common: Data) -> list[DocumentJob]:
    bv, bemessung = data["beschlussvorlage"], data["bemessung"]
    anteile = data.get("stellenanteile") or bemessung["anteile"]
    team, shares = _team_of(anteile), _gemeinde_shares(bemessung, anteile)
    return [DocumentJob({
        **common,
        "vorlage_nr": bv.get("vorlagen_nr"),
        "aktenzeichen": data.get("aktenzeichen"),
        "stichtag": data.get("stichtag"),
        "kosten_vza_jahr": data.get("kosten_vza_jahr"),
        "betreff": bv["betreff"],
        "beratungsfolge": [{
            "top": row.get("top"), "gremium": row["gremium"], "sitzung_am": row.get("datum"),
            "oeffentlich": row.get("oeffentlichkeit", "oeffentlich") == "oeffentlich",
            "zweck": {"beschlussfassung": "Beschlussfassung", "vorberatung": "Vorberatung",
                      "kenntnisnahme": "Kenntnisnahme"}.get(row.get("zustaendigkeit", ""), "Beschlussfassung"),
        } for row in bv.get("beratungsfolge") or []],
        "beschlussvorschlag": [_strip_number(p) for p in _lines(bv["beschlussvorschlag"])],
        "sachverhalt": bv["sachverhalt"],
        "finanzielle_auswirkungen": bv.get("finanzielle_auswirkungen"),
        "stellen_vza": sum(float(row["vza"]) for row in anteile),
        "fordersatz": data["foerdersatz_vza_jahr"],
        "foerderdauer_monate": data.get("foerderdauer_monate", 24),
        "gemeinden": [{
            "name": g["name"], "ags": g["ags"], "anzahl_gefluechtete": g["anzahl_gefluechtete"],
            "planungsrahmen": g["planungsrahmen"], "team": team.get(g["ags"], {}).get("bezeichnung"),
            "anteil_vza": shares.get(g["ags"]),
        } for g in bemessung["uebertragende"]],
        "anlagen": ["Übersicht der Rückmeldungen der Städte und Gemeinden"],
        "unterzeichner": _signer(common),
    })]


def _strip_number(paragraph: str) -> str:
    """`1. Der Ausschuss ...` -> `Der Ausschuss ...`: the template numbers the items itself."""
    head, _, rest = paragraph.partition(" ")
    return rest if head.rstrip(".").isdigit() and rest else paragraph


def abstimmungsergebnis(data: Data, common: Data) -> list[DocumentJob]:
    """The result, as everyone who sees the round may read it: the counts, never who voted how (individual
    votes are `einzelstimmen`, the chair's and the minute-taker's: they see them on the round's page)."""
    counts, bv = data["stimmzaehlung"], data["beschlussvorlage"]
    sitzung = bv.get("sitzungsdatum") or common["datum"]
    return [DocumentJob({
        **common,
        "datum": sitzung,  # an extract of that session's minutes: established there, dated that day
        "gremium": "Verwaltungsausschuss",
        "sitzung_am": sitzung,
        "vorlage_nr": bv.get("vorlagen_nr"),
        "betreff": bv["betreff"],
        "beschlusstext": bv.get("beschlussvorschlag"),
        "mitglieder_gesamt": counts["mitglieder_anzahl"],
        "anwesend": counts["teilgenommen"],
        "ja": counts["ja"], "nein": counts["nein"], "enthaltung": counts["enthaltung"],
        "abstimmungsart": "offen",
        "namentliche_stimmen": [],  # the document is shown to all staff (documents list): no names
        "beschlussfaehig": 2 * counts["teilgenommen"] >= counts["mitglieder_anzahl"],
        "angenommen": bool(data.get("beschluss_angenommen")),
        "sitzungsleitung": common.get("vorsitz") or None,
        "schriftfuehrung": _kontakt(common, "schriftfuehrung").get("name") or common["sachbearbeitung"]["name"],
    })]


def antrag(data: Data, common: Data) -> list[DocumentJob]:
    form, bemessung = data["antrag"], data["bemessung"]
    fachamt = _kontakt(common, "fachamt")
    start = data.get("foerderzeitraum_beginn") or common["datum"]
    return [DocumentJob({
        **common,
        "aktenzeichen": data.get("aktenzeichen"),
        "ansprechpartner": {"name": form.get("ansprechperson") or fachamt.get("name")
                            or common["sachbearbeitung"]["name"],
                            "telefon": form.get("telefon") or fachamt.get("telefon"),
                            "email": form.get("email") or fachamt.get("email")},
        "fordersatz": data["foerdersatz_vza_jahr"],
        "stellen": _positions(form["stellenverteilung"], data, start),
        "gemeinden": [{"name": g["name"], "ags": g["ags"], "planungsrahmen": g["planungsrahmen"]}
                      for g in bemessung["uebertragende"]],
        "bankverbindung": {"kontoinhaber": form.get("kontoinhaber"), "iban": form.get("iban")},
        "unterzeichner": {"name": form.get("unterzeichner") or common["dezernatsleitung"]
                          or common["sachbearbeitung"]["name"], "funktion": "Dezernatsleitung"},
        "ort": common["landkreis"]["anschrift"]["ort"],
    })]


def _positions(verteilung: list[Mapping[str, Any]], data: Data, start: Any) -> list[dict[str, Any]]:
    """The posts applied for: each team's VZÄ split into posts of at most `max_vza_je_stelle`,
    as the Stellenbesetzung will fill them (the persons are reported later)."""
    shares = [{"empfaenger": r["bezeichnung"], "bezeichnung": r["bezeichnung"], "vza": r["vza"]} for r in verteilung]
    posts = allocation.stellen_aus_anteilen(shares, data.get("max_vza_je_stelle", 1.0),
                                            data.get("vza_mindestanteil", 0.25))
    numbers: dict[str, int] = {}
    result = []
    for post in posts:
        numbers[post["bezeichnung"]] = numbers.get(post["bezeichnung"], 0) + 1
        result.append({"name": f"{post['bezeichnung']}, Stelle {numbers[post['bezeichnung']]}", "vza": post["vza"],
                       "beginn": start, "monate": data.get("foerderdauer_monate", 24)})
    return result


def stellenausschreibung(data: Data, common: Data) -> list[DocumentJob]:
    form, stelle = data["ausschreibung"], data.get("stelle") or {}
    fachamt = _kontakt(common, "fachamt")
    labels = {"a": "ein abgeschlossenes Hochschulstudium (mindestens Bachelor) im Sozialwesen, z. B. Soziale "
                   "Arbeit oder Sozialpädagogik",
              "b": "ein anderer geeigneter Hochschulabschluss (mindestens Bachelor)",
              "c": "mindestens ein mittlerer Bildungsabschluss mit abgeschlossener Berufsausbildung und "
                   "einschlägiger Berufserfahrung"}
    return [DocumentJob({
        **common,
        "titel": form.get("titel") or "Integrationsmanager (m/w/d)",
        "kennziffer": form["kennziffer"],
        "entgeltgruppe": form["entgeltgruppe"],
        "umfang_vza": form.get("vza") or stelle.get("vza"),
        "beginn": form.get("beginn") or "zum nächstmöglichen Zeitpunkt",
        "befristung_monate": form.get("befristung_monate", 24),
        "einsatzort": form.get("einsatzgebiet") if form.get("einsatzgebiet") != stelle.get("bezeichnung") else None,
        "team": stelle.get("bezeichnung"),
        "aufgaben": _lines(form.get("aufgaben")),
        "qualifikationen": [labels.get(q, q) for q in form.get("qualifikationen") or []],
        "anforderungen": _lines(form.get("profil")),
        "angebot": list(common["landkreis"].get("angebot") or []),
        "bewerbung": dict(common["landkreis"].get("bewerbung") or {}),
        "bewerbungsfrist": form["bewerbungsfrist"],
        "kontakt": {"fachamt": {**fachamt, **({"name": form["ansprechperson"]} if form.get("ansprechperson") else {})},
                    "personalamt": _kontakt(common, "personalamt")},
    })]


def mitteilung_gemeinden(data: Data, common: Data) -> list[DocumentJob]:
    jobs = []
    for notice in mitteilungen_gemeinden(data["besetzungen"], data["bemessung"]["uebertragende"]):
        if not notice.get("integrationsmanager"):
            continue  # nobody hired for this Gemeinde's team (yet): no letter
        jobs.append(DocumentJob({
            **common,
            "empfaenger": {"name": f"Gemeindeverwaltung {notice['name']}"},
            "aktenzeichen": data.get("aktenzeichen"),
            "gemeinde": notice["name"],
            "integrationsmanager": [{"name": p["name"], "team": p.get("team"), "vza": p.get("vza"),
                                     "beginn": p["beginn"]} for p in notice["integrationsmanager"]],
            "unterzeichner": _signer(common),
        }, gemeinde_ags=notice["ags"]))
    return jobs


BUILDERS: dict[str, Callable[[Data, Data], list[DocumentJob]]] = {
    "beschlussvorlage": beschlussvorlage,
    "abstimmungsergebnis": abstimmungsergebnis,
    "antrag": antrag,
    "stellenausschreibung": stellenausschreibung,
    "mitteilung_gemeinden": mitteilung_gemeinden,
}


def jobs_for(kind: str, session: Session, data: Data, actor: str | None) -> list[DocumentJob]:
    """The PDFs of `kind` for a round's data, with the Landkreis' letterhead from the master data."""
    kreis = session.scalars(select(Landkreis).where(Landkreis.key == data.get("landkreis"))).first()
    if kreis is None:
        raise LookupError(f"Unbekannter Landkreis '{data.get('landkreis')}'")
    document = kreis.as_document_data()
    actor_name = session.scalar(select(User.display_name).where(User.username == actor)) if actor else None
    def holder(role: str) -> str | None:  # who signs for a role: its first active member
        return session.scalars(select(User.display_name).join(User.roles).where(Role.key == role, User.active)
                               .order_by(User.id)).first()

    staff = actor_name if actor and _signs_letters(session, actor) else None
    # a document is dated the day it is made (the process clock: the Demo-Uhr in a demo); the builders
    # give those with a date of their own that date (the Abstimmungsergebnis: the Sitzung)
    common = {"landkreis": document, "datum": clock.today().isoformat(), "muster": kreis.muster,
              "sachbearbeitung": {"name": staff or (document.get("kontakte") or {}).get("fachamt", {}).get("name")
                                  or kreis.amt},
              "vorsitz": holder("Vorsitz"), "dezernatsleitung": holder("Dezernatsleitung"),
              "foerderzeitraum": {"beginn": data.get("foerderzeitraum_beginn"),
                                  "ende": data.get("foerderzeitraum_ende")}}
    return BUILDERS[kind](data, common)


def _signs_letters(session: Session, username: str) -> bool:
    """Staff of the Landratsamt sign; a document made in a Gemeinde's or a committee member's step
    (the last vote, the last answer) is signed by the Amt's contact person instead."""
    roles = set(session.scalars(select(Role.key).join(User.roles).where(User.username == username)))
    return bool(roles & {"Sachbearbeitung", "Dezernatsleitung", "Personalamt"})
