"""Check an answer against the OpenAPI document the API serves: the tests keep no copy of the shapes."""

from __future__ import annotations

import re
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker
from werkzeug.test import TestResponse

from webapp.api import openapi

PREFIX = "/api/v1"


@cache
def _document() -> dict[str, Any]:
    return openapi.document()


def _check(schema: dict[str, Any], body: Any, label: str) -> None:
    """Validate with `#/components/...` resolved inside the document."""
    validator = Draft202012Validator({**schema, "components": _document()["components"]},
                                     format_checker=FormatChecker())
    errors = sorted(validator.iter_errors(body), key=str)
    assert not errors, f"{label}: " + "; ".join(f"/{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in errors)


def _operation(method: str, path: str) -> dict[str, Any]:
    for template, item in _document()["paths"].items():
        pattern = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(PREFIX + template))
        if re.fullmatch(pattern, path) and method.lower() in item:
            return dict(item[method.lower()])
    raise AssertionError(f"{method} {path} is not in the OpenAPI document")


def _response_schema(operation: dict[str, Any], status: int, media_type: str | None) -> dict[str, Any]:
    response = operation["responses"].get(str(status))
    assert response is not None, f"status {status} is not documented for {operation['operationId']}"
    if "$ref" in response:
        response = _document()["components"]["responses"][response["$ref"].rsplit("/", 1)[-1]]
    content = response.get("content", {})
    if not content:  # documented without a body (304)
        assert media_type is None, (operation["operationId"], status, media_type)
        return {}
    assert media_type in content, (operation["operationId"], status, media_type, list(content))
    return dict(content[media_type]["schema"])


def assert_schema(body: Any, name: str) -> None:
    """The body is valid against `components/schemas/<name>`."""
    _check({"$ref": f"#/components/schemas/{name}"}, body, name)


def assert_conforms(response: TestResponse, method: str, path: str) -> None:
    """Status, media type and body of an answer as the document says for this operation."""
    schema = _response_schema(_operation(method, path), response.status_code, response.mimetype)
    if response.mimetype and response.mimetype.endswith("json"):
        _check(schema, response.get_json(), f"{method} {path} {response.status_code}")
