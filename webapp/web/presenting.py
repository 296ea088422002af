"""Turning process data into something a person reads: key figures, cards, tables, German labels.

The web layer knows no programme: every label, money field, card and table comes from the forms
of the instance's definition version (docs/bpmn-conventions.md, "Presentation hints"):
field titles, `x-enumLabels`, `x-widget`/`x-format`, and the descriptions of process variables
under a form's `x-context` (`x-hidden`, `x-card`, `x-table`, `x-decimals`). Without a hint a value
is still shown in German (numbers, ISO dates, yes/no); a number is an amount in euros only where
a schema says so.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from webapp.web.formdata import choices
from workflows import audit
from workflows.formatting import format_date, format_datetime, format_eur, format_iban, format_number

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
    "attachment_added": "Anhang hochgeladen",
    "attachment_downloaded": "Anhang abgerufen",
    "attachment_deleted": "Anhang gelöscht",
    "document_downloaded": "Dokument abgerufen",
    "task_claimed": "Aufgabe übernommen",
    "task_released": "Aufgabe zurückgegeben",
    "task_assigned": "Aufgabe zugewiesen",
    "comment_added": "Kommentar",
    "child_returned": "Ergebnis eines Teilvorgangs übernommen",
    "instance_migrated": "Vorgang auf neue Version verschoben",
    "instance_migrated_back": "Vorgang auf alte Version zurückverschoben",
    "deputy_named": "Vertretung eingetragen",
    "deputy_ended": "Vertretung beendet",
    "api_token_created": "API-Token erstellt",
    "api_token_revoked": "API-Token widerrufen",
    "retention_applied": "Löschkonzept angewandt",
}



def event_label(kind: str) -> str:
    """The German label of an audit event kind (the web's own, or the one its recorder gave)."""
    return EVENT_LABELS.get(kind) or audit.LABELS.get(kind, kind)


STATUS_LABELS = {"running": "läuft", "completed": "abgeschlossen", "cancelled": "abgebrochen",
                 "ready": "offen", "suspended": "angehalten"}

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")
MAX_FACTS = 10
Prop = Mapping[str, Any]


def _props(schema: Prop) -> dict[str, Any]:
    props = schema.get("properties")
    return {k: v for k, v in props.items() if isinstance(v, dict)} if isinstance(props, dict) else {}


def _items(prop: Prop) -> Prop:
    items = prop.get("items")
    return items if isinstance(items, dict) else {}


def _is_money(prop: Prop) -> bool:
    return prop.get("x-format") == "money" or prop.get("x-widget") == "money"


@dataclass
class Labels:
    """What the forms of a definition say about its data: titles, enum labels, formats, cards, tables.

    `titles`, `enums`, `money` and `decimals` are by field name, over every form (and every nesting
    level); `context` holds the process variables described under the forms' `x-context`, whose
    titles win over field titles of the same name.
    """

    titles: dict[str, str] = field(default_factory=dict)
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    money: set[str] = field(default_factory=set)
    decimals: dict[str, int] = field(default_factory=dict)
    formats: dict[str, str] = field(default_factory=dict)  # `format` of string fields shown in a spelling (iban)
    context: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_forms(cls, *schemas: Mapping[str, Any]) -> Labels:
        labels = cls()
        for schema in schemas:
            if isinstance(schema, dict) and isinstance(schema.get("x-context"), dict):
                for name, prop in _props({"properties": schema["x-context"]}).items():
                    labels.context.setdefault(name, prop)
                    labels._learn(name, prop, title=False)
                    labels._walk(_props(prop) | _props(_items(prop)), title=False)
        for schema in schemas:
            if isinstance(schema, dict):
                labels._walk(_props(schema), title=True)
        return labels

    def _walk(self, props: Mapping[str, Any], *, title: bool) -> None:
        for name, prop in props.items():
            self._learn(name, prop, title=title)
            self._walk(_props(prop) | _props(_items(prop)), title=title)

    def _learn(self, name: str, prop: Prop, *, title: bool) -> None:
        if title and "title" in prop:
            self.titles.setdefault(name, str(prop["title"]))
        options = choices(prop)
        if options:  # the same name in several forms: every form's labels count
            known = self.enums.setdefault(name, {})
            for value, text in options:
                known.setdefault(str(value), text)
        if isinstance(prop.get("x-valueLabels"), dict):  # values the process sets itself (no form offers them)
            known = self.enums.setdefault(name, {})
            for value, text in prop["x-valueLabels"].items():
                known.setdefault(str(value), str(text))
        if _is_money(prop):
            self.money.add(name)
        if isinstance(prop.get("x-decimals"), int):
            self.decimals.setdefault(name, prop["x-decimals"])
        if prop.get("format") == "iban":
            self.formats.setdefault(name, "iban")

    def hidden(self, key: str) -> bool:
        return bool(self.context.get(key, {}).get("x-hidden"))

    def table_keys(self) -> set[str]:
        """The process variables shown as tables (`x-table`), not among the key figures."""
        return {k for k, p in self.context.items() if p.get("x-table")}

    def card_keys(self) -> set[str]:
        return {k for k, p in self.context.items() if p.get("x-card")}

    def label(self, key: str, prop: Prop | None = None) -> str:
        for source in (prop or {}, self.context.get(key, {})):
            if "title" in source:
                return str(source["title"])
        if key in self.titles:
            return self.titles[key]
        text = key.replace("_", " ").strip()
        return text[:1].upper() + text[1:]

    def value(self, key: str, value: Any, prop: Prop | None = None) -> str:
        """A value as German text (dates, money, numbers, yes/no, enum labels), by its schema if given."""
        prop = prop or self.context.get(key, {})
        if value is None or value == "":
            return "–"
        if isinstance(value, bool):
            return "ja" if value else "nein"
        if isinstance(value, int | float):
            return self._number(key, value, prop)
        if isinstance(value, str):
            return self._text(key, value, prop)
        if isinstance(value, list):
            if prop.get("x-format") == "count":
                return str(len(value))
            return "keine Einträge" if not value else f"{len(value)} Einträge"
        if isinstance(value, dict):
            return str(value.get("name") or value.get("title") or f"{len(value)} Angaben")
        return str(value)

    def _number(self, key: str, value: float, prop: Prop) -> str:
        if _is_money(prop) or key in self.money:
            return format_eur(value)
        decimals = prop.get("x-decimals", self.decimals.get(key))
        if isinstance(decimals, int):
            return format_number(value, decimals)
        if isinstance(value, int) or float(value).is_integer():
            return str(int(value)) if abs(value) < 10000 else format_number(value, 0)
        return format_number(value, 2)

    def _text(self, key: str, value: str, prop: Prop) -> str:
        own = {str(v): text for v, text in choices(prop)}
        own.update(prop.get("x-valueLabels") or {})
        if value in own:
            return str(own[value])
        if value in self.enums.get(key, {}):
            return self.enums[key][value]
        if prop.get("format", self.formats.get(key)) == "iban":
            return format_iban(value)
        try:
            if _ISO_DATE.match(value):
                return format_date(value)
            if _ISO_DATETIME.match(value):
                return format_datetime(value)
        except ValueError:
            return value
        return value if len(value) <= 240 else value[:239] + "…"


@dataclass
class Card:
    """A process variable shown as a small card beside the form (`x-card`), e.g. what a task is about."""

    key: str
    title: str
    facts: list[tuple[str, str]]
    about: str = ""  # `x-card.about`: the task page says "Diese Aufgabe betrifft <about> <first fact> (<second>)"
    about_facts: int = 2  # `x-card.facts`: how many facts that sentence names (1: the first alone)


@dataclass
class Summary:
    """What a task is about: its cards and the key figures (first few, the rest folded)."""

    cards: list[Card]
    facts: list[tuple[str, str]]
    more: list[tuple[str, str]]


def _card(key: str, record: Mapping[str, Any], labels: Labels) -> Card:
    prop = labels.context[key]
    declared = _props(prop)
    fields = declared or {k: {} for k, v in record.items() if not isinstance(v, dict | list)}
    facts = [(labels.label(k, p), labels.value(k, record[k], p)) for k, p in fields.items()
             if record.get(k) not in (None, "") and not p.get("x-hidden")]
    hint = prop.get("x-card")
    about = str(hint.get("about", "")) if isinstance(hint, dict) else ""
    named = hint.get("facts", 2) if isinstance(hint, dict) and isinstance(hint.get("facts", 2), int) else 2
    return Card(key, labels.label(key), facts, about, named)


def _may_see_card(prop: Prop, record: Mapping[str, Any], gemeinde_ags: str | None) -> bool:
    """A Gemeinde user sees a card only if it is about that Gemeinde (`x-assigneeGemeinde` names the field)."""
    owner = prop.get("x-assigneeGemeinde")
    return isinstance(owner, str) and gemeinde_ags is not None and record.get(owner) == gemeinde_ags


def _is_flat(value: Any) -> bool:
    return isinstance(value, dict) and all(not isinstance(v, dict | list) for v in value.values())


def summarize(context: Mapping[str, Any], labels: Labels, *, skip: set[str] | None = None,
              gemeinde_only_ags: str | None = None, gemeinde_view: bool = False,
              flat_dicts: bool = True) -> Summary:
    """Key figures of a task's data. A Gemeinde user sees only scalars and the cards about its own Gemeinde."""
    skip = (skip or set()) | labels.card_keys()
    cards = [_card(key, context[key], labels) for key in labels.context if key in labels.card_keys()
             and isinstance(context.get(key), dict)
             and (not gemeinde_view or _may_see_card(labels.context[key], context[key], gemeinde_only_ags))]
    facts: list[tuple[str, str]] = []
    for key, value in context.items():
        if key.startswith("_") or key in skip or labels.hidden(key) or value in (None, "", [], {}):
            continue
        if gemeinde_view and isinstance(value, dict | list):
            continue
        if isinstance(value, dict) and (not flat_dicts or not _is_flat(value)):
            continue
        facts.append((labels.label(key), labels.value(key, value)))
    scalars_first = sorted(facts, key=lambda f: f[1].endswith("Einträge") or f[1].endswith("Angaben"))
    return Summary([c for c in cards if c.facts], scalars_first[:MAX_FACTS], scalars_first[MAX_FACTS:])


@dataclass
class HistoryEntry:
    """Consecutive audit events of the same kind, title and actor, shown as one line (`count` ×)."""

    first: Any
    count: int = 1
    partial: bool = False  # the run may go on in older events than those loaded

    def __getattr__(self, name: str) -> Any:
        return getattr(self.first, name)


def group_history(events: list[Any], more: bool = False) -> list[HistoryEntry]:
    """Fold runs of equal events (e.g. eleven times 'Aufgabe bereitgestellt: Bewerbungen erfassen');
    `more`: older events exist, so the oldest run's count is a lower bound."""
    grouped: list[HistoryEntry] = []
    for e in events:
        last = grouped[-1] if grouped else None
        if last is not None and last.kind == e.kind and last.actor == e.actor \
                and last.payload.get("title") == e.payload.get("title"):
            last.count += 1
        else:
            grouped.append(HistoryEntry(e))
    if more and grouped:
        grouped[-1].partial = True
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


def _columns(records: list[dict[str, Any]], prop: Prop) -> dict[str, Prop]:
    """The declared columns (`items.properties`) that occur in the records, or every scalar key."""
    present = {k for r in records for k, v in r.items() if not isinstance(v, dict | list)}
    declared = _props(_items(prop))
    if declared:
        return {k: p for k, p in declared.items() if k in present and not p.get("x-hidden")}
    seen: dict[str, Prop] = {}
    for record in records:
        seen.update({k: {} for k in record if k in present and k not in seen})
    return seen


def data_tables(data: Mapping[str, Any], labels: Labels) -> list[DataTable]:
    """Tables for the lists of records that the forms mark as `x-table` (columns from `items`), in data order."""
    tables = []
    for key, records in data.items():
        prop = labels.context.get(key, {})
        if not prop.get("x-table") or not isinstance(records, list) or not records \
                or not all(isinstance(r, dict) for r in records):
            continue
        columns = _columns(records, prop)
        rows = [[labels.value(c, r.get(c), p) for c, p in columns.items()] for r in records]
        numeric = {i for i, c in enumerate(columns)
                   if any(_is_number(r.get(c)) for r in records)
                   and all(_is_number(r.get(c)) or r.get(c) is None for r in records)}
        summed = {i for i, p in enumerate(columns.values()) if i in numeric and p.get("x-sum") is not False}
        totals = [labels.value(c, sum(r.get(c) or 0 for r in records), p) if i in summed else ""
                  for i, (c, p) in enumerate(columns.items())] if summed else None
        tables.append(DataTable(key, labels.label(key), [(c, labels.label(c, p)) for c, p in columns.items()],
                                rows, numeric, totals))
    return tables


def event_detail(kind: str, payload: Mapping[str, Any]) -> str:
    """One short German line about an audit event's content."""
    if kind in ("task_ready", "task_completed"):
        return str(payload.get("title", ""))
    if kind == "instance_started":
        return f"{payload.get('business_key', '')} (Version {payload.get('version', '?')})"
    if kind == "child_returned":
        return str(payload.get("business_key", ""))
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
    if kind in ("attachment_added", "attachment_downloaded", "attachment_deleted"):
        return str(payload.get("title") or "vertraulicher Anhang (Datenklasse)")
    if kind == "document_downloaded":
        return str(payload.get("title") or "vertrauliches Dokument (Datenklasse)")
    if kind in ("task_claimed", "task_released", "task_assigned"):
        return f"{payload.get('title', '')} – {payload.get('user', '')}"
    if kind == "comment_added":  # the text only for those who may read the task's data (redacted otherwise)
        text = str((payload.get("data") or {}).get("text", ""))
        return f"„{text[:117]}…“" if len(text) > 120 else (f"„{text}“" if text else str(payload.get("title") or ""))
    return ""
