"""The document kinds: their labels, required context keys, derived figures and file names.

A context is a plain dict (JSON-like: str, numbers, bools, lists, dicts; dates as
``datetime.date`` or ISO strings) with German snake_case keys. Required keys are listed in
:data:`REQUIRED_KEYS` as dotted paths; ``gemeinden[].name`` means "every item of the list
``gemeinden`` needs ``name``". A missing or empty required key raises
:class:`DocumentDataError` with a German message naming the field. Every other key is optional
and shows as "—" when absent.

Keys shared by all kinds:
  ``landkreis``: ``{name, behoerde, amt, anschrift: {strasse, plz, ort}, telefon, email,
  internet, kontakte {fachamt, personalamt, schriftfuehrung: {name, funktion, telefon, email}},
  angebot[], bewerbung {portal, email, anschrift}}`` (the letterhead and the master data);
  ``datum``; optional ``muster`` (True prints "Muster – Demodaten" in the footer),
  ``sachbearbeitung: {name, telefon, email, zimmer}`` and ``foerderzeitraum {beginn, ende}`` (the
  round's years name the files).

Per kind (besides the required keys, all optional):
  beschlussvorlage: ``vorlage_nr, aktenzeichen, betreff, beratungsfolge[] {top, gremium,
    sitzung_am, oeffentlich (bool), zweck ("Vorberatung"/"Beschlussfassung"/"Kenntnisnahme")},
    beschlussvorschlag[] (each item a predicate: "stimmt … zu."), sachverhalt (str with blank
    lines between paragraphs, or a list of paragraphs), stellen_vza, fordersatz (EUR per VZÄ and
    year), foerderdauer_monate (24), kosten_vza_jahr (personnel + material cost per VZÄ and year),
    stellenplan (text), gemeinden[] {name, ags, anzahl_gefluechtete, planungsrahmen, team,
    anteil_vza}, anlagen[] (str), unterzeichner {name, funktion}``.
  antrag: ``aktenzeichen, empfaenger {name, zusatz[], strasse, plz, ort} (default: RP Stuttgart),
    ansprechpartner {name, telefon, email}, fordersatz, stellen[] {name, qualifikation ("a"/"b"/
    "c"), vza, beginn, monate (24), fordersatz}, gemeinden[] {name, ags, planungsrahmen},
    bankverbindung {kontoinhaber, iban, bic, institut}, unterzeichner {name, funktion}, ort``.
  stellenausschreibung: ``titel (default "Integrationsmanager (m/w/d)"), kennziffer,
    entgeltgruppe, umfang_vza, beginn (date or text), befristung_monate (24), befristet_bis,
    einsatzort, team, einleitung, aufgaben[], qualifikationen[] (the a/b/c alternatives),
    anforderungen[], angebot[], bewerbungsfrist, bewerbung {portal, email, anschrift},
    kontakt {fachamt {name, funktion, telefon, email}, personalamt {…}}``.
  abstimmungsergebnis: ``gremium, sitzung_am, top, vorlage_nr, betreff, beschlusstext,
    mitglieder_gesamt, anwesend, ja, nein, enthaltung, abstimmungsart ("offen"/"geheim"),
    namentliche_stimmen[] {name, fraktion, stimme ("ja"/"nein"/"enthaltung")}, sitzungsleitung,
    schriftfuehrung, beschlussfaehig, angenommen (both derived when absent)``.
  mitteilung_gemeinden: ``empfaenger {name, zusatz[], strasse, plz, ort}, gemeinde, anrede,
    aktenzeichen, integrationsmanager[] {name, team, vza, beginn, foerderung_bis, telefon,
    email}, text_vorher, text_nachher, unterzeichner {name, funktion}``.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable, Mapping
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

from workflows.documents.kinds import DocumentDataError, DocumentKind, Prepared
from workflows.foerderung.document_contexts import jobs_for
from workflows.formatting import (
    DateLike,
    format_date,
    format_vza,
    funding_end,
    parse_date,
    round_half_up,
    to_decimal,
)

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"
LABELS = {
    "beschlussvorlage": "Beschlussvorlage",
    "antrag": "Antrag auf Förderung",
    "stellenausschreibung": "Stellenausschreibung",
    "abstimmungsergebnis": "Abstimmungsergebnis",
    "mitteilung_gemeinden": "Mitteilung an die Gemeinden",
}

_LANDKREIS = (
    ("landkreis.name", "Name des Landkreises"),
    ("landkreis.amt", "zuständiges Amt"),
    ("datum", "Datum des Dokuments"),
)

REQUIRED_KEYS: dict[str, tuple[tuple[str, str], ...]] = {
    "beschlussvorlage": (
        *_LANDKREIS,
        ("vorlage_nr", "Vorlagen-Nr."),
        ("betreff", "Betreff"),
        ("beratungsfolge", "Beratungsfolge"),
        ("beratungsfolge[].gremium", "Gremium in der Beratungsfolge"),
        ("beratungsfolge[].sitzung_am", "Sitzungsdatum in der Beratungsfolge"),
        ("beschlussvorschlag", "Beschlussvorschlag"),
        ("sachverhalt", "Sachverhalt"),
        ("stellen_vza", "Stellen (VZÄ)"),
        ("fordersatz", "Fördersatz je VZÄ und Jahr"),
        ("gemeinden[].name", "Name der Gemeinde"),
    ),
    "antrag": (
        *_LANDKREIS,
        ("landkreis.anschrift.strasse", "Straße des Antragstellers"),
        ("landkreis.anschrift.plz", "PLZ des Antragstellers"),
        ("landkreis.anschrift.ort", "Ort des Antragstellers"),
        ("ansprechpartner.name", "Name der Ansprechperson"),
        ("fordersatz", "Fördersatz je VZÄ und Jahr"),
        ("stellen", "beantragte Stellen"),
        ("stellen[].vza", "Stellenumfang (VZÄ)"),
        ("stellen[].beginn", "Beschäftigungsbeginn"),
        ("gemeinden", "beteiligte Gemeinden"),
        ("gemeinden[].name", "Name der Gemeinde"),
        ("unterzeichner.name", "Name der unterzeichnenden Person"),
    ),
    "stellenausschreibung": (
        *_LANDKREIS,
        ("kennziffer", "Kennziffer"),
        ("entgeltgruppe", "Entgeltgruppe"),
        ("umfang_vza", "Stellenumfang (VZÄ)"),
        ("beginn", "Beginn"),
        ("bewerbungsfrist", "Bewerbungsfrist"),
    ),
    "abstimmungsergebnis": (
        *_LANDKREIS,
        ("gremium", "Gremium"),
        ("sitzung_am", "Sitzungsdatum"),
        ("betreff", "Gegenstand der Abstimmung"),
        ("mitglieder_gesamt", "Zahl der Mitglieder"),
        ("anwesend", "Zahl der anwesenden Stimmberechtigten"),
        ("ja", "Ja-Stimmen"),
        ("nein", "Nein-Stimmen"),
        ("enthaltung", "Enthaltungen"),
        ("namentliche_stimmen[].name", "Name bei namentlicher Stimmabgabe"),
        ("namentliche_stimmen[].stimme", "Stimme bei namentlicher Stimmabgabe"),
    ),
    "mitteilung_gemeinden": (
        *_LANDKREIS,
        ("empfaenger.name", "Empfänger (Gemeinde)"),
        ("integrationsmanager", "Integrationsmanager"),
        ("integrationsmanager[].name", "Name des Integrationsmanagers"),
        ("integrationsmanager[].beginn", "Beschäftigungsbeginn"),
        ("unterzeichner.name", "Name der unterzeichnenden Person"),
    ),
}

RP_STUTTGART: dict[str, Any] = {
    "name": "Regierungspräsidium Stuttgart",
    "zusatz": ["Referat 15.2", "Dienststelle Wertheim"],
    "strasse": "Am Eichamt 2",
    "plz": "97877",
    "ort": "Wertheim",
}

_MISSING = object()


def _is_empty(value: Any) -> bool:
    return value is _MISSING or value is None or value == "" or value == [] or value == {}


def _lookup(node: Any, key: str) -> Any:
    return node.get(key, _MISSING) if isinstance(node, Mapping) else _MISSING


def _check_path(kind: str, label: str, node: Any, parts: list[str], shown: str) -> None:
    """Walk ``parts`` from ``node``; ``name[]`` descends into every list item."""
    head, *rest = parts
    is_list = head.endswith("[]")
    key = head.removesuffix("[]")
    value = _lookup(node, key)
    shown = f"{shown}.{key}" if shown else key
    if is_list:
        if _is_empty(value):
            return  # an optional list may be absent; a required one is listed on its own
        if not isinstance(value, list):
            raise DocumentDataError(f"{_prefix(kind)}: „{shown}“ muss eine Liste sein.")
        for index, item in enumerate(value, start=1):
            _check_path(kind, label, item, rest, f"{shown}[{index}]")
        return
    if _is_empty(value):
        raise DocumentDataError(f"{_prefix(kind)}: Pflichtfeld „{shown}“ ({label}) fehlt oder ist leer.")
    if rest:
        _check_path(kind, label, value, rest, shown)


def _prefix(kind: str) -> str:
    return f"Dokument „{LABELS[kind]}“"


def validate(kind: str, context: Mapping[str, Any]) -> None:
    """Raise :class:`DocumentDataError` for the first missing required field."""
    for path, label in REQUIRED_KEYS[kind]:
        _check_path(kind, label, context, path.split("."), "")


def _number(kind: str, field: str, value: Any) -> Decimal:
    try:
        return to_decimal(value)
    except (TypeError, ValueError) as exc:
        raise DocumentDataError(f"{_prefix(kind)}: „{field}“ ist keine Zahl: {value!r}.") from exc


def _date(kind: str, field: str, value: Any) -> dt.date:
    try:
        return parse_date(value)
    except (TypeError, ValueError) as exc:
        raise DocumentDataError(f"{_prefix(kind)}: „{field}“ ist kein Datum (TT.MM.JJJJ): {value!r}.") from exc


def _paragraphs(text: str | list[str]) -> list[str]:
    """Accept one string with blank lines between paragraphs, or a list of paragraphs."""
    items = text if isinstance(text, list) else re.split(r"\n\s*\n", text)
    return [item.strip() for item in items if item and item.strip()]


def _beschlussvorlage(ctx: dict[str, Any]) -> dict[str, Any]:
    kind = "beschlussvorlage"
    vza = _number(kind, "stellen_vza", ctx["stellen_vza"])
    rate = _number(kind, "fordersatz", ctx["fordersatz"])
    months = int(ctx.get("foerderdauer_monate") or 24)
    years = Decimal(months) / 12
    grant = round_half_up(vza * rate * years)
    finanzen: dict[str, Any] = {"jahre": years, "landeszuschuss": grant, "monate": months}
    if ctx.get("kosten_vza_jahr") not in (None, ""):
        total = round_half_up(vza * _number(kind, "kosten_vza_jahr", ctx["kosten_vza_jahr"]) * years)
        finanzen |= {"gesamtkosten": total, "kreisanteil": max(total - grant, Decimal(0))}
    gemeinden = ctx.get("gemeinden") or []
    deciding = [b for b in ctx["beratungsfolge"] if b.get("zweck") == "Beschlussfassung"]
    return {
        "finanzen": finanzen,
        "sachverhalt_absaetze": _paragraphs(ctx["sachverhalt"]),
        "beschlussgremium": (deciding or ctx["beratungsfolge"])[-1]["gremium"],
        "summen": _sums(kind, gemeinden, ("anzahl_gefluechtete", "planungsrahmen", "anteil_vza")),
        "teams": _teams(kind, gemeinden),
    }


def _sums(kind: str, rows: list[Mapping[str, Any]], fields: tuple[str, ...]) -> dict[str, Any]:
    """Column totals; a column with any missing value has no total (shown as "—")."""
    sums: dict[str, Any] = {}
    for field in fields:
        values = [row.get(field) for row in rows]
        if rows and all(v not in (None, "") for v in values):
            sums[field] = sum((_number(kind, field, v) for v in values), Decimal(0))
    return sums


def _teams(kind: str, gemeinden: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """VZÄ and Gemeinden per regional team, in order of first appearance."""
    teams: dict[str, dict[str, Any]] = {}
    for row in gemeinden:
        if not row.get("team"):
            continue
        team = teams.setdefault(row["team"], {"name": row["team"], "gemeinden": 0, "vza": Decimal(0)})
        team["gemeinden"] += 1
        if row.get("anteil_vza") not in (None, ""):
            team["vza"] += _number(kind, "anteil_vza", row["anteil_vza"])
    return list(teams.values())


def _year_split(start: dt.date, months: int) -> dict[int, int]:
    """Funded months per calendar year, counted from the start month."""
    split: dict[int, int] = {}
    for offset in range(months):
        year = start.year + (start.month - 1 + offset) // 12
        split[year] = split.get(year, 0) + 1
    return split


def _antrag(ctx: dict[str, Any]) -> dict[str, Any]:
    kind = "antrag"
    default_rate = _number(kind, "fordersatz", ctx["fordersatz"])
    stellen: list[dict[str, Any]] = []
    per_year: dict[int, dict[str, Any]] = {}
    for index, stelle in enumerate(ctx["stellen"], start=1):
        vza = _number(kind, f"stellen[{index}].vza", stelle["vza"])
        if vza < Decimal("0.25"):
            raise DocumentDataError(
                f"{_prefix(kind)}: „stellen[{index}].vza“ ist {format_vza(vza)}; "
                "gefördert werden nur Stellenanteile ab 0,25 VZÄ."
            )
        rate = _number(kind, f"stellen[{index}].fordersatz", stelle.get("fordersatz") or default_rate)
        start = _date(kind, f"stellen[{index}].beginn", stelle["beginn"])
        months = int(stelle.get("monate") or 24)
        amount = round_half_up(vza * rate * months / 12)
        stellen.append(
            {
                **stelle,
                "nr": index,
                "vza": vza,
                "fordersatz": rate,
                "monate": months,
                "beginn": start,
                "ende": funding_end(start, months),
                "zuschuss": amount,
            }
        )
        for year, count in _year_split(start, months).items():
            row = per_year.setdefault(year, {"jahr": year, "vza_monate": Decimal(0), "zuschuss": Decimal(0)})
            row["vza_monate"] += vza * count
            row["zuschuss"] += vza * rate * count / 12
    jahre = [
        {**row, "vza_schnitt": row["vza_monate"] / 12, "zuschuss": round_half_up(row["zuschuss"])}
        for _, row in sorted(per_year.items())
    ]
    return {
        "stellen_berechnet": stellen,
        "jahre": jahre,
        "summe_vza": sum((s["vza"] for s in stellen), Decimal(0)),
        "summe_zuschuss": sum((s["zuschuss"] for s in stellen), Decimal(0)),
        "summen": _sums(kind, ctx["gemeinden"], ("planungsrahmen",)),
        "empfaenger_anschrift": ctx.get("empfaenger") or RP_STUTTGART,
    }


def _stellenausschreibung(ctx: dict[str, Any]) -> dict[str, Any]:
    kind = "stellenausschreibung"
    vza = _number(kind, "umfang_vza", ctx["umfang_vza"])
    months = int(ctx.get("befristung_monate") or 24)
    start: dt.date | None = None
    if not isinstance(ctx["beginn"], str) or re.match(r"^\s*\d", ctx["beginn"]):
        start = _date(kind, "beginn", ctx["beginn"])
    until = ctx.get("befristet_bis") or (funding_end(start, months) if start else None)
    return {
        "vollzeit": vza >= 1,
        "vza": vza,
        "beginn_datum": start,
        "befristet_bis_datum": _date(kind, "befristet_bis", until) if until else None,
        "befristung_monate": months,
        "frist": _date(kind, "bewerbungsfrist", ctx["bewerbungsfrist"]),
    }


_VOTES = {"ja": "Ja", "nein": "Nein", "enthaltung": "Enthaltung"}


def _abstimmungsergebnis(ctx: dict[str, Any]) -> dict[str, Any]:
    kind = "abstimmungsergebnis"
    counts = {}
    for field in ("mitglieder_gesamt", "anwesend", "ja", "nein", "enthaltung"):
        value = ctx[field]
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise DocumentDataError(f"{_prefix(kind)}: „{field}“ muss eine ganze Zahl ≥ 0 sein, nicht {value!r}.")
        counts[field] = value
    if counts["anwesend"] > counts["mitglieder_gesamt"]:
        raise DocumentDataError(f"{_prefix(kind)}: Mehr Anwesende als Mitglieder.")
    voting = counts["ja"] + counts["nein"] + counts["enthaltung"]
    if voting > counts["anwesend"]:
        raise DocumentDataError(f"{_prefix(kind)}: {voting} Stimmen, aber nur {counts['anwesend']} Anwesende.")
    named = ctx.get("namentliche_stimmen") or []
    for index, vote in enumerate(named, start=1):
        if str(vote["stimme"]).lower() not in _VOTES:
            raise DocumentDataError(
                f"{_prefix(kind)}: „namentliche_stimmen[{index}].stimme“ muss ja, nein oder "
                f"enthaltung sein, nicht {vote['stimme']!r}."
            )
    # Quorum: at least half of the members present; majority of yes over no, abstentions are
    # not counted and a tie rejects (LKrO § 32 / GemO § 37). The engine's own result wins.
    quorate = ctx.get("beschlussfaehig")
    if quorate is None:
        quorate = 2 * counts["anwesend"] >= counts["mitglieder_gesamt"]
    adopted = ctx.get("angenommen")
    if adopted is None:
        adopted = bool(quorate) and counts["ja"] > counts["nein"]
    return {
        "beschlussfaehig": bool(quorate),
        "angenommen": bool(adopted),
        "quorum": (counts["mitglieder_gesamt"] + 1) // 2,
        "abgegeben": counts["ja"] + counts["nein"],  # abstentions count as votes not cast (LKrO, domain.md §3.2)
        "teilgenommen": voting,
        "offen": (ctx.get("abstimmungsart") or "offen") == "offen",
        "stimmen": [{**v, "stimme_label": _VOTES[str(v["stimme"]).lower()]} for v in named],
    }


def _mitteilung_gemeinden(ctx: dict[str, Any]) -> dict[str, Any]:
    kind = "mitteilung_gemeinden"
    rows = []
    for index, im in enumerate(ctx["integrationsmanager"], start=1):
        start = _date(kind, f"integrationsmanager[{index}].beginn", im["beginn"])
        until = im.get("foerderung_bis") or funding_end(start, 24)
        rows.append(
            {
                **im,
                "beginn": start,
                "foerderung_bis": _date(kind, f"integrationsmanager[{index}].foerderung_bis", until),
            }
        )
    return {"zuordnungen": rows}


DERIVE: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {
    "beschlussvorlage": _beschlussvorlage,
    "antrag": _antrag,
    "stellenausschreibung": _stellenausschreibung,
    "abstimmungsergebnis": _abstimmungsergebnis,
    "mitteilung_gemeinden": _mitteilung_gemeinden,
}


def sender(ctx: Mapping[str, Any]) -> dict[str, Any]:
    """Letterhead and footer data of the issuing Landratsamt, with defaults for optional keys."""
    kreis = ctx["landkreis"]
    address = kreis.get("anschrift") or {}
    plz_ort = " ".join(str(address[k]) for k in ("plz", "ort") if address.get(k))
    return {
        "behoerde": kreis.get("behoerde") or f"Landratsamt {kreis['name']}",
        "strasse": address.get("strasse"),
        "plz_ort": plz_ort or None,
        "telefon": kreis.get("telefon"),
        "email": kreis.get("email"),
        "internet": kreis.get("internet"),
    }


def slug(text: str) -> str:
    """ASCII file-name part: ``"Lahr/Schwarzwald"`` → ``"lahr-schwarzwald"``, ä → ae."""
    for umlaut, ascii_ in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss")):
        text = text.replace(umlaut, ascii_).replace(umlaut.upper(), ascii_.capitalize())
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "dokument"


def _year(value: DateLike) -> str:
    return str(parse_date(value).year)


def _round_years(ctx: Mapping[str, Any]) -> str:
    """The round's years from its own Förderzeitraum ("2017-2018"), else the document's year."""
    period = ctx.get("foerderzeitraum") or {}
    if period.get("beginn") and period.get("ende"):
        start, end = _year(period["beginn"]), _year(period["ende"])
        return start if start == end else f"{start}-{end}"
    return _year(ctx["datum"])


def filename_and_title(kind: str, ctx: Mapping[str, Any]) -> tuple[str, str]:
    """ASCII file name and German document title for the PDF metadata."""
    kreis = ctx["landkreis"]["name"]
    label = LABELS[kind]
    match kind:
        case "beschlussvorlage":
            part, title = _round_years(ctx), f"{label} {ctx['vorlage_nr']}: {ctx['betreff']}"
        case "antrag":
            part = _round_years(ctx)
            title = f"{label} Integrationsmanagement – {kreis} ({format_date(ctx['datum'])})"
        case "stellenausschreibung":
            part = ctx["kennziffer"]
            title = f"{label} {ctx.get('titel') or 'Integrationsmanager (m/w/d)'} ({ctx['kennziffer']})"
        case "abstimmungsergebnis":
            part = parse_date(ctx["sitzung_am"]).isoformat()
            title = f"{label} {ctx['gremium']} {format_date(ctx['sitzung_am'])}: {ctx['betreff']}"
        case _:
            part = ctx.get("gemeinde") or ctx["empfaenger"]["name"]
            title = f"{label}: Integrationsmanagement – {ctx['empfaenger']['name']}"
    return f"{slug(kind)}-{slug(kreis)}-{slug(str(part))}.pdf", title


def _prepare(kind: str, ctx: dict[str, Any]) -> Prepared:
    validate(kind, ctx)
    filename, title = filename_and_title(kind, ctx)
    return Prepared({"berechnet": DERIVE[kind](ctx), "absender": sender(ctx)}, filename, title)


#: the letters to the Gemeinden name the hired Integrationsmanager(innen)
DATA_CLASSES = {"mitteilung_gemeinden": "beschaeftigte"}

DOCUMENT_KINDS: dict[str, DocumentKind] = {
    key: DocumentKind(key, label, f"{key}.html", partial(_prepare, key), partial(jobs_for, key),
                      DATA_CLASSES.get(key))
    for key, label in LABELS.items()
}
