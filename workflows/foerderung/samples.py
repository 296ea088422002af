"""Demo contexts for every document kind (Ortenaukreis, 2017/2018 programme).

Names of people are invented; Gemeinden and AGS are real (shared/data), refugee numbers and
team assignments are made up for the demo. Every sample sets ``muster: True`` so the PDFs
say "Muster – Demodaten" in their footer.
"""

from __future__ import annotations

import copy
from decimal import ROUND_DOWN, Decimal
from pathlib import Path
from typing import Any

from workflows.documents.render import render_document
from workflows.foerderung.document_kinds import DOCUMENT_KINDS
from workflows.formatting import round_half_up

FORDERSATZ = 64000
PLANUNGSRAHMEN_JE_PERSON = Decimal("796.11")
STELLEN_VZA = Decimal("22.5")

LANDKREIS: dict[str, Any] = {
    "name": "Ortenaukreis",
    "behoerde": "Landratsamt Ortenaukreis",
    "amt": "Amt für Migration und Integration",
    "anschrift": {"strasse": "Badstraße 20", "plz": "77652", "ort": "Offenburg"},
    "telefon": "0781 805-0",
    "email": "info@ortenaukreis.de",
    "internet": "www.ortenaukreis.de",
}

# (name, AGS, refugees in the Anschlussunterbringung on 15.09.2017 [demo], team)
_GEMEINDEN: tuple[tuple[str, str, int, str], ...] = (
    ("Appenweier", "08317005", 181, "Acher-Renchtal"),
    ("Bad Peterstal-Griesbach", "08317008", 57, "Acher-Renchtal"),
    ("Berghaupten", "08317009", 54, "Kinzigtal"),
    ("Biberach", "08317011", 76, "Kinzigtal"),
    ("Durbach", "08317021", 83, "Acher-Renchtal"),
    ("Fischerbach", "08317029", 30, "Kinzigtal"),
    ("Gengenbach", "08317034", 139, "Kinzigtal"),
    ("Gutach (Schwarzwaldbahn)", "08317039", 44, "Kinzigtal"),
    ("Haslach im Kinzigtal", "08317040", 218, "Kinzigtal"),
    ("Hausach", "08317041", 154, "Kinzigtal"),
    ("Hofstetten", "08317046", 31, "Kinzigtal"),
    ("Hornberg", "08317051", 96, "Kinzigtal"),
    ("Kappel-Grafenhausen", "08317152", 117, "Lahr Umland"),
    ("Kappelrodeck", "08317056", 66, "Acher-Renchtal"),
    ("Kippenheim", "08317059", 133, "Lahr Umland"),
    ("Lauf", "08317068", 70, "Acher-Renchtal"),
    ("Lautenbach", "08317067", 41, "Acher-Renchtal"),
    ("Mahlberg", "08317073", 107, "Lahr Umland"),
    ("Meißenheim", "08317075", 72, "Lahr Umland"),
    ("Mühlenbach", "08317078", 28, "Kinzigtal"),
    ("Nordrach", "08317085", 39, "Kinzigtal"),
    ("Oberharmersbach", "08317088", 46, "Kinzigtal"),
    ("Oberwolfach", "08317093", 35, "Kinzigtal"),
    ("Ohlsbach", "08317097", 71, "Kinzigtal"),
    ("Oppenau", "08317098", 105, "Acher-Renchtal"),
    ("Ortenberg", "08317100", 67, "Kinzigtal"),
    ("Ottenhöfen im Schwarzwald", "08317102", 67, "Acher-Renchtal"),
    ("Renchen", "08317110", 192, "Acher-Renchtal"),
    ("Ringsheim", "08317113", 63, "Lahr Umland"),
    ("Rust", "08317114", 80, "Lahr Umland"),
    ("Sasbach", "08317116", 113, "Acher-Renchtal"),
    ("Sasbachwalden", "08317118", 50, "Acher-Renchtal"),
    ("Schuttertal", "08317121", 56, "Lahr Umland"),
    ("Schutterwald", "08317122", 161, "Lahr Umland"),
    ("Schwanau", "08317150", 128, "Lahr Umland"),
    ("Seebach", "08317126", 26, "Acher-Renchtal"),
    ("Seelbach", "08317127", 102, "Lahr Umland"),
    ("Steinach", "08317129", 87, "Kinzigtal"),
    ("Wolfach", "08317145", 163, "Kinzigtal"),
    ("Zell am Harmersbach", "08317146", 189, "Kinzigtal"),
)

# (name, qualification category, VZÄ, start, team) of the 24 Integrationsmanager (invented)
_PERSONEN: tuple[tuple[str, str, str, str, str], ...] = (
    ("Lena Schneider", "a", "1.0", "2018-01-15", "Kinzigtal"),
    ("Murat Yıldız", "a", "1.0", "2018-01-15", "Kinzigtal"),
    ("Julia Hoffmann", "a", "1.0", "2018-01-15", "Acher-Renchtal"),
    ("Tobias Fischer", "b", "1.0", "2018-01-15", "Acher-Renchtal"),
    ("Amira Haddad", "a", "1.0", "2018-01-15", "Lahr Umland"),
    ("Jonas Becker", "a", "1.0", "2018-01-15", "Lahr Umland"),
    ("Sophie Wagner", "a", "1.0", "2018-02-01", "Kinzigtal"),
    ("David Keller", "a", "0.5", "2018-02-01", "Kinzigtal"),
    ("Hanna Braun", "a", "1.0", "2018-02-01", "Acher-Renchtal"),
    ("Felix Zimmermann", "b", "1.0", "2018-02-01", "Acher-Renchtal"),
    ("Marie Schäfer", "a", "1.0", "2018-02-01", "Lahr Umland"),
    ("Elias Wolf", "a", "1.0", "2018-02-01", "Lahr Umland"),
    ("Laura Neumann", "a", "1.0", "2018-02-15", "Kinzigtal"),
    ("Samir Al-Masri", "c", "1.0", "2018-02-15", "Kinzigtal"),
    ("Anna Schwarz", "a", "1.0", "2018-02-15", "Acher-Renchtal"),
    ("Paul Richter", "a", "0.5", "2018-02-15", "Acher-Renchtal"),
    ("Clara Krüger", "b", "1.0", "2018-03-01", "Lahr Umland"),
    ("Leon Hartmann", "a", "1.0", "2018-03-01", "Lahr Umland"),
    ("Emily Lange", "a", "1.0", "2018-03-01", "Kinzigtal"),
    ("Noah Werner", "a", "1.0", "2018-03-01", "Kinzigtal"),
    ("Mia Schmitt", "a", "1.0", "2018-03-01", "Acher-Renchtal"),
    ("Ben Krause", "b", "1.0", "2018-03-01", "Acher-Renchtal"),
    ("Lea Meier", "a", "0.5", "2018-03-01", "Lahr Umland"),
    ("Finn Lehmann", "a", "1.0", "2018-03-01", "Lahr Umland"),
)

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


def _gemeinden() -> list[dict[str, Any]]:
    """The 40 transferring Gemeinden with Planungsrahmen and their share of the VZÄ."""
    rows: list[dict[str, Any]] = [
        {
            "name": name,
            "ags": ags,
            "anzahl_gefluechtete": count,
            "team": team,
            "planungsrahmen": round_half_up(count * PLANUNGSRAHMEN_JE_PERSON),
        }
        for name, ags, count, team in _GEMEINDEN
    ]
    total = sum((row["planungsrahmen"] for row in rows), Decimal(0))
    # Largest-remainder rounding to 0,01 VZÄ, so the shares add up to exactly STELLEN_VZA.
    exact = [STELLEN_VZA * row["planungsrahmen"] / total for row in rows]
    shares = [value.quantize(Decimal("0.01"), rounding=ROUND_DOWN) for value in exact]
    missing = int((STELLEN_VZA - sum(shares)) / Decimal("0.01"))
    for index in sorted(range(len(rows)), key=lambda i: shares[i] - exact[i])[:missing]:
        shares[index] += Decimal("0.01")
    for row, share in zip(rows, shares, strict=True):
        row["anteil_vza"] = share
    return rows


def _beschlussvorlage() -> dict[str, Any]:
    return {
        "landkreis": LANDKREIS,
        "datum": "2017-10-10",
        "vorlage_nr": "VA 2017/118",
        "aktenzeichen": "AMI 14.1-7/2017",
        "betreff": "Pakt für Integration – Übernahme des Integrationsmanagements für 40 Städte "
        "und Gemeinden und Einrichtung von 22,50 Stellen Integrationsmanagement",
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
            "stimmt der Übernahme des Integrationsmanagements für die 40 in Abschnitt III "
            "genannten Städte und Gemeinden zu.",
            "beschließt die Einrichtung von 22,50 Stellen (VZÄ) für Integrationsmanagerinnen und "
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
            "auf den Landkreis übertragen. 40 der 51 Städte und Gemeinden des Ortenaukreises "
            "haben die Übertragung erklärt; 11 nehmen die Aufgabe selbst oder über einen Träger "
            "wahr.\n\n"
            "Grundlage der Förderung ist die Zahl der Geflüchteten in der Anschlussunterbringung "
            "zum Stichtag 15.09.2017 (Erhebung nach § 29d FAG). Daraus ergibt sich für jede "
            "Gemeinde ein Planungsrahmen. Das Land fördert je Vollzeitstelle bis zu 64.000 Euro "
            "jährlich als Festbetrag für 24 Monate ab Beschäftigungsbeginn.\n\n"
            "Die Verwaltung schlägt vor, die Stellen in drei regionalen Teams (Acher-Renchtal, "
            "Kinzigtal, Lahr Umland) zu organisieren, die jeweils im Tandem arbeiten."
        ),
        "stellen_vza": STELLEN_VZA,
        "fordersatz": FORDERSATZ,
        "foerderdauer_monate": 24,
        "kosten_vza_jahr": 71500,
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
            {"name": name, "qualifikation": quali, "vza": vza, "beginn": start, "team": team}
            for name, quali, vza, start, team in _PERSONEN
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
        "betreff": "Übernahme des Integrationsmanagements und Einrichtung von 22,50 Stellen",
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


def _mitteilung_gemeinden() -> dict[str, Any]:
    return {
        "landkreis": LANDKREIS,
        "datum": "2018-01-22",
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
        "integrationsmanager": [
            {
                "name": "Lena Schneider",
                "team": "Kinzigtal",
                "vza": "1.0",
                "beginn": "2018-01-15",
                "telefon": "0781 805-9431",
                "email": "lena.schneider@ortenaukreis.de",
            },
            {
                "name": "Murat Yıldız",
                "team": "Kinzigtal",
                "vza": "1.0",
                "beginn": "2018-01-15",
                "telefon": "0781 805-9432",
                "email": "murat.yildiz@ortenaukreis.de",
            },
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
