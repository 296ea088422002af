"""A client that knows the API only from what it serves: the OpenAPI document and the schemas.

It imports nothing of the project (no forms, no programme): it reads `/api/v1/openapi.json`, follows
the addresses the answers give (`links`, `expected_messages[].schema`), and builds every submission
from the served JSON Schema alone: the task's prefilled values, then `default`, `const`, `enum`,
`examples` and the keywords' bounds, repaired keyword by keyword until the schema accepts it. Only
where the process needs a decision does the caller pass choices (e.g. which Gemeinden transfer), said
as a person reads the form: field titles and the labels of choices (`decide`), never field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from jsonschema.exceptions import ValidationError

from workflows import clock

Json = dict[str, Any]
TEXT = "Testwert"


def value_for(schema: Json) -> Any:
    """A value for one field from its schema: its default, const, first enum value, first example, or bounds."""
    for keyword in ("default", "const"):
        if keyword in schema:
            return schema[keyword]
    if schema.get("enum"):
        return schema["enum"][0]
    if schema.get("examples"):
        return schema["examples"][0]
    kind = schema.get("type")
    if kind == "string":
        return {"date": clock.today().isoformat(), "email": "test@example.org",
                "date-time": f"{clock.today().isoformat()}T12:00:00+00:00"}.get(schema.get("format", ""), TEXT)
    if kind in ("integer", "number"):
        low = schema.get("minimum", schema.get("exclusiveMinimum", 0) + (1 if kind == "integer" else 0.25))
        value = max(low, 1) if schema.get("maximum", 1) >= 1 else low
        return int(value) if kind == "integer" else float(value)
    if kind == "boolean":
        return False
    if kind == "array":
        return [value_for(schema.get("items", {})) for _ in range(schema.get("minItems", 0))]
    if kind == "object":
        return fill(schema, {})
    return TEXT


def fill(schema: Json, data: Json) -> Json:
    """`data` with every required field the schema names (at its top level) given a value."""
    props = schema.get("properties", {})
    for name in schema.get("required", []):
        if name not in data and name in props:
            data[name] = value_for(props[name])
    return data


def _field_schema(root: Json, path: list[Any]) -> Json:
    node: Any = root
    for part in path:
        node = node.get("items", {}) if isinstance(part, int) else node.get("properties", {}).get(part, {})
    return node if isinstance(node, dict) else {}


def _set(data: Any, path: list[Any], value: Any) -> None:
    for part in path[:-1]:
        data = data[part]
    data[path[-1]] = value


def _repair(root: Json, data: Json, error: ValidationError) -> None:
    path, keyword, wanted = list(error.absolute_path), error.validator, error.validator_value
    here = _field_schema(root, path)
    if keyword == "required":
        name = error.message.split("'")[1]
        constraint = error.schema.get("properties", {}).get(name, {}) if isinstance(error.schema, dict) else {}
        _set(data, [*path, name], value_for({**_field_schema(root, [*path, name]), **constraint}))
    elif keyword == "additionalProperties":
        container = data
        for part in path:
            container = container[part]
        for extra in set(container) - set(here.get("properties", {})):
            del container[extra]
    elif keyword in ("const", "enum"):
        _set(data, path, wanted if keyword == "const" else wanted[0])
    elif keyword in ("minimum", "maximum"):
        _set(data, path, wanted)
    elif keyword == "exclusiveMinimum":
        _set(data, path, wanted + 1)
    elif keyword == "multipleOf":
        _set(data, path, round(error.instance / wanted) * wanted or wanted)
    elif keyword == "pattern" and here.get("examples"):
        _set(data, path, here["examples"][0])
    elif keyword == "pattern":
        literal = re.sub(r"[\\^$]", "", wanted)  # what a literal pattern asks for, e.g. `\(m/w/d\)`
        _set(data, path, f"{TEXT} {literal}")
    elif keyword == "contains":
        _set(data, path, [*error.instance, value_for(wanted)])
    elif keyword == "minItems":
        _set(data, path, [*error.instance, value_for(here.get("items", {}))])
    elif keyword == "not":
        others = [v for v in here.get("enum", []) if not Draft202012Validator(wanted).is_valid(v)]
        _set(data, path, others[0])
    else:
        _set(data, path, value_for(here))


def decide(schema: Json, choices: Json) -> Json:
    """A person's decisions said as the form shows them, in the schema's own names and values: `choices` names
    fields by their `title` and a choice by its label (`x-enumLabels`, or the `title` of a `oneOf` `const`);
    rows of a table are lists of such mappings. Nothing here knows a field's name."""
    props = schema.get("properties", {})
    by_title = {field.get("title", name): name for name, field in props.items()}
    return {by_title[title]: _decided(props[by_title[title]], value) for title, value in choices.items()}


def _decided(field: Json, value: Any) -> Any:
    if isinstance(value, dict):
        return decide(field, value)
    if isinstance(value, list):
        return [_decided(field.get("items", {}), item) for item in value]
    labels = dict(zip(field.get("x-enumLabels", []), field.get("enum", []), strict=False))
    labels |= {o["title"]: o["const"] for o in field.get("oneOf", []) if "const" in o and "title" in o}
    return labels.get(value, value) if isinstance(value, str) else value


def solve(schema: Json, start: Json) -> Json:
    """A submission the schema accepts, starting from `start` (prefilled values and choices)."""
    validator = Draft202012Validator(schema, format_checker=FormatChecker())
    data = fill(schema, dict(start))
    for _ in range(30):
        errors = sorted(validator.iter_errors(data), key=lambda e: len(list(e.absolute_path)))
        if not errors:
            return data
        _repair(schema, data, errors[0])
    raise AssertionError(f"no submission found for {schema.get('title')}: {[e.message for e in errors]}")


class SchemaClient:
    """HTTP on the API with a bearer token per user; every answer checked against the served document."""

    def __init__(self, get: Callable[..., Any], post: Callable[..., Any], prefix: str) -> None:
        self._get, self._post, self.prefix = get, post, prefix
        self.document: Json = self._get("/openapi.json", None, None)
        self.operations = {op["operationId"]: (method, path) for path, item in self.document["paths"].items()
                           for method, op in item.items() if isinstance(op, dict) and "operationId" in op}

    def operation(self, operation: str) -> Json:
        """The operation object of the document (its description, `x-forms`, `x-messages`, ...)."""
        method, path = self.operations[operation]
        return dict(self.document["paths"][path][method])

    def url(self, operation: str, **params: Any) -> str:
        return self.operations[operation][1].format(**params)

    def get(self, operation: str, user: str, query: Json | None = None, **params: Any) -> Any:
        return self._get(self.url(operation, **params), user, query)

    def post(self, operation: str, user: str, body: Json, **params: Any) -> Any:
        return self._post(self.url(operation, **params), user, body)

    def follow(self, address: str, user: str) -> Any:
        """An address an answer gave (`links`, `expected_messages[].schema`)."""
        return self._get(address.removeprefix(self.prefix), user, None)
