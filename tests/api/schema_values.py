"""Values a JSON Schema allows, as hypothesis strategies, for the keywords grantflow's forms use.

`hypothesis-jsonschema` would do this, but its current release does not run with the installed
hypothesis; this covers what `forms/` says (type, required, enum, min/max, exclusiveMinimum,
multipleOf, minLength/maxLength, pattern, format date/date-time/email/iban, items, minItems, uniqueItems)
and refuses anything else loudly, so a form with a new keyword fails here instead of being skipped.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import strategies as st

ANNOTATIONS = {"title", "description", "default", "readOnly", "$schema", "$id", "examples"}
TEXT = st.characters(codec="utf-8", categories=("L", "N", "P", "Zs"))


def _string(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    low, high = schema.get("minLength", 0), min(schema.get("maxLength", 40), 40)
    if "pattern" in schema:
        return st.from_regex(schema["pattern"], fullmatch=True).filter(lambda s: low <= len(s) <= schema.get(
            "maxLength", 10**6))
    fmt = schema.get("format")
    if fmt == "date":
        return st.dates(dt.date(2000, 1, 1), dt.date(2099, 12, 31)).map(dt.date.isoformat)
    if fmt == "date-time":
        return st.datetimes(dt.datetime(2000, 1, 1), dt.datetime(2099, 12, 31),
                            timezones=st.just(dt.UTC)).map(lambda d: d.isoformat())
    if fmt == "email":
        return st.from_regex(r"[a-z]{1,10}@[a-z]{1,10}\.de", fullmatch=True)
    if fmt == "iban":  # a German IBAN with its ISO 7064 check digits ("DE" = 13 14)
        return st.from_regex(r"[0-9]{18}", fullmatch=True).map(
            lambda bban: f"DE{98 - int(bban + '131400') % 97:02d}{bban}")
    return st.text(TEXT, min_size=low, max_size=max(low, high)).filter(lambda s: low == 0 or s.strip() != "")


def _number(schema: dict[str, Any], integer: bool) -> st.SearchStrategy[Any]:
    low = schema.get("minimum", schema.get("exclusiveMinimum", -10**6))
    high = schema.get("maximum", 10**6)
    step = schema.get("multipleOf")
    if step:
        first, last = int(-(-low // step)), int(high // step)
        values = st.integers(first, last).map(lambda n: n * step)
    elif integer:
        values = st.integers(int(-(-low // 1)), int(high))
    else:
        values = st.floats(low, high, allow_nan=False, allow_infinity=False)
    if "exclusiveMinimum" in schema:
        values = values.filter(lambda v: v > schema["exclusiveMinimum"])
    return values


def values_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy of values valid against `schema` (the subset above)."""
    unknown = set(schema) - ANNOTATIONS - {
        "type", "required", "properties", "additionalProperties", "enum", "minimum", "maximum",
        "exclusiveMinimum", "multipleOf", "minLength", "maxLength", "pattern", "format", "items", "minItems",
        "maxItems", "uniqueItems"} - {k for k in schema if k.startswith("x-")}
    assert not unknown, f"keywords without a value strategy: {sorted(unknown)}"
    if "enum" in schema:
        return st.sampled_from(schema["enum"])
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "null" in kinds and len(kinds) > 1:
        rest = {**schema, "type": [k for k in kinds if k != "null"]}
        if len(rest["type"]) == 1:
            rest["type"] = rest["type"][0]
        return st.none() | values_for(rest)
    match kind:
        case "object":
            props = schema.get("properties", {})
            required = set(schema.get("required", []))
            return st.fixed_dictionaries({k: values_for(v) for k, v in props.items() if k in required},
                                         optional={k: values_for(v) for k, v in props.items() if k not in required})
        case "array":
            low = schema.get("minItems", 0)
            items = values_for(schema.get("items", {"type": "string"}))
            return st.lists(items, min_size=low, max_size=schema.get("maxItems", low + 2),
                            unique_by=(lambda v: repr(v)) if schema.get("uniqueItems") else None)
        case "string":
            return _string(schema)
        case "integer":
            return _number(schema, integer=True)
        case "number":
            return _number(schema, integer=False)
        case "boolean":
            return st.booleans()
        case "null":
            return st.none()
    raise AssertionError(f"no value strategy for type {kind!r}")
