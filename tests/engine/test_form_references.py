"""Forms are self-contained: no `$ref` leaves the schema, at deploy or at validation (nothing is fetched)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from tests.conftest import FIXTURES
from tests.engine.helpers import gemeinde_user, ready_rows, start_mini
from workflows import engine
from workflows.engine import definitions, forms
from workflows.errors import InvalidDefinition, ProcessStepFailed, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition

FORM = "forms/mini_answer.schema.json"


@pytest.fixture
def schema_server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that serves a schema and records every request it gets."""
    hits: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            hits.append(self.path)
            body = json.dumps({"type": "string"}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/schema+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/evil.schema.json", hits
    finally:
        server.shutdown()
        thread.join(timeout=5)


def _with_ref(target: str, keyword: str = "$ref") -> dict[str, object]:
    schema = json.loads((FIXTURES / "mini" / FORM).read_text())
    schema["properties"]["kontakt"] = {keyword: target}
    return schema


@pytest.mark.parametrize("target", ["URL", "file:///etc/passwd", "other.schema.json", "/etc/passwd",
                                    "urn:example:x"])
@pytest.mark.parametrize("keyword", ["$ref", "$dynamicRef"])
def test_a_reference_leaving_the_form_is_refused_at_deploy_with_file_and_pointer(
        target: str, keyword: str, schema_server: tuple[str, list[str]]) -> None:
    url, hits = schema_server
    target = url if target == "URL" else target
    bundle = definitions.Bundle.from_directory(FIXTURES / "mini").with_file(
        FORM, json.dumps(_with_ref(target, keyword)).encode())
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(bundle)
    problem = caught.value.problems[0]
    assert problem.file == FORM
    assert f"'/properties/kontakt/{keyword}'" in problem.message and "in sich geschlossen" in problem.message
    assert hits == []


def test_local_references_still_work() -> None:
    schema = {"type": "object", "$defs": {"name": {"type": "string", "maxLength": 3}},
              "properties": {"a": {"$ref": "#/$defs/name"}}}
    assert forms.check_schema(schema) is None
    with pytest.raises(ValidationFailed) as caught:
        forms.validate_submission(schema, {"a": "zu lang"})
    assert caught.value.errors[0].pointer == "/a"
    forms.validate_submission(schema, {"a": "ok"})


def test_a_stored_form_with_a_remote_reference_fetches_nothing_and_refuses_cleanly(
        mini_db: Database, schema_server: tuple[str, list[str]]) -> None:
    """A version deployed before the check: validation retrieves nothing and says why, never a 500."""
    url, hits = schema_server
    with mini_db.write() as session:
        definition = session.query(ProcessDefinition).one()
        definition.forms = {**definition.forms, "mini_answer": _with_ref(url)}
    instance_id = start_mini(mini_db)
    row = ready_rows(mini_db, instance_id, "answer")[0]
    user = gemeinde_user(mini_db, row.assignee_gemeinde or "")
    for ref in (url, "file:///etc/passwd"):
        with mini_db.write() as session:
            definition = session.query(ProcessDefinition).one()
            definition.forms = {**definition.forms, "mini_answer": _with_ref(ref)}
        with pytest.raises(ProcessStepFailed, match="nichts nachgeladen"):
            engine.complete_task(mini_db, row.id, {"entscheidung": "selbst", "anzahl": 1, "kontakt": "x"}, user)
    assert hits == []
    assert ready_rows(mini_db, instance_id, "answer")[0].id == row.id
