"""Turning process data into something a person reads: key figures, tables, German labels.

No raw dumps: scalars get German labels and German number/date formats, lists are counted,
the Gemeinde a task is about gets a small card. Lists of flat records that the process keeps
(the Gemeinden's answers, the votes) are shown as tables when their key is in `DATA_TABLES`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.formatting import format_date, format_eur, format_number

#: lists of flat records in the instance data shown as tables on the round's page
DATA_TABLES: dict[str, str] = {
    "answers": "Rückmeldungen der Gemeinden",
    "rueckmeldungen": "Rückmeldungen der Gemeinden",
    "stimmen": "Abgegebene Stimmen",
    "besetzungen": "Stellenbesetzungen",
}

KEY_LABELS: dict[str, str] = {
    "landkreis": "Landkreis", "landkreis_name": "Landkreis", "status": "Status",
    "gemeinde": "Gemeinde", "gemeinden": "Gemeinden", "frist": "Frist",
    "rueckmeldefrist": "Rückmeldefrist", "antwortfrist": "Antwortfrist", "total": "Summe", "ags": "AGS",
    "name": "Name", "typ": "Art", "einwohner": "Einwohner", "mitglieder": "Mitglieder",
    "planungsrahmen": "Planungsrahmen", "satz_pro_person": "Satz pro Person", "fordersatz": "Fördersatz",
    "stellen_vza": "Stellen (VZÄ)", "aktenzeichen": "Aktenzeichen", "betrag": "Betrag",
    "username": "Benutzer", "stimme": "Stimme", "runde": "Runde", "jahr": "Jahr",
    "team_name": "Regionalteam",
}
#: values the process sets itself (no form offers them), in German
VALUE_LABELS: dict[str, str] = {"keine_rueckmeldung": "keine Rückmeldung", "nicht_teilgenommen": "nicht teilgenommen",
                                "besetzt": "besetzt", "aufgegeben": "aufgegeben"}
#: technical keys that a person never needs to read (the name beside them says it)
HIDDEN_KEYS = {"team"}

EVENT_LABELS: dict[str, str] = {
    "instance_started": "Vorgang gestartet",
    "instance_completed": "Vorgang abgeschlossen",
    "instance_cancelled": "Vorgang abgebrochen",
    "task_ready": "Aufgabe bereitgestellt",
    "task_completed": "Aufgabe erledigt",
    "task_cancelled": "Aufgabe entfallen",
    "message_sent": "Nachricht versandt",
    "message_received": "Nachricht erfasst",
    "timer_fired": "Frist abgelaufen / Timer ausgelöst",
    "document_generated": "Dokument erstellt",
    "notification_queued": "Benachrichtigung vorgemerkt",
    "vote_cast": "Stimme abgegeben",
    "definition_deployed": "Prozessdefinition bereitgestellt",
    "user_created": "Benutzer angelegt",
    "user_updated": "Benutzer geändert",
    "user_activated": "Benutzer aktiviert",
    "user_deactivated": "Benutzer deaktiviert",
    "login": "Anmeldung",
    "service_completed": "Hintergrundauftrag erledigt",
    "stoerung": "Störung",
    "stoerung_retried": "Störung erneut versucht",
    "stoerung_skipped": "Störung übersprungen",
}

STATUS_LABELS = {"running": "läuft", "completed": "abgeschlossen", "cancelled": "abgebrochen",
                 "ready": "offen", "suspended": "angehalten"}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
_MONEY_KEY = re.compile(r"(betrag|summe|kosten|planungsrahmen|zuschuss|euro|foerdersatz)", re.I)
_NOT_MONEY = re.compile(r"(monate|tage|anzahl|vza|jahr$|prozent|quote)", re.I)
MAX_FACTS = 10


@dataclass
class Labels:
    """Titles, enum labels and money fields collected from a definition's forms."""

    titles: dict[str, str] = field(default_factory=dict)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    money: set[str] = field(default_factory=set)

    @classmethod
    def from_forms(cls, *schemas: Mapping[str, Any]) -> Labels:
        labels = cls()

        def walk(props: Mapping[str, Any]) -> None:
            for name, prop in props.items():
                if not isinstance(prop, dict):
                    continue
                labels.titles.setdefault(name, str(prop.get("title", name)))
                if "enum" in prop:  # the same name in several forms: every form's labels count
                    values = [str(v) for v in prop["enum"]]
                    known = labels.enums.setdefault(name, {})
                    for value, text in zip(values, prop.get("x-enumLabels", values), strict=False):
                        known.setdefault(value, str(text))
                if prop.get("x-widget") == "money":
                    labels.money.add(name)
                items = prop.get("items")
                if isinstance(items, dict) and isinstance(items.get("properties"), dict):
                    walk(items["properties"])
                if isinstance(prop.get("properties"), dict):
                    walk(prop["properties"])

        for schema in schemas:
            if isinstance(schema, dict):
                walk(schema.get("properties", {}))
        return labels

    def label(self, key: str) -> str:
        if key in KEY_LABELS:
            return KEY_LABELS[key]
        if key in self.titles:
            return self.titles[key]
        text = key.replace("_", " ").strip()
        return text[:1].upper() + text[1:]

    def value(self, key: str, value: Any) -> str:
        """A value as German text (dates, money, numbers, yes/no, enum labels)."""
        if value is None or value == "":
            return "–"
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if isinstance(value, int | float):
            if key in self.money or (_MONEY_KEY.search(key) and not _NOT_MONEY.search(key)):
                return format_eur(value)
            if isinstance(value, int) or float(value).is_integer():
                return str(int(value)) if "jahr" in key.lower() or abs(value) < 10000 else format_number(value, 0)
            return format_number(value, 2)
        if isinstance(value, str):
            if key in self.enums and value in self.enums[key]:
                return self.enums[key][value]
            if value in VALUE_LABELS:
                return VALUE_LABELS[value]
            if _ISO_DATE.match(value):
                try:
                    return format_date(value)
                except ValueError:
                    return value
            if _ISO_DATETIME.match(value):
                try:
                    from workflows.formatting import format_datetime
                    return format_datetime(value)
                except ValueError:
                    return value
            return value if len(value) <= 240 else value[:239] + "…"
        if isinstance(value, list):
            return "keine Einträge" if not value else f"{len(value)} Einträge"
        if isinstance(value, dict):
            return str(value.get("name") or value.get("title") or f"{len(value)} Angaben")
        return str(value)


@dataclass
class Summary:
    """What a task is about: the Gemeinde card and the key figures (first few, the rest folded)."""

    gemeinde: list[tuple[str, str]]
    facts: list[tuple[str, str]]
    more: list[tuple[str, str]]
    stelle: list[tuple[str, str]] = field(default_factory=list)


#: the Stelle a task of the Stellenbesetzung is about: shown as a card, these fields in this order
STELLE_FIELDS = {"stelle_nr": "Stelle", "bezeichnung": "Regionalteam / Gemeinde", "vza": "Stellenumfang (VZÄ)"}


def _is_flat(value: Any) -> bool:
    return isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values())


def summarize(context: Mapping[str, Any], labels: Labels, *, skip: set[str] | None = None,
              gemeinde_only_ags: str | None = None, gemeinde_view: bool = False,
              flat_dicts: bool = True) -> Summary:
    """Key figures of a task's data. A Gemeinde user sees only scalars and its own Gemeinde."""
    skip = skip or set()
    gemeinde: list[tuple[str, str]] = []
    card = context.get("gemeinde")
    if _is_flat(card) and (not gemeinde_view or card.get("ags") == gemeinde_only_ags):
        gemeinde = [(labels.label(k), labels.value(k, v)) for k, v in card.items()
                    if v not in (None, "") and k not in HIDDEN_KEYS]
    stelle: list[tuple[str, str]] = []
    if isinstance(context.get("stelle"), dict) and not gemeinde_view:
        about = context["stelle"]
        stelle = [(title, format_number(about[k], 2) if k == "vza" else labels.value(k, about[k]))
                  for k, title in STELLE_FIELDS.items() if about.get(k) not in (None, "")]
        if isinstance(context["stelle"].get("gemeinden"), list):
            stelle.append(("Gemeinden", str(len(context["stelle"]["gemeinden"]))))
    if "landkreis_name" in context:  # the key `landkreis` is the technical twin of the name
        skip = skip | {"landkreis"}
    facts: list[tuple[str, str]] = []
    for key, value in context.items():
        if key.startswith("_") or key in skip or key == "gemeinde" or value in (None, "", [], {}):
            continue
        if gemeinde_view and isinstance(value, dict | list):
            continue
        if isinstance(value, dict) and (not flat_dicts or not _is_flat(value)):
            continue
        facts.append((labels.label(key), labels.value(key, value)))
    scalars_first = sorted(facts, key=lambda f: f[1].endswith("Einträge") or f[1].endswith("Angaben"))
    return Summary(gemeinde, scalars_first[:MAX_FACTS], scalars_first[MAX_FACTS:], stelle)


@dataclass
class HistoryEntry:
    """Consecutive audit events of the same kind, title and actor, shown as one line (`count` ×)."""

    first: Any
    count: int = 1

    def __getattr__(self, name: str) -> Any:
        return getattr(self.first, name)


def group_history(events: list[Any]) -> list[HistoryEntry]:
    """Fold runs of equal events (e.g. eleven times 'Aufgabe bereitgestellt: Bewerbungen erfassen')."""
    grouped: list[HistoryEntry] = []
    for e in events:
        last = grouped[-1] if grouped else None
        if last is not None and last.kind == e.kind and last.actor == e.actor \
                and last.payload.get("title") == e.payload.get("title"):
            last.count += 1
        else:
            grouped.append(HistoryEntry(e))
    return grouped


@dataclass
class DataTable:
    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[list[str]]
    numeric: set[int] = field(default_factory=set)  # column positions holding numbers (right-aligned)
    totals: list[str] | None = None  # a sum row when the table has numeric columns


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def data_tables(data: Mapping[str, Any], labels: Labels) -> list[DataTable]:
    """Tables for the lists of flat records named in `DATA_TABLES` (columns from the records' keys)."""
    tables = []
    for key, title in DATA_TABLES.items():
        records = data.get(key)
        if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
            continue
        columns: list[str] = []
        for record in records:
            for column, value in record.items():
                if column not in columns and column not in HIDDEN_KEYS and not isinstance(value, dict | list):
                    columns.append(column)
        front = [c for c in ("name", "gemeinde", "ags") if c in columns]
        columns = front + [c for c in columns if c not in front]
        rows = [[labels.value(c, r.get(c)) for c in columns] for r in records]
        numeric = {i for i, c in enumerate(columns)
                   if any(_is_number(r.get(c)) for r in records)
                   and all(_is_number(r.get(c)) or r.get(c) is None for r in records)}
        totals = [labels.value(c, sum(r.get(c) or 0 for r in records)) if i in numeric else ""
                  for i, c in enumerate(columns)] if numeric else None
        tables.append(DataTable(key, title, [(c, labels.label(c)) for c in columns], rows, numeric, totals))
    return tables


def event_detail(kind: str, payload: Mapping[str, Any]) -> str:
    """One short German line about an audit event's content."""
    if kind in ("task_ready", "task_completed"):
        return str(payload.get("title", ""))
    if kind == "instance_started":
        return f"{payload.get('business_key', '')} (Version {payload.get('version', '?')})"
    if kind == "instance_cancelled":
        return f"Grund: {payload.get('reason', '')}"
    if kind in ("message_received", "message_sent"):
        return str(payload.get("message", ""))
    if kind == "notification_queued":
        return str(payload.get("subject", ""))
    if kind == "document_generated":
        return str(payload.get("title") or payload.get("filename") or payload.get("kind", ""))
    if kind == "timer_fired":
        return f"{payload.get('released', 0)} Frist(en)"
    return ""
