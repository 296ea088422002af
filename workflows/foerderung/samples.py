"""Demo contexts for every document kind (Ortenaukreis, 2017/2018 programme).

The figures are the calibrated demo round's own (`demo_answers`, `data/demo_ortenaukreis.json`, the
round's defaults `RUNDE_STANDARD` and the teams of `data/teams_ortenaukreis.json`), computed by the
same rules as the round (`stellenbemessung_berechnen`, `stellen_aus_anteilen`): 41 of 51 Gemeinden
transfer, 32 VZÄ at 796,08 € per person, Kehl with the largest Planungsrahmen. No second copy of
figures lives here. Names of people are invented (one per posting of the round); Gemeinden and AGS are
real. Every sample sets ``muster: True`` so the PDFs say "Muster – Demodaten" in their footer.
"""

from __future__ import annotations

import copy
from decimal import ROUND_DOWN, Decimal
from functools import cache
from pathlib import Path
from typing import Any

from workflows.documents.render import render_document
from workflows.foerderung.demo_answers import demo_rueckmeldungen
from workflows.foerderung.document_kinds import DOCUMENT_KINDS
from workflows.foerderung.masterdata import DATA_DIR, read_teams_json
from workflows.foerderung.rules.allocation import stellen_aus_anteilen, stellenbemessung_berechnen
from workflows.foerderung.rules.survey import RUNDE_STANDARD
from workflows.formatting import format_vza, round_half_up

KREIS = "ortenaukreis"
FORDERSATZ = RUNDE_STANDARD["foerdersatz_vza_jahr"]
PLANUNGSRAHMEN_JE_PERSON = Decimal(str(RUNDE_STANDARD["planungsrahmen_satz_person"]))


@cache
def _bemessung() -> dict[str, Any]:
    """The demo round's Stellenbemessung from its demo answers, as the round computes it."""
    teams, zuordnung = read_teams_json(DATA_DIR / f"teams_{KREIS}.json")
    answers = [dict(a, ags=ags) for ags, a in demo_rueckmeldungen(KREIS).items()]
    r = RUNDE_STANDARD
    return stellenbemessung_berechnen(answers, r["planungsrahmen_satz_person"], r["foerdersatz_vza_jahr"],
                                      r["foerderdauer_monate"], r["vza_schritt"], r["vza_mindestanteil"],
                                      r["vza_rundung"], zuordnung, teams)


def _stellen_vza() -> Decimal:
    return Decimal(str(_bemessung()["vza_gesamt"]))


def _counts() -> tuple[int, int]:
    """(transferring Gemeinden, all Gemeinden asked)."""
    zaehlung = _bemessung()["zaehlung"]
    return zaehlung["uebertragung"], sum(zaehlung.values())


LANDKREIS: dict[str, Any] = {
    "name": "Ortenaukreis",
    "behoerde": "Landratsamt Ortenaukreis",
    "amt": "Amt für Migration und Integration",
    "anschrift": {"strasse": "Badstraße 20", "plz": "77652", "ort": "Offenburg"},
    "telefon": "0781 805-0",
    "email": "info@ortenaukreis.de",
    "internet": "www.ortenaukreis.de",
}

# invented names of the Integrationsmanager, one per posting (first name i, last name 7·i mod 18 + i // 18)
_VORNAMEN = ("Lena", "Murat", "Julia", "Tobias", "Amira", "Jonas", "Sophie", "David", "Hanna", "Felix", "Marie",
             "Elias", "Laura", "Samir", "Anna", "Paul", "Clara", "Leon")
_NACHNAMEN = ("Schneider", "Yıldız", "Hoffmann", "Fischer", "Haddad", "Becker", "Wagner", "Keller", "Braun",
              "Zimmermann", "Schäfer", "Wolf", "Neumann", "Al-Masri", "Schwarz", "Richter", "Krüger", "Hartmann")
_BEGINN = ("2018-01-15", "2018-02-01", "2018-02-15", "2018-03-01")

_VA_MITGLIEDER: tuple[tuple[str, str, str], ...] = (
    ("Dr. Klaus Hofmann (Landrat)", "", "ja"),
    ("Andreas Bühler", "CDU", "ja"),
    ("Barbara Vogt", "CDU", "ja"),
    ("Christian Huber", "CDU", "ja"),
    ("Doris Kern", "CDU", "ja"),
    ("Erich Maier", "CDU", "ja"),
    ("Franziska Roth", "Freie Wähler", "ja"),
    ("Georg Benz", "Freie Wähler", "ja"),
    ("Helga Frey", "Freie Wähler", "enthaltung"),
    ("Ingo Haas", "Freie Wähler", "ja"),
    ("Jutta Seiler", "SPD", "ja"),
    ("Karl Decker", "SPD", "ja"),
    ("Lisa Walter", "SPD", "ja"),
    ("Martin Graf", "Grüne", "ja"),
    ("Nina Sauer", "Grüne", "ja"),
    ("Otto Kunz", "Grüne", "ja"),
    ("Petra Ernst", "FDP", "ja"),
    ("Rolf Jäger", "FDP", "enthaltung"),
    ("Stefan Brandt", "AfD", "nein"),
    ("Theresa Lorenz", "Die Linke", "ja"),
)

LANDRAT = {"name": "Dr. Klaus Hofmann", "funktion": "Landrat"}
AMTSLEITUNG = {"name": "Dr. Andrea Krämer", "funktion": "Leiterin des Amtes für Migration und Integration"}
SACHBEARBEITUNG = {
    "name": "Sabine Weber",
    "telefon": "0781 805-9412",
    "email": "integrationsmanagement@ortenaukreis.de",
}


def _team(bezeichnung: str) -> str:
    return bezeichnung.removeprefix("Regionalteam ")


def _split(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """`total` in proportion to `weights`, to 0,01 by the largest remainder (the parts add up to `total`)."""
    whole = sum(weights, Decimal(0))
    exact = [total * w / whole for w in weights]
    parts = [value.quantize(Decimal("0.01"), rounding=ROUND_DOWN) for value in exact]
    missing = int((total - sum(parts)) / Decimal("0.01"))
    for index in sorted(range(len(parts)), key=lambda i: parts[i] - exact[i])[:missing]:
        parts[index] += Decimal("0.01")
    return parts


def _gemeinden() -> list[dict[str, Any]]:
    """The transferring Gemeinden with Planungsrahmen and their part of their team's VZÄ (to 0,01), so that
    the teams carry the round's own allocation."""
    bemessung = _bemessung()
    rows: list[dict[str, Any]] = []
    for anteil in bemessung["anteile"]:
        members = sorted((g for g in bemessung["uebertragende"] if g["empfaenger"] == anteil["empfaenger"]),
                         key=lambda g: g["name"])
        frames = [round_half_up(g["planungsrahmen"]) for g in members]
        for g, frame, share in zip(members, frames, _split(Decimal(str(anteil["vza"])), frames), strict=True):
            rows.append({"name": g["name"], "ags": g["ags"], "anzahl_gefluechtete": g["anzahl_gefluechtete"],
                         "team": _team(anteil["bezeichnung"]), "planungsrahmen": frame, "anteil_vza": share})
    return sorted(rows, key=lambda row: row["name"])


def _personen() -> list[dict[str, str]]:
    """One invented Integrationsmanager per posting of the round (its size and team)."""
    stellen = stellen_aus_anteilen(_bemessung()["anteile"], RUNDE_STANDARD["max_vza_je_stelle"])
    n = len(_VORNAMEN)
    return [{"name": f"{_VORNAMEN[i % n]} {_NACHNAMEN[(7 * i + i // n) % n]}", "qualifikation": "b" if i % 5 == 3
             else "a", "vza": str(stelle["vza"]), "beginn": _BEGINN[i % len(_BEGINN)],
             "team": _team(stelle["bezeichnung"])} for i, stelle in enumerate(stellen)]


def _beschlussvorlage() -> dict[str, Any]:
    n, alle = _counts()
    vza = format_vza(_stellen_vza())
    return {
        "landkreis": LANDKREIS,
        "datum": "2017-10-10",
        "vorlage_nr": "VA 2017/118",
        "aktenzeichen": "AMI 14.1-7/2017",
        "betreff": f"Pakt für Integration – Übernahme des Integrationsmanagements für {n} Städte "
        f"und Gemeinden und Einrichtung von {vza} Stellen Integrationsmanagement",
        "beratungsfolge": [
            {
                "top": "4",
                "gremium": "Verwaltungsausschuss",
                "sitzung_am": "2017-10-24",
                "oeffentlich": True,
                "zweck": "Beschlussfassung",
            },
            {
                "gremium": "Kreistag",
                "sitzung_am": "2017-11-14",
                "oeffentlich": True,
                "zweck": "Kenntnisnahme",
            },
        ],
        "beschlussvorschlag": [
            "nimmt die Ausführungen zum Pakt für Integration und zur Förderung des "
            "Integrationsmanagements zur Kenntnis.",
            f"stimmt der Übernahme des Integrationsmanagements für die {n} in Abschnitt III "
            "genannten Städte und Gemeinden zu.",
            f"beschließt die Einrichtung von {vza} Stellen (VZÄ) für Integrationsmanagerinnen und "
            "Integrationsmanager in Entgeltgruppe S 11b TVöD SuE, befristet auf die Förderdauer "
            "von 24 Monaten.",
            "beauftragt die Verwaltung, die Förderung beim Regierungspräsidium Stuttgart zu "
            "beantragen und die Stellen auszuschreiben.",
        ],
        "sachverhalt": (
            "Das Land Baden-Württemberg und die Kommunalen Landesverbände haben im April 2017 "
            "den Pakt für Integration geschlossen. Kernstück ist die Förderung von "
            "Integrationsmanagerinnen und Integrationsmanagern, die Geflüchtete in der "
            "Anschlussunterbringung individuell beraten und begleiten.\n\n"
            "Die Städte und Gemeinden können das Integrationsmanagement selbst wahrnehmen oder "
            f"auf den Landkreis übertragen. {n} der {alle} Städte und Gemeinden des Ortenaukreises "
            f"haben die Übertragung erklärt; die übrigen {alle - n} nehmen die Aufgabe selbst oder über einen "
            "Träger wahr, prüfen noch oder haben nicht geantwortet.\n\n"
            "Grundlage der Förderung ist die Zahl der Geflüchteten in der Anschlussunterbringung "
            "zum Stichtag 15.09.2017 (Erhebung nach § 29d FAG). Daraus ergibt sich für jede "
            "Gemeinde ein Planungsrahmen. Das Land fördert je Vollzeitstelle bis zu 64.000 Euro "
            "jährlich als Festbetrag für 24 Monate ab Beschäftigungsbeginn.\n\n"
            "Die Verwaltung schlägt vor, die Stellen in drei regionalen Teams (Acher-Renchtal, "
            "Kinzigtal, Lahr Umland) zu organisieren, die jeweils im Tandem arbeiten."
        ),
        "stellen_vza": _stellen_vza(),
        "fordersatz": FORDERSATZ,
        "foerderdauer_monate": 24,
        "kosten_vza_jahr": RUNDE_STANDARD["kosten_vza_jahr"],
        "stellenplan": "Die Stellen werden im Stellenplan 2018 als befristete Stellen "
        "(kw-Vermerk zum Ende der Förderung) ausgewiesen.",
        "stichtag": "2017-09-15",
        "gemeinden": _gemeinden(),
        "anlagen": [
            "Übertragungserklärungen der Städte und Gemeinden",
            "Entwurf der Stellenausschreibung",
        ],
        "unterzeichner": LANDRAT,
        "muster": True,
    }


def _antrag() -> dict[str, Any]:
    return {
        "landkreis": LANDKREIS,
        "datum": "2018-03-05",
        "aktenzeichen": "AMI 14.1-7/2018",
        "ansprechpartner": SACHBEARBEITUNG,
        "fordersatz": FORDERSATZ,
        "stellen": [
            dict(p) for p in _personen()
        ],
        "gemeinden": [
            {"name": g["name"], "ags": g["ags"], "planungsrahmen": g["planungsrahmen"]} for g in _gemeinden()
        ],
        "bankverbindung": {
            "kontoinhaber": "Landratsamt Ortenaukreis",
            "iban": "DE89 3704 0044 0532 0130 00",
            "bic": "XXXXDEXXXXX",
            "institut": "Demobank",
        },
        "unterzeichner": LANDRAT,
        "muster": True,
    }


def _stellenausschreibung() -> dict[str, Any]:
    return {
        "landkreis": LANDKREIS,
        "datum": "2017-10-30",
        "kennziffer": "AMI-2017-17",
        "entgeltgruppe": "TVöD SuE S 11b",
        "umfang_vza": "1.0",
        "beginn": "2018-01-15",
        "team": "Kinzigtal",
        "einsatzort": "Haslach im Kinzigtal",
        "aufgaben": [
            "individuelle, niederschwellige und aufsuchende Beratung und Begleitung von "
            "Geflüchteten in der Anschlussunterbringung",
            "Erstellen und Fortschreiben eines Integrationsplans mit Zielvereinbarung",
            "Vermittlung an die Regeldienste (Sprachkurse, Jobcenter, Schulen, Beratungsstellen)",
            "Zusammenarbeit mit den Städten und Gemeinden und Unterstützung des Ehrenamts",
        ],
        "qualifikationen": [
            "a) Hochschulabschluss (mindestens Bachelor) im Sozialwesen, z. B. Soziale Arbeit "
            "oder Sozialpädagogik, möglichst mit staatlicher Anerkennung",
            "b) ein anderer geeigneter Hochschulabschluss (mindestens Bachelor)",
            "c) mindestens mittlerer Bildungsabschluss mit abgeschlossener Berufsausbildung und "
            "geeigneter Berufserfahrung",
        ],
        "anforderungen": [
            "interkulturelle Kompetenz, Belastbarkeit und Teamfähigkeit",
            "Fremdsprachenkenntnisse (z. B. Englisch, Französisch, Arabisch) sind erwünscht",
            "Führerschein Klasse B und Bereitschaft zu Fahrten im Kreisgebiet",
        ],
        "angebot": [
            "eine sinnstiftende Tätigkeit in einem engagierten, regionalen Team",
            "Bezahlung nach TVöD SuE einschließlich Jahressonderzahlung",
            "vierwöchige Einarbeitung, Fortbildung und Supervision",
            "flexible Arbeitszeiten und betriebliche Altersvorsorge (ZVK)",
        ],
        "bewerbungsfrist": "2017-11-19",
        "bewerbung": {"portal": "www.ortenaukreis.de/karriere"},
        "kontakt": {
            "fachamt": {
                "name": "Dr. Andrea Krämer",
                "funktion": "Amt für Migration und Integration",
                "telefon": "0781 805-9400",
                "email": "integrationsmanagement@ortenaukreis.de",
            },
            "personalamt": {
                "name": "Thomas Ritter",
                "funktion": "Personalamt",
                "telefon": "0781 805-9150",
                "email": "personal@ortenaukreis.de",
            },
        },
        "muster": True,
    }


def _abstimmungsergebnis() -> dict[str, Any]:
    stimmen = [{"name": n, "fraktion": f, "stimme": s} for n, f, s in _VA_MITGLIEDER]
    return {
        "landkreis": LANDKREIS,
        "datum": "2017-10-24",
        "gremium": "Verwaltungsausschuss",
        "sitzung_am": "2017-10-24",
        "top": "4",
        "vorlage_nr": "VA 2017/118",
        "betreff": f"Übernahme des Integrationsmanagements und Einrichtung von {format_vza(_stellen_vza())} Stellen",
        "beschlusstext": "Der Verwaltungsausschuss beschließt entsprechend dem "
        "Beschlussvorschlag der Sitzungsvorlage VA 2017/118.",
        "mitglieder_gesamt": 23,
        "anwesend": len(stimmen),
        "ja": sum(1 for s in stimmen if s["stimme"] == "ja"),
        "nein": sum(1 for s in stimmen if s["stimme"] == "nein"),
        "enthaltung": sum(1 for s in stimmen if s["stimme"] == "enthaltung"),
        "abstimmungsart": "offen",
        "namentliche_stimmen": stimmen,
        "sitzungsleitung": LANDRAT["name"],
        "schriftfuehrung": "Sabine Weber",
        "muster": True,
    }


def _team_of(gemeinde: str) -> str:
    return next(g["team"] for g in _gemeinden() if g["name"] == gemeinde)


def _email(name: str) -> str:
    plain = name.lower().replace(" ", ".").replace("ı", "i").replace("ä", "ae").replace("ö", "oe").replace("ü", "ue")
    return f"{plain}@ortenaukreis.de"


def _mitteilung_gemeinden() -> dict[str, Any]:
    return {
        "landkreis": LANDKREIS,
        "datum": "2018-04-16",  # after the hires began and the Bescheid came (the round ends with it)
        "aktenzeichen": "AMI 14.1-7/2018",
        "sachbearbeitung": SACHBEARBEITUNG,
        "empfaenger": {
            "name": "Stadt Haslach im Kinzigtal",
            "zusatz": ["Bürgermeisteramt"],
            "strasse": "Am Marktplatz 1",
            "plz": "77716",
            "ort": "Haslach im Kinzigtal",
        },
        "gemeinde": "Haslach im Kinzigtal",
        "integrationsmanager": [  # the first two of Haslach's team, with invented contact details
            dict(p, telefon=f"0781 805-{9431 + i}", email=_email(p["name"]))
            for i, p in enumerate([p for p in _personen() if p["team"] == _team_of("Haslach im Kinzigtal")][:2])
        ],
        "unterzeichner": AMTSLEITUNG,
        "muster": True,
    }


_SAMPLES = {
    "beschlussvorlage": _beschlussvorlage,
    "antrag": _antrag,
    "stellenausschreibung": _stellenausschreibung,
    "abstimmungsergebnis": _abstimmungsergebnis,
    "mitteilung_gemeinden": _mitteilung_gemeinden,
}


def sample_context(kind: str) -> dict[str, Any]:
    """A fresh, realistic demo context for ``kind`` (safe to modify)."""
    if kind not in _SAMPLES:
        raise ValueError(f"unknown document kind {kind!r}; known: {', '.join(DOCUMENT_KINDS)}")
    return copy.deepcopy(_SAMPLES[kind]())


def render_samples(outdir: Path) -> list[Path]:
    """Render one sample PDF per kind into ``outdir`` (``grantflow documents sample OUTDIR``)."""
    outdir.mkdir(parents=True, exist_ok=True)
    paths = []
    for kind in DOCUMENT_KINDS:
        document = render_document(kind, sample_context(kind))
        path = outdir / document.filename
        path.write_bytes(document.pdf)
        paths.append(path)
    return paths
