"""Deploying BPMN + forms: validation with file/line/element, versioning, XML attacks refused."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests.conftest import FIXTURES, deploy_dir
from tests.engine.helpers import start_mini
from workflows import engine
from workflows.engine import definitions
from workflows.errors import InvalidDefinition
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance

MINI = FIXTURES / "mini"
BPMN = "bpmn/mini_round.bpmn"


def mini_bundle() -> definitions.Bundle:
    return definitions.Bundle.from_directory(MINI)


def mutated(old: str, new: str) -> definitions.Bundle:
    bundle = mini_bundle()
    text = bundle.files[BPMN].decode()
    assert old in text
    return bundle.with_file(BPMN, text.replace(old, new, 1).encode())


def refused(bundle: definitions.Bundle) -> InvalidDefinition:
    with pytest.raises(InvalidDefinition) as caught:
        definitions.compile_bundle(bundle)
    return caught.value


def test_unchanged_files_keep_their_version_changed_ones_get_a_new_one(sqlite_db: Database, tmp_path: Path) -> None:
    assert [(o.key, o.version, o.created) for o in deploy_dir(sqlite_db, MINI)] == [("mini_round", 1, True)]
    assert [(o.version, o.created) for o in deploy_dir(sqlite_db, MINI)] == [(1, False)]
    running = start_mini(sqlite_db)
    copy = tmp_path / "mini"
    shutil.copytree(MINI, copy)
    path = copy / BPMN
    path.write_text(path.read_text().replace('name="Zählen"', 'name="Zählen und summieren"'))
    assert [(o.version, o.created) for o in deploy_dir(sqlite_db, copy)] == [(2, True)]
    newer = engine.start_instance(sqlite_db, "mini_round", "Neu", "sachbearbeitung",
                                  {"landkreis": "ortenaukreis", "frist": "2030-01-01"}).instance_id
    with sqlite_db.read() as session:
        versions = {i.id: i.definition.version for i in session.scalars(select(ProcessInstance))}
    assert versions == {running: 1, newer: 2}
    # a changed form is a change of the process too
    form = copy / "forms/mini_draft.schema.json"
    form.write_text(form.read_text().replace('"title": "Text"', '"title": "Entwurfstext"'))
    assert [(o.version, o.created) for o in deploy_dir(sqlite_db, copy)] == [(3, True)]


def test_broken_files_are_refused_with_location_and_nothing_is_stored(sqlite_db: Database) -> None:
    problems = refused(mutated("</bpmn:process>", "")).problems
    assert problems[0].file == BPMN and problems[0].line and "wohlgeformt" in problems[0].message
    xsd = refused(mutated('<bpmn:startEvent id="start"', '<bpmn:startEvent id="start" foo="1"')).problems[0]
    assert xsd.file == BPMN and xsd.line and "foo" in xsd.message
    dangling = refused(mutated('targetRef="count"', 'targetRef="nowhere"')).problems[0]
    assert dangling.file == BPMN
    with pytest.raises(InvalidDefinition), sqlite_db.write() as session:
        definitions.deploy(session, mutated("</bpmn:process>", ""), "test")
    with sqlite_db.read() as session:
        assert session.scalar(select(func.count()).select_from(ProcessDefinition)) == 0


def test_forms_are_checked(sqlite_db: Database) -> None:
    missing = refused(mutated('value="mini_draft"', 'value="gibt_es_nicht"')).problems[0]
    assert missing.element_id == "draft" and "gibt_es_nicht" in missing.message
    bad_schema = mini_bundle().with_file("forms/mini_draft.schema.json", b'{"type": "object", "properties": 5}')
    assert "mini_draft" in refused(bad_schema).problems[0].file
    not_json = mini_bundle().with_file("forms/mini_draft.schema.json", b"{nope")
    assert "JSON" in refused(not_json).problems[0].message


START_FORM = ('<bpmn:startEvent id="start" name="Start"><bpmn:extensionElements><spiffworkflow:properties>'
              '<spiffworkflow:property name="formKey" value="mini_start" /></spiffworkflow:properties>'
              '</bpmn:extensionElements></bpmn:startEvent>')


def test_the_start_data_form_is_checked(sqlite_db: Database) -> None:
    without_form = mutated('<bpmn:startEvent id="start" name="Start" />', START_FORM)
    missing = refused(without_form).problems[0]
    assert missing.element_id == "start" and "Startdaten 'forms/mini_start.schema.json' fehlt" in missing.message
    form = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object",
            "properties": {"kreis": {"type": "string", "x-enumSource": "planeten"}}}
    unknown = without_form.with_file("forms/mini_start.schema.json", json.dumps(form).encode())
    assert "Unbekannte Auswahlquelle (x-enumSource): planeten" in refused(unknown).problems[0].message
    form["properties"]["kreis"]["x-enumSource"] = "landkreise"
    (proc,) = definitions.compile_bundle(without_form.with_file("forms/mini_start.schema.json",
                                                                json.dumps(form).encode()))
    assert "mini_start" in proc.forms  # versioned with the process


XXE = b"""<?xml version="1.0"?>
<!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&xxe;" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""

LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
  <bpmn:process id="p" name="&lol3;" isExecutable="true"><bpmn:startEvent id="s"/></bpmn:process>
</bpmn:definitions>"""


@pytest.mark.parametrize("payload", [XXE, LAUGHS], ids=["xxe", "billion-laughs"])
def test_xml_entity_tricks_are_refused_not_read(payload: bytes) -> None:
    problem = refused(mini_bundle().with_file("bpmn/evil.bpmn", payload)).problems[0]
    assert problem.file == "bpmn/evil.bpmn" and "DOCTYPE" in problem.message
    assert "root:" not in str(problem)


@pytest.mark.parametrize("script", [
    "x = __import__('os').getcwd()",
    "x = ().__class__.__base__.__subclasses__()",
    "import os",
    "x = [c for c in ().__class__.__mro__]",
])
def test_scripts_that_escape_the_sandbox_are_refused_at_deploy(script: str) -> None:
    bad = mutated("total = sum(a['anzahl'] for a in answers if a['entscheidung'] == 'uebertragen')", script)
    problem = refused(bad).problems[0]
    assert problem.element_id == "count" and "Skript abgelehnt" in problem.message


def test_operator_id_colliding_with_an_element_is_refused() -> None:
    bad = mutated('<bpmn:serviceTask id="send_notice"', '<bpmn:serviceTask id="notify"')
    bad = definitions.Bundle({**bad.files, BPMN: bad.files[BPMN].decode().replace(
        'targetRef="send_notice"', 'targetRef="notify"').replace('sourceRef="send_notice"', 'sourceRef="notify"')
        .replace(">send_notice<", ">notify<").encode()})
    assert "dieselbe id" in refused(bad).problems[0].message


def test_spec_is_stored_once_not_in_each_instance(sqlite_db: Database) -> None:
    deploy_dir(sqlite_db, MINI)
    instance_id = start_mini(sqlite_db)
    with sqlite_db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        assert '"spec"' not in instance.state[:2000] and '"subprocess_specs"' not in instance.state
        assert "mini_round" in instance.definition.spec_json
