"""Deploy checks DMN expressions with the same sandbox rules as BPMN scripts (not only at run time)."""

from __future__ import annotations

from pathlib import Path

import pytest

from workflows.engine import definitions
from workflows.errors import InvalidDefinition

ROOT = Path(__file__).resolve().parents[2]
DMN = "bpmn/abstimmung.dmn"


def _bundle_with(old: str, new: str) -> definitions.Bundle:
    bundle = definitions.Bundle.from_directory(ROOT)
    text = bundle.files[DMN].decode()
    assert old in text
    return bundle.with_file(DMN, text.replace(old, new, 1).encode())


@pytest.mark.parametrize(("old", "new", "element"), [
    ('<text>"angenommen"</text>', "<text>__import__('os').system('id')</text>", "r2_out2"),
    ("<text>&gt; 0</text>", "<text>&gt; ().__class__.__base__</text>", "r2_in2"),
    ("<text>stimmzaehlung['ja'] - stimmzaehlung['nein']</text>", "<text>_secret</text>", None),
])
def test_a_sandbox_escape_in_a_decision_table_is_refused_at_deploy(old: str, new: str, element: str | None) -> None:
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(_bundle_with(old, new))
    problem = caught.value.problems[0]
    assert problem.file == DMN and problem.line and "DMN" in problem.message
    if element:
        assert problem.element_id == element


def test_the_project_decision_table_passes() -> None:
    assert definitions.compile_bundle(definitions.Bundle.from_directory(ROOT))
