"""Values a JSON Schema allows, as hypothesis strategies: schemathesis' own generator.

`hypothesis-jsonschema` does not run with the installed hypothesis (it fails inside its object
strategy), and the forms now use `allOf` with `if`/`then`/`else`, `const`, `not` and `contains`.
schemathesis (already what tests the API against its document) generates request bodies from JSON
Schema 2020-12 with all of them; its public way in is an operation, so the schema becomes the body
of a one-operation OpenAPI document. Its positive mode draws only valid bodies; the callers check
each draw with jsonschema all the same.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import schemathesis
from hypothesis import strategies as st
from schemathesis import GenerationMode


def _without_read_only(node: Any) -> Any:
    """`readOnly` is an annotation in JSON Schema, but OpenAPI leaves such fields out of requests."""
    if isinstance(node, dict):
        return {k: _without_read_only(v) for k, v in node.items() if k != "readOnly"}
    if isinstance(node, list):
        return [_without_read_only(v) for v in node]
    return node


#: a German IBAN with its ISO 7064 check digits ("DE" = 13 14), for `"format": "iban"`
schemathesis.openapi.format("iban", st.from_regex(r"[0-9]{18}", fullmatch=True).map(
    lambda bban: f"DE{98 - int(bban + '131400') % 97:02d}{bban}"))


@cache
def _strategy(text: str) -> st.SearchStrategy[Any]:
    schema = _without_read_only(json.loads(text))
    document = {"openapi": "3.1.0", "info": {"title": "schema", "version": "1"}, "paths": {"/body": {"post": {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "responses": {"200": {"description": "ok"}}}}}}
    operation = schemathesis.openapi.from_dict(document)["/body"]["POST"]
    return operation.as_strategy(generation_mode=GenerationMode.POSITIVE).map(lambda case: case.body)


def values_for(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    """A strategy of values valid against `schema` (a JSON Schema 2020-12 object)."""
    return _strategy(json.dumps(schema, sort_keys=True))


def transportable(body: Any) -> bool:
    """No NUL and no lone surrogate in any text: the API refuses those for every body with 400 (documented
    under `BadRequest`), whatever a schema allows."""
    text = json.dumps(body, ensure_ascii=False)
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return "\\u0000" not in text and "\x00" not in text
