"""Running rounds move to a new version of their process: a dry run first, each round in its own
transaction, refused with the reason where it cannot move, and back again while nothing happened."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from tests.conftest import FIXTURES
from tests.engine.helpers import answer_all, ready_rows, start_mini
from webapp.cli import main
from workflows import engine
from workflows.engine import definitions, migration
from workflows.errors import Conflict, Forbidden
from workflows.storage.db import Database
from workflows.storage.models import Event, ProcessInstance

BPMN = "bpmn/mini_round.bpmn"
DRAFT_FORM = "forms/mini_draft.schema.json"


def _source() -> str:
    return (FIXTURES / "mini" / BPMN).read_text()


def _deploy(db: Database, bpmn: str | None = None, draft_form: dict[str, object] | None = None) -> None:
    bundle = definitions.Bundle.from_directory(FIXTURES / "mini")
    if bpmn is not None:
        bundle = bundle.with_file(BPMN, bpmn.encode())
    if draft_form is not None:
        bundle = bundle.with_file(DRAFT_FORM, json.dumps(draft_form).encode())
    with db.write() as session:
        definitions.deploy(session, bundle, "admin")


def _with_check_step() -> str:
    """Version 2: a Prüfung between the Entwurf and the Freigabe."""
    source = _source().replace('<bpmn:sequenceFlow id="f5" sourceRef="draft" targetRef="release" />',
                               '<bpmn:sequenceFlow id="f5" sourceRef="draft" targetRef="check" />'
                               '<bpmn:userTask id="check" name="Prüfen"><bpmn:extensionElements>'
                               '<spiffworkflow:properties><spiffworkflow:property name="formKey" value="mini_draft" />'
                               '</spiffworkflow:properties></bpmn:extensionElements></bpmn:userTask>'
                               '<bpmn:sequenceFlow id="f5b" sourceRef="check" targetRef="release" />')
    return source.replace("<bpmn:flowNodeRef>draft</bpmn:flowNodeRef>",
                          "<bpmn:flowNodeRef>draft</bpmn:flowNodeRef><bpmn:flowNodeRef>check</bpmn:flowNodeRef>")


def _round_at_draft(db: Database) -> int:
    instance_id = start_mini(db)
    answer_all(db, instance_id)
    assert [r.element_id for r in ready_rows(db, instance_id)] == ["draft"]
    return instance_id


def _version(db: Database, instance_id: int) -> int:
    with db.read() as session:
        instance = session.get(ProcessInstance, instance_id)
        assert instance is not None
        return instance.definition.version


def test_a_step_added_after_the_current_one_moves_and_moves_back(mini_db: Database) -> None:
    db = mini_db
    instance_id = _round_at_draft(db)
    _deploy(db, _with_check_step())
    (check,) = migration.plan_migration(db, "mini_round", 2, "admin").rounds
    assert check.movable and check.instance_id == instance_id and check.from_version == 1
    assert any("Neu in Version 2: 'Prüfen' (check)" in c for c in check.changes)
    assert _version(db, instance_id) == 1  # the dry run changed nothing

    migration.migrate_instances(db, "mini_round", 2, "admin")
    assert _version(db, instance_id) == 2
    (draft,) = ready_rows(db, instance_id)
    assert draft.element_id == "draft"
    migration.migrate_back(db, instance_id, "admin")
    assert _version(db, instance_id) == 1 and [r.id for r in ready_rows(db, instance_id)] == [draft.id]

    migration.migrate_instances(db, "mini_round", 2, "admin")
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    assert [r.element_id for r in ready_rows(db, instance_id)] == ["check"]  # the new step
    with pytest.raises(Conflict, match="seit dem Verschieben ist in ihm etwas geschehen"):
        migration.migrate_back(db, instance_id, "admin")
    with db.read() as session:
        kinds = session.scalars(select(Event.kind).where(Event.instance_id == instance_id,
                                                         Event.kind.like("instance_migrated%"))).all()
    assert kinds == ["instance_migrated", "instance_migrated_back", "instance_migrated"]


def test_a_renamed_task_needs_an_explicit_mapping(mini_db: Database) -> None:
    db = mini_db
    instance_id = _round_at_draft(db)
    _deploy(db, _source().replace('"draft"', '"entwurf"').replace(">draft<", ">entwurf<"))
    (refused,) = migration.plan_migration(db, "mini_round", 2, "admin").rounds
    assert not refused.movable and "'Entwurf schreiben' (draft)" in refused.reasons[0]
    migration.migrate_instances(db, "mini_round", 2, "admin")
    assert _version(db, instance_id) == 1  # refused rounds stay where they are

    mapping = migration.parse_mapping(["draft=entwurf"])
    (check,) = migration.plan_migration(db, "mini_round", 2, "admin", mapping).rounds
    assert check.movable and "wird zu 'Entwurf schreiben' (entwurf)" in " ".join(check.changes)
    migration.migrate_instances(db, "mini_round", 2, "admin", mapping)
    (entwurf,) = ready_rows(db, instance_id)
    assert entwurf.element_id == "entwurf" and _version(db, instance_id) == 2
    engine.complete_task(db, entwurf.id, {"text": "Entwurf"}, "sachbearbeitung")
    assert [r.element_id for r in ready_rows(db, instance_id)] == ["release"]


def test_a_removed_open_task_is_refused_with_the_reason(mini_db: Database) -> None:
    db = mini_db
    instance_id = _round_at_draft(db)
    source = (_source().replace('targetRef="draft"', 'targetRef="release"')
              .replace('<bpmn:sequenceFlow id="f5" sourceRef="draft" targetRef="release" />', "")
              .replace("<bpmn:flowNodeRef>draft</bpmn:flowNodeRef>", "")
              .replace('<spiffworkflow:property name="fourEyes" value="draft" />', ""))
    start = source.index('<bpmn:userTask id="draft"')
    source = source[:start] + source[source.index("</bpmn:userTask>", start) + len("</bpmn:userTask>"):]
    _deploy(db, source)
    (check,) = migration.migrate_instances(db, "mini_round", 2, "admin").rounds
    assert check.reasons == ["Die offene Aufgabe 'Entwurf schreiben' (draft) gibt es in Version 2 nicht mehr."]
    assert not check.moved and _version(db, instance_id) == 1


def test_a_form_that_gained_a_required_field_needs_a_default(mini_db: Database) -> None:
    db = mini_db
    instance_id = _round_at_draft(db)
    (draft,) = ready_rows(db, instance_id)
    engine.complete_task(db, draft.id, {"text": "Entwurf"}, "sachbearbeitung")
    form = json.loads((FIXTURES / "mini" / DRAFT_FORM).read_text())
    form["properties"]["kurzfassung"] = {"type": "string", "title": "Kurzfassung"}
    form["required"].append("kurzfassung")
    _deploy(db, draft_form=form)
    (refused,) = migration.plan_migration(db, "mini_round", 2, "admin").rounds
    assert not refused.movable and "Pflichtfeld „Kurzfassung“" in refused.reasons[0]
    assert "mini_draft.kurzfassung=WERT" in refused.reasons[0]
    defaults = migration.parse_defaults(["mini_draft.kurzfassung=keine"])
    (moved,) = migration.migrate_instances(db, "mini_round", 2, "admin", defaults=defaults).rounds
    assert moved.moved and _version(db, instance_id) == 2
    (release,) = ready_rows(db, instance_id)  # the round goes on on the new version
    engine.complete_task(db, release.id, {"freigabe": "ja"}, "dezernat")
    with db.read() as session:
        assert session.scalar(select(func.count()).select_from(Event).where(
            Event.instance_id == instance_id, Event.kind == "instance_migrated")) == 1


def test_only_administration_moves_rounds(mini_db: Database) -> None:
    db = mini_db
    _round_at_draft(db)
    _deploy(db, _with_check_step())
    with pytest.raises(Forbidden):
        migration.plan_migration(db, "mini_round", 2, "sachbearbeitung")


def test_the_cli_dry_run_and_apply(mini_db: Database, monkeypatch: pytest.MonkeyPatch) -> None:
    db = mini_db
    instance_id = _round_at_draft(db)
    _deploy(db, _with_check_step())
    monkeypatch.setenv("DATABASE_URL", db.url)
    runner = CliRunner()
    dry = runner.invoke(main, ["instances", "migrate", "mini_round", "--to", "2", "--dry-run", "--user", "admin"])
    assert dry.exit_code == 0, dry.output
    assert f"Vorgang {instance_id}" in dry.output and "kann verschoben werden" in dry.output
    assert _version(db, instance_id) == 1
    bad = runner.invoke(main, ["instances", "migrate", "mini_round", "--to", "2", "--map", "draft", "--user", "admin"])
    assert bad.exit_code == 1 and "ALT=NEU" in bad.output and "Traceback" not in bad.output
    applied = runner.invoke(main, ["instances", "migrate", "mini_round", "--to", "2", "--user", "admin"])
    assert applied.exit_code == 0 and "verschoben" in applied.output
    assert _version(db, instance_id) == 2


def test_a_round_moves_together_with_its_child_instances(db: Database) -> None:
    from tests.conftest import deploy_dir
    from tests.engine.test_children import answer, children_of, rows_of, start

    deploy_dir(db, FIXTURES / "children")
    round_id = start(db)
    first, *others = children_of(db, round_id)
    answer(db, first)  # one Gemeinde answered on version 1; two are still asked
    source = (FIXTURES / "children" / "bpmn" / "kind.bpmn").read_text()
    renamed = source.replace('"antworten"', '"rueckmelden"').replace(">antworten<", ">rueckmelden<")
    bundle = definitions.Bundle.from_directory(FIXTURES / "children").with_file("bpmn/kind.bpmn", renamed.encode())
    with db.write() as session:
        definitions.deploy(session, bundle, "admin")
    (refused,) = migration.plan_migration(db, "eltern_runde", 2, "admin").rounds
    assert not refused.movable and len(refused.reasons) == 2
    assert all(r.startswith("Teilvorgang „Runde – Abfrage") and "(antworten)" in r for r in refused.reasons)

    mapping = {"antworten": "rueckmelden"}
    (moved,) = migration.migrate_instances(db, "eltern_runde", 2, "admin", mapping).rounds
    assert moved.moved and _version(db, round_id) == 2
    assert {_version(db, kid.id) for kid in others} == {2}
    assert [rows_of(db, kid.id)[0].element_id for kid in others] == ["rueckmelden", "rueckmelden"]
    migration.migrate_back(db, round_id, "admin")
    assert {_version(db, i) for i in (round_id, *(k.id for k in others))} == {1}
    assert [rows_of(db, kid.id)[0].element_id for kid in others] == ["antworten", "antworten"]

    migration.migrate_instances(db, "eltern_runde", 2, "admin", mapping)
    for kid in others:
        answer(db, kid)
    (closing,) = rows_of(db, round_id)
    assert closing.element_id == "abschluss"  # the children handed back on the new version
    with pytest.raises(Conflict):
        migration.migrate_back(db, round_id, "admin")
