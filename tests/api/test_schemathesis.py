"""Property-based tests driven by the served OpenAPI document (schemathesis 4), against a live server.

A real werkzeug server in a thread on 127.0.0.1 (free port) serves the app on a SQLite database
with the demo data, the real process (bpmn/, forms/) with a round waiting for its Bewilligungsbescheid,
and the mini process with a running round and one document. Every
operation is called with generated valid (positive) and invalid (negative) requests and every
response is checked: no 5xx, status code, content type and body all as documented. Bounded to a
few examples per operation (HEAD and OPTIONS: three, valid ones only) and a time budget of a minute, past
which each remaining operation still runs, with one example.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterator

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.api.conftest import TokenFactory, make_app
from tests.conftest import serve
from tests.scenarios.pdf_layouts import reuse_pdf_layouts
from tests.web import grant_round as gr
from workflows.storage.db import Database
from workflows.storage.models import Document

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]
MAX_EXAMPLES = 15
TIME_BUDGET_SECONDS = 60.0


@pytest.fixture
def live_server(api_db: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Beside the mini process, the real one (bpmn/, forms/) with a round waiting for its Bewilligungsbescheid,
    so the document holds the real message, start data and forms, and the Gemeinden's and the Personalamt's
    tasks are done: what schemathesis draws is checked against the contract a real client reads."""
    reuse_pdf_layouts(monkeypatch)
    gr.drive(api_db, "bescheid")
    with serve(make_app(api_db)) as url:
        yield url


def _add_document(db: Database, instance_id: int) -> None:
    content = b"%PDF-1.7\n% schemathesis\n%%EOF\n"
    with db.write() as session:
        session.add(Document(instance_id=instance_id, kind="antrag", title="Antrag", filename="Antrag.pdf",
                             sha256=hashlib.sha256(content).hexdigest(), size=len(content), content=content))


def _runner(operation: schemathesis.APIOperation, mode: GenerationMode, base_url: str, headers: dict[str, str],
            session: requests.Session, examples: int) -> Callable[[], None]:
    @given(case=operation.as_strategy(generation_mode=mode))
    @settings(max_examples=examples, deadline=None, database=None, derandomize=True,
              phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
    def run(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, session=session, headers=headers, checks=CHECKS, timeout=30)

    return run


def test_api_conforms_to_its_openapi_document(live_server: str, api_db: Database, round_id: int,
                                              auth: TokenFactory) -> None:
    """Every operation in every mode that applies runs: past the time budget with one example each
    instead of its full share, so a slow machine tests less deeply but leaves nothing out."""
    _add_document(api_db, round_id)
    headers = auth("sachbearbeitung")
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json")
    base_url = f"{live_server}/api/v1"
    deadline = time.monotonic() + TIME_BUDGET_SECONDS
    failures: list[str] = []
    tested = 0
    with requests.Session() as session:
        for result in schema.get_all_operations():
            operation = result.ok()
            has_input = bool(operation.path_parameters or operation.query or operation.body)
            bodiless = operation.method.upper() in ("HEAD", "OPTIONS")  # their inputs are their GET's, tried there
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
                if mode is GenerationMode.NEGATIVE and (not has_input or bodiless):
                    continue
                share = 3 if bodiless else MAX_EXAMPLES
                try:
                    _runner(operation, mode, base_url, headers, session,
                            share if time.monotonic() < deadline else 1)()
                    tested += 1
                except Exception as exc:  # collect every operation's failure, then report all
                    failures.append(f"{operation.label} [{mode.value}]:\n{exc}")
    assert tested + len(failures) >= 100  # 42 operations, most in both modes, and HEAD and OPTIONS of every path
    document = schema.raw_schema
    assert "Nachricht.grant_round.bewilligungsbescheid" in document["components"]["schemas"]
    assert "Startdaten.grant_round" in document["components"]["schemas"]
    assert not failures, "\n\n".join(failures)


STATEFUL_SCENARIOS = 30
STATEFUL_STEPS = 5


def test_api_conforms_along_the_links_between_operations(live_server: str, round_id: int,
                                                         auth: TokenFactory) -> None:
    """schemathesis' state machine follows the document's OpenAPI links (start a round → get it → list its
    tasks → get one → its schema → complete it, ...), with values taken from earlier answers; bounded by
    scenarios and steps (about 20 s here; pytest's timeout is the bound, speed is no assertion)."""
    headers = auth("sachbearbeitung")
    # HEAD and OPTIONS are no steps of a round (no links lead there): the run above checks them
    schema = schemathesis.openapi.from_url(f"{live_server}/api/v1/openapi.json").exclude(method=["HEAD", "OPTIONS"])
    base_url = f"{live_server}/api/v1"
    session = requests.Session()
    calls: list[str] = []

    class Workflow(schema.as_state_machine()):  # type: ignore[misc]
        def call(self, case: schemathesis.Case, **kwargs: object) -> schemathesis.Response:
            calls.append(case.operation.label)
            return case.call(base_url=base_url, session=session, headers=headers, timeout=30)

        def validate_response(self, response: schemathesis.Response, case: schemathesis.Case,
                              additional_checks: object = None, **kwargs: object) -> None:
            case.validate_response(response, checks=CHECKS)

    Workflow.run(settings=settings(max_examples=STATEFUL_SCENARIOS, stateful_step_count=STATEFUL_STEPS,
                                   deadline=None, database=None, derandomize=True, phases=[Phase.generate],
                                   suppress_health_check=list(HealthCheck)))
    session.close()
    assert len(calls) >= STATEFUL_SCENARIOS, calls
    followed = {"GET /instances/{instance_id}", "GET /tasks/{task_id}"} & set(calls)
    assert followed, sorted(set(calls))
