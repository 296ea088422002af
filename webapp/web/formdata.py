"""HTML forms from JSON Schema, and back: typed JSON from what a browser posts.

Three steps, all pure functions (no Flask):

* `to_raw(schema, data)`: typed data (prefill, earlier answer) -> the strings the inputs show
  (`64000` -> `"64.000,00"` for a money field);
* `build_fields(schema, raw, errors)`: the fields the Jinja macros render, with the values the
  user typed and the messages to show beside them;
* `parse(schema, raw)`: the posted strings -> typed JSON per schema (integer, number, money,
  boolean, date, enum, arrays of rows, nested objects) plus conversion errors by field path.

Paths are dotted (`posten.0.betrag`), which is also the input's `name`. Repeated rows carry a
hidden `<name>.__rows` with their count; the submit buttons `_action=add:<name>` and
`_action=remove:<name>:<i>` add or remove a row without JavaScript (`row_action`).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from workflows.errors import FieldError
from workflows.formatting import format_iban, format_number, parse_date, parse_decimal

Raw = dict[str, list[str]]
ROWS_SUFFIX = ".__rows"
DEFAULT_EMPTY_ROWS = 1
MAX_ROWS = 500


@dataclass
class Field:
    """One input (or a group of them) as the templates render it."""

    name: str
    key: str
    widget: str
    label: str
    help: str = ""
    required: bool = False
    value: str = ""
    values: list[str] = field(default_factory=list)
    options: list[tuple[str, str]] = field(default_factory=list)
    error: str | None = None
    children: list[Field] = field(default_factory=list)
    rows: list[list[Field]] = field(default_factory=list)
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return "f-" + self.name.replace(".", "-")


# --------------------------------------------------------------------------- schema helpers

def _type(prop: Mapping[str, Any]) -> str:
    kind = prop.get("type", "string")
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "string")
    if kind == "string" and "enum" not in prop and "const" in prop:
        return "string"
    return str(kind)


def choices(prop: Mapping[str, Any]) -> list[tuple[Any, str]]:
    """(value, German label) of a choice field: `enum` with `x-enumLabels` (or `x-enum-labels`), or
    `oneOf`/`anyOf` of `{"const": value, "title": label}` (as a per-task schema lists, e.g., the
    interviewed applicants); [] for a field that is no choice."""
    if isinstance(prop.get("enum"), list):
        values = prop["enum"]
        labels = prop.get("x-enumLabels", prop.get("x-enum-labels"))
        labels = [str(v) for v in labels] if isinstance(labels, list) else []
        return [(v, labels[i] if i < len(labels) else str(v)) for i, v in enumerate(values)]
    for keyword in ("oneOf", "anyOf"):
        options = prop.get(keyword)
        if isinstance(options, list) and options and all(isinstance(o, dict) and "const" in o for o in options):
            return [(o["const"], str(o.get("title", o["const"]))) for o in options]
    return []


def widget_for(prop: Mapping[str, Any]) -> str:
    """The widget for a property, following docs/bpmn-conventions.md."""
    kind = _type(prop)
    hint = prop.get("x-widget")
    if kind == "array":
        items = prop.get("items", {})
        if isinstance(items, dict) and _type(items) == "object":
            return "rows"
        if isinstance(items, dict) and choices(items):
            return "multi"
        return "lines"
    if kind == "object":
        return "group"
    if choices(prop):
        return "radio" if hint == "radio" else "select"
    if kind == "boolean":
        return "checkbox"
    if kind == "integer":
        return "integer"
    if kind == "number":
        return "money" if hint == "money" else "number"
    if prop.get("format") == "date":
        return "date"
    if hint in ("textarea", "document"):
        return str(hint)
    return "text"


def _options(prop: Mapping[str, Any]) -> list[tuple[str, str]]:
    return [(str(value), label) for value, label in choices(prop)]


def _props(schema: Mapping[str, Any]) -> dict[str, Any]:
    props = schema.get("properties", {})
    return props if isinstance(props, dict) else {}


# --------------------------------------------------------------------------- typed -> strings

def display_value(prop: Mapping[str, Any], value: Any) -> str:
    """A typed value as the input shows it (German decimal comma, money with two places)."""
    if value is None:
        return ""
    widget = widget_for(prop)
    if widget == "money" and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        return format_number(value, 2)
    if widget in ("number",) and isinstance(value, int | float | Decimal) and not isinstance(value, bool):
        if isinstance(prop.get("x-decimals"), int):  # VZÄ as 1,00 and 0,25 alike
            return format_number(value, prop["x-decimals"])
        text = format(Decimal(str(value)).normalize(), "f")
        return text.replace(".", ",")
    if widget == "date":
        try:
            return parse_date(value).isoformat()
        except (TypeError, ValueError):
            return str(value)
    if isinstance(value, bool):
        return "1" if value else ""
    if prop.get("format") == "iban" and isinstance(value, str):
        return format_iban(value)
    return str(value)


def to_raw(schema: Mapping[str, Any], data: Mapping[str, Any] | None, prefix: str = "") -> Raw:
    """Flatten typed data into the strings the form's inputs show."""
    raw: Raw = {}
    for key, prop in _props(schema).items():
        if not isinstance(prop, dict):
            continue
        name = f"{prefix}{key}"
        value = (data or {}).get(key)
        widget = widget_for(prop)
        if widget == "rows":
            rows = value if isinstance(value, list) else []
            raw[name + ROWS_SUFFIX] = [str(len(rows))]
            for i, row in enumerate(rows):
                raw.update(to_raw(prop.get("items", {}), row if isinstance(row, dict) else {}, f"{name}.{i}."))
        elif widget == "group":
            raw.update(to_raw(prop, value if isinstance(value, dict) else {}, f"{name}."))
        elif widget == "multi":
            raw[name] = [str(v) for v in value] if isinstance(value, list) else []
        elif widget == "lines":
            raw[name] = ["\n".join(str(v) for v in value)] if isinstance(value, list) else []
        elif value is not None:
            text = display_value(prop, value)
            raw[name] = [text] if text or widget != "checkbox" else []
    return raw


def prefill_from(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """Initial values a form takes from process data: `x-prefill` on a repeated field names the variable
    whose records start its rows (the same-named columns; `where` keeps records with those values)."""
    values: dict[str, Any] = {}
    for key, prop in _props(schema).items():
        hint = prop.get("x-prefill") if isinstance(prop, dict) else None
        if not isinstance(hint, dict) or widget_for(prop) != "rows":
            continue
        records = data.get(str(hint.get("from")))
        where = hint.get("where") if isinstance(hint.get("where"), dict) else {}
        columns = _props(prop.get("items", {}))
        if isinstance(records, list):
            values[key] = [{c: r[c] for c in columns if c in r} for r in records
                           if isinstance(r, dict) and all(r.get(k) == v for k, v in where.items())]
    return values


def raw_from_multidict(form: Any) -> Raw:
    """`request.form` (a MultiDict) as a plain dict of lists, without the CSRF token and actions."""
    return {k: form.getlist(k) for k in form if k not in ("csrf_token", "_action")}


def _first(raw: Raw, name: str) -> str:
    values = raw.get(name) or [""]
    return values[0]


def row_count(raw: Raw, name: str, minimum: int = 0) -> int:
    """Rows of a repeated field: the hidden counter, or the highest index present."""
    try:
        count = int(_first(raw, name + ROWS_SUFFIX) or 0)
    except ValueError:
        count = 0
    prefix = name + "."
    for key in raw:
        if key.startswith(prefix):
            head = key[len(prefix):].split(".", 1)[0]
            if head.isdigit():
                count = max(count, int(head) + 1)
    return max(minimum, min(count, MAX_ROWS))


# --------------------------------------------------------------------------- fields to render

def _strip_label(message: str, label: str) -> str:
    prefix = f"{label}: "
    return message[len(prefix):] if message.startswith(prefix) else message


def is_hidden_fixed(prop: Mapping[str, Any]) -> bool:
    """A field the process fixes (`readOnly`) and the page never shows (`x-hidden`: a key beside its name)."""
    return bool(prop.get("readOnly") and prop.get("x-hidden"))


def build_fields(schema: Mapping[str, Any], raw: Raw, errors: Mapping[str, str] | None = None,
                 prefix: str = "") -> list[Field]:
    """The fields of a form in schema order, holding the raw values and the errors by path."""
    errors = errors or {}
    required = set(schema.get("required", []))
    fields = []
    for key, prop in _props(schema).items():
        if not isinstance(prop, dict) or is_hidden_fixed(prop):
            continue
        name = f"{prefix}{key}"
        label = str(prop.get("title", key))
        widget = widget_for(prop)
        f = Field(name=name, key=key, widget=widget, label=label, help=str(prop.get("description", "")),
                  required=key in required, error=_strip_label(errors[name], label) if name in errors else None)
        if prop.get("readOnly"):
            f.attrs["readonly"] = True
        if prop.get("x-sum") is False:  # a rating or a grade: a column total means nothing
            f.attrs["no_total"] = True
        if isinstance(prop.get("x-decimals"), int):
            f.attrs["decimals"] = prop["x-decimals"]
        if widget in ("select", "radio"):
            f.options = _options(prop)
            f.value = _first(raw, name)
        elif widget == "multi":
            f.options = _options(prop.get("items", {}))
            f.values = list(raw.get(name, []))
        elif widget == "group":
            f.children = build_fields(prop, raw, errors, f"{name}.")
        elif widget == "rows":
            items = prop.get("items", {})
            # rows the process gives (a read-only column, or the whole list read-only) are neither added nor removed
            fixed = bool(prop.get("readOnly")) or any(isinstance(p, dict) and p.get("readOnly")
                                                      for p in _props(items).values())
            minimum = 0 if fixed else max(int(prop.get("minItems", 0) or 0), DEFAULT_EMPTY_ROWS)
            count = row_count(raw, name, minimum=minimum)
            f.children = build_fields(items, {}, {}, f"{name}.__template.")  # column headers
            f.rows = [build_fields(items, raw, errors, f"{name}.{i}.") for i in range(count)]
            if prop.get("readOnly"):
                for cell in [*f.children, *(c for row in f.rows for c in row)]:
                    cell.attrs["readonly"] = True
            f.attrs["fixed"] = fixed
            f.attrs["totals"] = _column_totals(f.children, f.rows) if count > 1 else []
            f.value = str(count)
        else:
            f.value = _first(raw, name)
            for attr in ("minimum", "maximum", "maxLength", "minLength"):
                if attr in prop:
                    f.attrs[attr] = prop[attr]
        fields.append(f)
    return fields


def _column_totals(columns: list[Field], rows: list[list[Field]]) -> list[str]:
    """The sum of each number or money column as shown in a table's footer ('' for other columns)."""
    totals = []
    for i, column in enumerate(columns):
        if column.widget not in ("number", "money", "integer") or column.attrs.get("no_total"):
            totals.append("")
            continue
        total = Decimal(0)
        for row in rows:
            with contextlib.suppress(ValueError, ArithmeticError):
                total += parse_decimal(row[i].value) if row[i].value.strip() else Decimal(0)
        if column.widget == "money":
            totals.append(format_number(total, 2) + " €")
        elif isinstance(column.attrs.get("decimals"), int):
            totals.append(format_number(total, column.attrs["decimals"]))
        else:
            totals.append(format(total.normalize(), "f").replace(".", ","))
    return totals


def link_documents(fields: list[Field], documents: Mapping[str, int]) -> None:
    """A field shown as a document (`x-widget: document`, its value a file name) links that file: its id."""
    for f in fields:
        if f.widget == "document" and f.value in documents:
            f.attrs["document_id"] = documents[f.value]
        link_documents(f.children, documents)


def errors_by_path(errors: Iterable[FieldError]) -> dict[str, str]:
    """Engine errors (JSON pointers) keyed by dotted input name; form-level ones under ''."""
    result: dict[str, str] = {}
    for error in errors:
        path = ".".join(p for p in error.pointer.split("/") if p)
        if path in result:
            result[path] += " " + error.message
        else:
            result[path] = error.message
    return result


def row_action(raw: Raw, action: str) -> Raw | None:
    """Apply `add:<name>` or `remove:<name>:<i>` to the posted values; None if not a row action."""
    parts = (action or "").split(":")
    if len(parts) == 2 and parts[0] == "add":
        name = parts[1]
        result = dict(raw)
        result[name + ROWS_SUFFIX] = [str(min(row_count(raw, name) + 1, MAX_ROWS))]
        return result
    if len(parts) == 3 and parts[0] == "remove" and parts[2].isdigit():
        name, index = parts[1], int(parts[2])
        count = row_count(raw, name)
        result: Raw = {}
        prefix = name + "."
        for key, values in raw.items():
            if not key.startswith(prefix) or key == name + ROWS_SUFFIX:
                result[key] = values
                continue
            head, _, rest = key[len(prefix):].partition(".")
            if not head.isdigit() or int(head) < index:
                result[key] = values
            elif int(head) > index:
                result[f"{prefix}{int(head) - 1}.{rest}"] = values
        result[name + ROWS_SUFFIX] = [str(max(count - 1, 0))]
        return result
    return None


# --------------------------------------------------------------------------- strings -> typed

MAX_DIGITS = 15  #: larger numbers are no input of any form; converting `1e999999` would stall the server


def _number(text: str, integer: bool, money: bool) -> int | float:
    value = parse_decimal(text)
    if not value.is_finite():
        raise ValueError("Bitte eine Zahl eingeben.")
    if value.adjusted() >= MAX_DIGITS:
        raise ValueError("Die Zahl ist zu groß.")
    if integer:
        if value != value.to_integral_value():
            raise ValueError("Bitte eine ganze Zahl eingeben.")
        return int(value)
    if money and value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise ValueError("Bitte höchstens zwei Nachkommastellen (Cent) angeben.")
    return int(value) if value == value.to_integral_value() and not money else float(value)


def _scalar(prop: Mapping[str, Any], text: str) -> Any:
    """One posted string -> its typed value; raises ValueError with a German message."""
    widget = widget_for(prop)
    if widget in ("select", "radio"):
        for value, _ in choices(prop):
            if str(value) == text:
                return value
        raise ValueError("Bitte einen der vorgegebenen Werte wählen.")
    if widget in ("integer", "number", "money"):
        try:
            return _number(text, widget == "integer", widget == "money")
        except ValueError as exc:
            message = str(exc)
            if not message.startswith("Bitte"):
                message = {"money": "Bitte einen Betrag wie 64.000,00 eingeben.",
                           "integer": "Bitte eine ganze Zahl eingeben."}.get(widget, "Bitte eine Zahl eingeben.")
            raise ValueError(message) from None
    if widget == "date":
        try:
            return parse_date(text).isoformat()
        except (TypeError, ValueError):
            raise ValueError("Bitte ein Datum angeben (TT.MM.JJJJ).") from None
    return text


def parse(schema: Mapping[str, Any], raw: Raw, prefix: str = "") -> tuple[dict[str, Any], dict[str, str]]:
    """Typed data per schema from the posted strings, and conversion errors by dotted path.

    Empty inputs are left out (so `required` reports them), an unchecked checkbox is `false`,
    a repeated row whose inputs are all empty is dropped.
    """
    data: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for key, prop in _props(schema).items():
        if not isinstance(prop, dict) or prop.get("readOnly"):
            continue
        name = f"{prefix}{key}"
        widget = widget_for(prop)
        if widget == "checkbox":
            data[key] = _first(raw, name).strip().lower() in ("1", "on", "true", "ja")
        elif widget == "multi":
            chosen = [v for v in raw.get(name, []) if v]
            typed = []
            for text in chosen:
                try:
                    typed.append(_scalar(prop.get("items", {}), text))
                except ValueError as exc:
                    errors[name] = str(exc)
            data[key] = typed
        elif widget == "lines":
            data[key] = [line.strip() for line in _first(raw, name).splitlines() if line.strip()]
        elif widget == "group":
            sub, sub_errors = parse(prop, raw, f"{name}.")
            errors.update(sub_errors)
            if sub:
                data[key] = sub
        elif widget == "rows":
            items = prop.get("items", {})
            rows = []
            for i in range(row_count(raw, name)):
                row_prefix = f"{name}.{i}."
                if not any(v.strip() for k, vs in raw.items() if k.startswith(row_prefix) for v in vs):
                    continue
                row, row_errors = parse(items, raw, row_prefix)
                # report errors at the index the row will have after empty rows are dropped
                errors.update({f"{name}.{len(rows)}.{p[len(row_prefix):]}": m for p, m in row_errors.items()})
                rows.append(row)
            data[key] = rows
        else:
            text = _first(raw, name)
            if widget not in ("textarea",):
                text = text.strip()
            if text == "":
                continue
            try:
                data[key] = _scalar(prop, text)
            except ValueError as exc:
                errors[name] = str(exc)
    return data, errors


def compact(schema: Mapping[str, Any], raw: Raw, prefix: str = "") -> Raw:
    """Drop repeated rows whose inputs are all empty, so row indices match the submitted list."""
    result = dict(raw)
    for key, prop in _props(schema).items():
        if not isinstance(prop, dict) or widget_for(prop) != "rows":
            continue
        name = f"{prefix}{key}"
        for i in reversed(range(row_count(result, name))):
            row_prefix = f"{name}.{i}."
            if not any(v.strip() for k, vs in result.items() if k.startswith(row_prefix) for v in vs):
                result = row_action(result, f"remove:{name}:{i}") or result
    return result
