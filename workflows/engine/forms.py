"""JSON Schema forms: checking the schemas at deploy time, validating submissions with German messages.

Forms are self-contained: a `$ref` may only point into the same schema (`#...`). jsonschema would
otherwise fetch URLs and read `file://` paths on every validation; deploy refuses such references,
and validation runs with a `referencing.Registry` that retrieves nothing, so a schema stored
before this check still cannot reach out.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import SchemaError
from jsonschema.exceptions import ValidationError as SchemaValidationError
from referencing import Registry
from referencing.exceptions import NoSuchResource, Unresolvable
from sqlalchemy.orm import Session

from workflows.errors import FieldError, ProcessStepFailed, ValidationFailed
from workflows.formatting import compact_iban, format_eur, format_number, iban_problem, to_decimal

DRAFT_2020_12 = "https://json-schema.org/draft/2020-12/schema"
#: a subschema's own German message for what fails in it (instead of the generic one per keyword)
MESSAGE = "x-message"
#: rules the server checks that JSON Schema cannot say: [{"field": pointer, "rule": ..., "message": ...}]
SERVER_RULES = "x-server-rules"
_UNIONS = ("required",)
_CONCATENATED = ("allOf",)
_FORMAT_CHECKER = FormatChecker()
#: formats whose values are stored in one canonical spelling, whatever was typed (`normalized`)
_CANONICAL = {"iban": compact_iban}


@_FORMAT_CHECKER.checks("iban", raises=ValueError)
def _is_iban(value: object) -> bool:
    """`"format": "iban"`: the ISO 13616 shape and mod-97 check digits; the German reason is the message."""
    problem = iban_problem(value) if isinstance(value, str) else None
    if problem:
        raise ValueError(problem)
    return True
_REFERENCE_KEYWORDS = ("$ref", "$dynamicRef")


def _retrieve_nothing(uri: str) -> Any:
    raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # an attrs class


#: resolves references inside the schema itself and the draft's meta-schemas, never anything else
_NO_RETRIEVAL: Registry[Any] = Registry(retrieve=_retrieve_nothing)  # type: ignore[call-arg]


def non_local_references(node: Any, pointer: str = "") -> list[tuple[str, str]]:
    """(JSON pointer, target) of every `$ref`/`$dynamicRef` that leaves the schema (not `#...`)."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{pointer}/{str(key).replace('~', '~0').replace('/', '~1')}"
            if key in _REFERENCE_KEYWORDS and not (isinstance(value, str) and value.startswith("#")):
                found.append((here, str(value)))
            else:
                found.extend(non_local_references(value, here))
    elif isinstance(node, list):
        for index, item in enumerate(node):
            found.extend(non_local_references(item, f"{pointer}/{index}"))
    return found


def check_schema(schema: Any) -> str | None:
    """Why a form schema is unusable (German), or None if it is a valid draft 2020-12 object schema."""
    if not isinstance(schema, dict):
        return "Das Formular muss ein JSON-Objekt sein."
    if schema.get("$schema", DRAFT_2020_12) != DRAFT_2020_12:
        return f"'$schema' muss {DRAFT_2020_12} sein."
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(str(p) for p in exc.path)
        return f"Ungültiges JSON Schema bei '{path or '/'}': {exc.message}"
    if schema.get("type") != "object":
        return "Ein Formular muss 'type': 'object' haben."
    outside = non_local_references(schema)
    if outside:
        pointer, target = outside[0]
        return (f"Verweis bei '{pointer}' auf '{target[:200]}' ist nicht erlaubt: ein Formular muss in sich "
                "geschlossen sein, Verweise nur innerhalb der Datei ('#/$defs/...').")
    return None


def load_schema(content: bytes) -> Any:
    return json.loads(content.decode("utf-8"))


def _label(schema: Mapping[str, Any], path: list[Any]) -> str:
    node: Any = schema
    for part in path:
        if isinstance(part, int):
            node = node.get("items", {}) if isinstance(node, dict) else {}
        else:
            node = node.get("properties", {}).get(part, {}) if isinstance(node, dict) else {}
    return str(node.get("title", path[-1] if path else "Formular")) if isinstance(node, dict) else ""


def _message(error: SchemaValidationError, schema: Mapping[str, Any]) -> FieldError:
    path = list(error.absolute_path)
    v, value = error.validator, error.validator_value
    own = error.schema.get(MESSAGE) if isinstance(error.schema, dict) else None
    if v == "required":
        missing = error.message.split("'")[1] if "'" in error.message else ""
        path = [*path, missing]
        text = "Bitte ausfüllen."
    elif v == "type":
        names = {"string": "Text", "number": "eine Zahl", "integer": "eine ganze Zahl", "boolean": "ja/nein",
                 "array": "eine Liste", "object": "ein Objekt", "null": "leer"}
        wanted = value if isinstance(value, list) else [value]
        text = "Erwartet wird " + " oder ".join(names.get(str(t), str(t)) for t in wanted) + "."
    elif v in ("enum", "oneOf", "anyOf"):
        text = "Bitte einen der vorgegebenen Werte wählen."
    elif v == "const":
        text = f"Der Wert muss {value!r} sein."
    elif v == "minimum":
        text = f"Der Wert muss mindestens {_bound(value, error.schema)} sein."
    elif v == "maximum":
        text = f"Der Wert darf höchstens {_bound(value, error.schema)} sein."
    elif v == "exclusiveMinimum":
        text = f"Der Wert muss größer als {_bound(value, error.schema)} sein."
    elif v == "exclusiveMaximum":
        text = f"Der Wert muss kleiner als {_bound(value, error.schema)} sein."
    elif v == "multipleOf":
        text = f"Der Wert muss ein Vielfaches von {_bound(value, error.schema)} sein."
    elif v == "minLength":
        text = "Bitte ausfüllen." if value == 1 else f"Mindestens {value} Zeichen."
    elif v == "maxLength":
        text = f"Höchstens {value} Zeichen."
    elif v == "pattern":
        text = "Das Format stimmt nicht."
    elif v == "format":
        text = {"date": "Bitte ein Datum angeben (TT.MM.JJJJ).", "email": "Bitte eine E-Mail-Adresse angeben.",
                "date-time": "Bitte Datum und Uhrzeit angeben."}.get(value, "Das Format stimmt nicht.")
        if value == "iban" and error.cause is not None:
            text = str(error.cause)
    elif v == "contains":
        text = "Ein vorgeschriebener Eintrag fehlt."
    elif v == "not":
        text = "Dieser Wert ist hier nicht zulässig."
    elif v == "minItems":
        text = f"Mindestens {value} Einträge."
    elif v == "maxItems":
        text = f"Höchstens {value} Einträge."
    elif v == "additionalProperties":
        known = set(error.schema.get("properties", {}))
        extra = sorted(set(error.instance) - known) if isinstance(error.instance, dict) else []
        text = "Unbekannte Felder: " + ", ".join(extra)
    else:
        text = "Ungültiger Wert."
    pointer = "/" + "/".join(str(p) for p in path) if path else ""
    if isinstance(own, str):  # the rule's own German sentence
        return FieldError(pointer, own)
    label = _label(schema, path)
    return FieldError(pointer, f"{label}: {text}" if label and v != "additionalProperties" else text)


def _bound(value: Any, prop: Any) -> str:
    """A schema's limit as the form shows numbers: `64.000,00 €` for money, `64.000`, `0,25`."""
    try:
        number = to_decimal(value)
    except (TypeError, ValueError):
        return str(value)
    if isinstance(prop, dict) and (prop.get("x-widget") == "money" or prop.get("x-format") == "money"):
        return format_eur(number)
    places = max(0, -int(number.normalize().as_tuple().exponent))
    return format_number(number, places)


def normalized(schema: Mapping[str, Any], data: Any) -> Any:
    """`data` with values of canonical formats (`"format": "iban"`) in their stored spelling, at any depth:
    an IBAN typed with spaces or in lower case is checked and kept as `DE89370400440532013000`."""
    if isinstance(data, dict) and isinstance(schema.get("properties"), dict):
        result = dict(data)
        for key, prop in schema["properties"].items():
            if key in result and isinstance(prop, dict):
                result[key] = normalized(prop, result[key])
        return result
    if isinstance(data, list) and isinstance(schema.get("items"), dict):
        return [normalized(schema["items"], item) for item in data]
    canonical = _CANONICAL.get(str(schema.get("format")))
    return canonical(data) if canonical is not None and isinstance(data, str) else data


def restore_read_only(schema: Mapping[str, Any], data: dict[str, Any], initial: Mapping[str, Any]) -> dict[str, Any]:
    """Read-only values come from the task (`initial`), never from the submission: top-level ones, and
    the read-only columns of rows the process gives (matched by position, as such rows are fixed)."""
    for key, prop in schema.get("properties", {}).items():
        if not isinstance(prop, dict):
            continue
        if prop.get("readOnly"):
            data.pop(key, None)
            if key in initial:
                data[key] = initial[key]
            continue
        given = initial.get(key)
        if prop.get("type") != "array" or not isinstance(given, list) or not isinstance(data.get(key), list):
            continue
        columns = [c for c, p in prop.get("items", {}).get("properties", {}).items()
                   if isinstance(p, dict) and p.get("readOnly")]
        for row, original in zip(data[key], given, strict=False):
            if isinstance(row, dict) and isinstance(original, dict):
                row.update({c: original[c] for c in columns if c in original})
    return data


def extend_schema(base: Mapping[str, Any], extra: Mapping[str, Any]) -> dict[str, Any]:
    """`base` with the keywords of `extra` added: objects merged key by key (so `properties.name.enum`
    narrows one field), `required` united, `allOf` appended, any other keyword of `extra` wins."""
    result = dict(base)
    for key, value in extra.items():
        old = result.get(key)
        if key in _UNIONS and isinstance(old, list) and isinstance(value, list):
            result[key] = [*old, *(v for v in value if v not in old)]
        elif key in _CONCATENATED and isinstance(old, list) and isinstance(value, list):
            result[key] = [*old, *value]
        elif isinstance(old, Mapping) and isinstance(value, Mapping) and key not in ("const", "default", "enum"):
            result[key] = extend_schema(old, value)
        else:
            result[key] = value
    return result


def server_rules(schema: Mapping[str, Any]) -> list[dict[str, str]]:
    """The rules beyond the schema that the form declares (`x-server-rules`), as given."""
    rules = schema.get(SERVER_RULES)
    return [dict(r) for r in rules if isinstance(r, Mapping)] if isinstance(rules, list) else []


def published(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The schema as the API serves it: its `description` also names the rules only the server checks (the
    web form shows the form's own description and the German messages beside the fields)."""
    rules = server_rules(schema)
    if not rules:
        return dict(schema)
    listed = "; ".join(f"{r.get('field') or '/'}: {r.get('rule', '')} (sonst: „{r.get('message', '')}“)"
                       for r in rules)
    text = str(schema.get("description") or "").rstrip()
    return {**schema, "description": f"{text}\n\nZusätzlich prüft der Server: {listed}".lstrip()}


def validation_errors(schema: Mapping[str, Any], data: Any) -> list[FieldError]:
    """Every invalid field with a German message; nothing outside the schema is ever retrieved."""
    validator = Draft202012Validator(schema, format_checker=_FORMAT_CHECKER, registry=_NO_RETRIEVAL)
    data = normalized(schema, data)
    try:
        errors = sorted(validator.iter_errors(data), key=lambda e: list(map(str, e.absolute_path)))
    except Unresolvable as exc:
        raise ProcessStepFailed("Das Formular verweist auf ein Schema außerhalb der Prozessdefinition; es wird "
                                "nichts nachgeladen. Bitte die Prozessdefinition korrigieren.") from exc
    return [_message(e, schema) for e in errors]


def validate_submission(schema: Mapping[str, Any], data: Any) -> None:
    """Raise `ValidationFailed` with one German message per invalid field."""
    errors = validation_errors(schema, data)
    if errors:
        raise ValidationFailed(errors)


#: `"x-enumSource": "<name>"` on a field: its choices come from the installation's data at the moment the
#: schema is served or checked (the keys of the Landkreise), as `enum` with `x-enumLabels`
ENUM_SOURCE = "x-enumSource"
EnumSource = Callable[[Session], list[tuple[str, str]]]
_ENUM_SOURCES: dict[str, EnumSource] = {}


def register_enum_source(name: str, source: EnumSource) -> None:
    """`source(session)` gives the (value, German label) pairs of a field marked `x-enumSource: name`."""
    _ENUM_SOURCES[name] = source


def _enum_source_names(node: Any) -> set[str]:
    if isinstance(node, Mapping):
        found = {str(node[ENUM_SOURCE])} if ENUM_SOURCE in node else set()
        return found.union(*(_enum_source_names(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_enum_source_names(v) for v in node))
    return set()


def unknown_enum_sources(schema: Any) -> str | None:
    """Deploy check: every `x-enumSource` names a registered source."""
    unknown = sorted(_enum_source_names(schema) - set(_ENUM_SOURCES))
    return f"Unbekannte Auswahlquelle (x-enumSource): {', '.join(unknown)}." if unknown else None


def with_enum_sources(schema: Mapping[str, Any], session: Session) -> dict[str, Any]:
    """A copy of `schema` whose `x-enumSource` fields carry today's choices as `enum` and `x-enumLabels`."""
    result: dict[str, Any] = copy.deepcopy(dict(schema))
    pending: list[Any] = [result]
    while pending:
        node = pending.pop()
        if isinstance(node, dict):
            source = _ENUM_SOURCES.get(str(node.get(ENUM_SOURCE))) if ENUM_SOURCE in node else None
            if source is not None:
                choices = source(session)
                node["enum"], node["x-enumLabels"] = [v for v, _ in choices], [label for _, label in choices]
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
    return result


def with_defaults(schema: Mapping[str, Any], data: Mapping[str, Any]) -> dict[str, Any]:
    """`data` with the `default` of every top-level field it does not give."""
    defaults = {k: p["default"] for k, p in (schema.get("properties") or {}).items()
                if isinstance(p, Mapping) and "default" in p}
    return {**copy.deepcopy(defaults), **data}
