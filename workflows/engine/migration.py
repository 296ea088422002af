"""Moving running rounds to another version of their process (Camunda's instance migration).

A round lasts two years; its process changes meanwhile. `plan_migration` is the dry run: for every
running round of a process it says whether it can move to the target version and what changes.
A round can move when each of its open tasks and waiting events exists in the target version (same
element id, or an explicit mapping `old id -> new id`; SpiffWorkflow's structural guesses are never
taken silently) and its data satisfies the target version's forms (a required field that a form
gained needs a default). `migrate_instances` moves each movable round in its own transaction with an
audit event; `migrate_back` restores a moved round while nothing has happened in it since.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from uuid import uuid4

from SpiffWorkflow.bpmn import BpmnWorkflow
from SpiffWorkflow.bpmn.util.diff import SpecDiff, WorkflowDiff, migrate_workflow
from SpiffWorkflow.util.task import TaskState
from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from workflows import audit
from workflows.engine import access, spiff, taskindex
from workflows.engine.runtime import StepResult, load_workflow, save_step, write_step
from workflows.errors import Conflict, FieldError, NotFound, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import InstanceMigration, ProcessDefinition, ProcessInstance, TaskRow

#: (form key, field) -> value written into a moved round's data where the target form requires it
Defaults = Mapping[tuple[str, str], Any]


@dataclass
class RoundCheck:
    """One running round in a migration: can it move, why not, what changes."""

    instance_id: int
    business_key: str
    from_version: int
    reasons: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)
    moved: bool = False

    @property
    def movable(self) -> bool:
        return not self.reasons


@dataclass
class MigrationPlan:
    key: str
    to_version: int
    rounds: list[RoundCheck]


@dataclass
class _Prepared:
    check: RoundCheck
    workflow: BpmnWorkflow
    diffs: list[tuple[WorkflowDiff, Any, Any]]  # (diff, (sub)workflow, new spec)


#: SpiffWorkflow's attribute names of a task spec, as a process author says them
ATTRIBUTE_NAMES = {"outputs": "Nachfolger", "inputs": "Vorgänger", "extensions": "Eigenschaften",
                   "bpmn_name": "Name", "lane": "Lane", "data_input_associations": "Dateneingänge",
                   "data_output_associations": "Datenausgänge", "script": "Skript", "prescript": "Vorskript",
                   "postscript": "Nachskript", "event_definition": "Ereignis", "cond_task_specs": "Bedingungen",
                   "documentation": "Beschreibung", "typename": "Art des Elements"}


def _name(spec: Any) -> str:
    return f"'{spec.bpmn_name or spec.bpmn_id}' ({spec.bpmn_id})"


def _target(session: Session, key: str, version: int) -> ProcessDefinition:
    target = session.scalars(select(ProcessDefinition).where(ProcessDefinition.key == key,
                                                             ProcessDefinition.version == version)).first()
    if target is None:
        raise NotFound(f"Prozess '{key}' hat keine Version {version}.")
    return target


def _open_tasks(workflow: BpmnWorkflow) -> list[Any]:
    return [t for t in workflow.get_tasks(state=TaskState.READY | TaskState.WAITING)
            if getattr(t.task_spec, "bpmn_id", None)]


def _mapped_name(name: str, mapping: Mapping[str, str]) -> str | None:
    """The new spec name for an old one under the mapping; SpiffWorkflow's helper specs of an element
    (`antworten.BoundaryEventParent`) follow their element."""
    if name in mapping:
        return mapping[name]
    element, dot, helper = name.partition(".")
    return f"{mapping[element]}.{helper}" if dot and element in mapping else None


def _align(check: RoundCheck, workflow: Any, new_spec: Any, mapping: Mapping[str, str], to_version: int,
           registry: Any) -> WorkflowDiff:
    """Align every task of the (sub)workflow with the new spec; refuse guesses, removals and bad mappings.

    Every task needs a spec in the new version, done ones too: the state names each task's spec, and
    a state naming a spec the version lacks could not be loaded again.
    """
    spec_diff = SpecDiff(registry, workflow.spec, new_spec)
    diff = WorkflowDiff(workflow, spec_diff)
    open_tasks = set(_open_tasks(workflow))
    refused_elements = {t.task_spec.name for t in open_tasks if diff.alignment.get(t) is None
                        or diff.alignment[t].name != t.task_spec.name} - set(mapping)
    for task in workflow.get_tasks(skip_subprocesses=True):
        old = task.task_spec
        target_name = _mapped_name(old.name, mapping)
        if target_name is not None:
            mapped = new_spec.task_specs.get(target_name)
            if mapped is None:
                check.reasons.append(f"Die Zuordnung {old.name} → {target_name} nennt ein Element, das es "
                                     f"in Version {to_version} nicht gibt.")
                continue
            diff.alignment[task] = mapped
            if task in open_tasks and old.name in mapping:
                check.changes.append(f"Die offene Aufgabe {_name(old)} wird zu {_name(mapped)}.")
            continue
        aligned = diff.alignment.get(task)
        if task in open_tasks:
            if aligned is None:
                check.reasons.append(f"Die offene Aufgabe {_name(old)} gibt es in Version {to_version} nicht mehr.")
            elif aligned.name != old.name:
                check.reasons.append(f"Die offene Aufgabe {_name(old)} heißt in Version {to_version} vermutlich "
                                     f"{_name(aligned)}: bitte die Zuordnung {old.name}={aligned.name} angeben.")
            elif old in spec_diff.changed:
                what = sorted({ATTRIBUTE_NAMES.get(a, a) for a in spec_diff.changed[old]})
                check.changes.append(f"Die offene Aufgabe {_name(old)} ist geändert ({', '.join(what)}).")
        elif (aligned is None or aligned.name != old.name) and old.name.partition(".")[0] not in refused_elements:
            element = old.name.partition(".")[0]
            shown = _name(old) if getattr(old, "bpmn_id", None) else f"'{element}'"
            reason = (f"Der Schritt {shown} dieses Vorgangs fehlt in Version {to_version}"
                      + (f" (vermutlich umbenannt: Zuordnung {element}=... angeben)." if aligned is not None else "."))
            if reason not in check.reasons:
                check.reasons.append(reason)
    added = [s for s in spec_diff.added if getattr(s, "bpmn_id", None) and s.name not in mapping.values()]
    if added:
        check.changes.append(f"Neu in Version {to_version}: " + ", ".join(_name(s) for s in added) + ".")
    return diff


def _check_data(session: Session, check: RoundCheck, instance: ProcessInstance, target: ProcessDefinition,
                mapping: Mapping[str, str], defaults: Defaults) -> dict[str, Any]:
    """Required fields the target's forms gained that the round's submissions lack; returns the defaults to set."""
    completed = session.scalars(select(TaskRow).where(TaskRow.instance_id == instance.id,
                                                      TaskRow.status == "completed")).all()
    spec, subprocess_specs = spiff.specs_from_json(target.spec_json)
    form_of = {s.bpmn_id: (getattr(s, "extensions", None) or {}).get("properties", {}).get("formKey")
               for process in [spec, *subprocess_specs.values()] for s in process.task_specs.values()
               if getattr(s, "bpmn_id", None)}
    to_set: dict[str, Any] = {}
    for row in completed:
        form_key = form_of.get(mapping.get(row.element_id, row.element_id)) or ""
        schema = target.forms.get(form_key, {})
        for name in schema.get("required", []):
            if name in (row.data or {}) or name in to_set:
                continue
            label = schema.get("properties", {}).get(name, {}).get("title", name)
            if (form_key, name) in defaults:
                to_set[name] = defaults[(form_key, name)]
                check.changes.append(f"Das Feld „{label}“ ({form_key}.{name}) wird mit dem Vorgabewert "
                                     f"{defaults[(form_key, name)]!r} ergänzt.")
            else:
                check.reasons.append(f"Das Formular „{schema.get('title', form_key)}“ verlangt in Version "
                                     f"{target.version} das Pflichtfeld „{label}“, das in den Daten dieses Vorgangs "
                                     f"fehlt: bitte einen Vorgabewert angeben ({form_key}.{name}=WERT).")
    return to_set


def _prepare(session: Session, instance: ProcessInstance, target: ProcessDefinition, mapping: Mapping[str, str],
             defaults: Defaults) -> tuple[_Prepared, dict[str, Any]]:
    check = RoundCheck(instance.id, instance.business_key, instance.definition.version)
    workflow = load_workflow(instance)
    new_spec, new_subprocess_specs = spiff.process_specs(target.spec_json, instance.process_key)
    registry = spiff.SERIALIZER.registry
    diffs = [(_align(check, workflow, new_spec, mapping, target.version, registry), workflow, new_spec)]
    for sub in workflow.subprocesses.values():
        new_sub = new_subprocess_specs.get(sub.spec.name)
        if new_sub is None:
            if _open_tasks(sub):
                check.reasons.append(f"Der Teilprozess '{sub.spec.name}' mit offenen Aufgaben fehlt in Version "
                                     f"{target.version}.")
            continue
        diffs.append((_align(check, sub, new_sub, mapping, target.version, registry), sub, new_sub))
    to_set = _check_data(session, check, instance, target, mapping, defaults)
    return _Prepared(check, workflow, diffs), to_set


def _parts(session: Session, instance: ProcessInstance) -> list[ProcessInstance]:
    """The running child instances of a round (each Gemeinde's Abfrage, each posting): they move with it."""
    return list(session.scalars(select(ProcessInstance).where(
        ProcessInstance.root_id == instance.id, ProcessInstance.status == "running").order_by(ProcessInstance.id)))


def _prepare_round(session: Session, instance: ProcessInstance, target: ProcessDefinition,
                   mapping: Mapping[str, str], defaults: Defaults) -> list[tuple[ProcessInstance, _Prepared,
                                                                                     dict[str, Any]]]:
    """The round and its running parts, each prepared; the parts' reasons and changes go to the round's check."""
    prepared = [(instance, *_prepare(session, instance, target, mapping, defaults))]
    check = prepared[0][1].check
    for part in _parts(session, instance):
        part_prepared, to_set = _prepare(session, part, target, mapping, defaults)
        check.reasons += [f"Teilvorgang „{part.business_key}“: {r}" for r in part_prepared.check.reasons]
        check.changes += [c for c in part_prepared.check.changes if c not in check.changes]
        prepared.append((part, part_prepared, to_set))
    return prepared


def _running(session: Session, key: str, target: ProcessDefinition,
             instance_ids: list[int] | None) -> list[ProcessInstance]:
    query = (select(ProcessInstance).join(ProcessDefinition)
             .where(ProcessDefinition.key == key, ProcessInstance.status == "running",
                    ProcessInstance.parent_id.is_(None), ProcessInstance.definition_id != target.id)
             .order_by(ProcessInstance.id))
    if instance_ids is not None:
        query = query.where(ProcessInstance.id.in_(instance_ids))
    return list(session.scalars(query))


def plan_migration(db: Database, key: str, to_version: int, actor_name: str,
                   mapping: Mapping[str, str] | None = None, defaults: Defaults | None = None) -> MigrationPlan:
    """The dry run: every running round of `key`, whether it can move to `to_version`, and what changes."""
    with db.read() as session:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Das Verschieben von Vorgängen")
        target = _target(session, key, to_version)
        rounds = [_prepare_round(session, i, target, mapping or {}, defaults or {})[0][1].check
                  for i in _running(session, key, target, None)]
        return MigrationPlan(key, to_version, rounds)


def migrate_instances(db: Database, key: str, to_version: int, actor_name: str,
                      mapping: Mapping[str, str] | None = None, defaults: Defaults | None = None,
                      instance_ids: list[int] | None = None) -> MigrationPlan:
    """Move every movable running round (of `instance_ids`, if given), each in its own transaction."""
    plan = plan_migration(db, key, to_version, actor_name, mapping, defaults)
    for check in plan.rounds:
        if instance_ids is not None and check.instance_id not in instance_ids:
            continue
        if check.movable:
            _move(db, check, key, to_version, actor_name, mapping or {}, defaults or {})
    return plan


def _move(db: Database, check: RoundCheck, key: str, to_version: int, actor_name: str,
          mapping: Mapping[str, str], defaults: Defaults) -> None:

    def work(session: Session) -> StepResult:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Das Verschieben von Vorgängen")
        target = _target(session, key, to_version)
        found = _running(session, key, target, [check.instance_id])
        if not found:
            raise Conflict(f"Vorgang {check.instance_id} läuft nicht mehr auf einer anderen Version.")
        instance = found[0]
        before = instance.definition
        family = _prepare_round(session, instance, target, mapping, defaults)
        if not family[0][1].check.movable:
            raise Conflict(" ".join(family[0][1].check.reasons))
        batch = str(uuid4())
        for member, prepared, to_set in reversed(family):  # the parts first: the round's save sees them moved
            state_before = member.state
            for diff, workflow, new_spec in prepared.diffs:
                migrate_workflow(diff, workflow, new_spec, reset_mask=TaskState.READY)
            prepared.workflow.subprocess_specs = spiff.process_specs(target.spec_json, member.process_key)[1]
            for task in _open_tasks(prepared.workflow):
                for name, value in to_set.items():
                    task.data.setdefault(name, value)
            member.definition_id, member.definition = target.id, target
            session.flush()
            save_step(session, member, prepared.workflow, actor.username)
            taskindex.refresh(session, member.id, prepared.workflow)
            session.add(InstanceMigration(instance_id=member.id, batch=batch, definition_before=before.id,
                                          definition_after=target.id, state_before=state_before,
                                          version_after=member.version, created_by=actor.username))
        audit.record(session, "instance_migrated", actor.username, instance.id,
                     {"from_version": before.version, "to_version": target.version, "mapping": dict(mapping),
                      "defaults": {f"{f}.{n}": v for (f, n), v in defaults.items()}})
        return StepResult(instance.id, instance.status, [])

    write_step(db, work)
    check.moved = True


def _last_batch(session: Session, instance: ProcessInstance) -> list[InstanceMigration]:
    """The rows of the round's last move (the round's own and its parts'), if it was not moved back."""
    last = session.scalars(select(InstanceMigration).where(InstanceMigration.instance_id == instance.id)
                           .order_by(InstanceMigration.id.desc()).limit(1)).first()
    if last is None or last.moved_back:
        return []
    return list(session.scalars(select(InstanceMigration).where(InstanceMigration.batch == last.batch)
                                .order_by(InstanceMigration.id)))


def can_move_back(session: Session, instance: ProcessInstance) -> bool:
    """Whether the round's last move can be undone: nothing has happened in the round or its parts since."""
    batch = _last_batch(session, instance)
    return bool(batch) and all(
        session.get(ProcessInstance, row.instance_id).version == row.version_after  # type: ignore[union-attr]
        for row in batch)


@dataclass
class Move:
    """A round's last move, for the administration page."""

    instance_id: int
    business_key: str
    from_version: int
    to_version: int
    moved_at: datetime
    moved_by: str | None
    may_move_back: bool


def recent_moves(db: Database, key: str, actor_name: str, limit: int = 50) -> list[Move]:
    """The last moves of rounds of `key`, newest first, with whether each may still move back."""
    with db.read() as session:
        access.policy().check_may_administer(access.policy().load_actor(session, actor_name),
                                             "Das Verschieben von Vorgängen")
        before, after = aliased(ProcessDefinition), aliased(ProcessDefinition)
        rows = session.execute(
            select(InstanceMigration, ProcessInstance, before.version, after.version)
            .join(ProcessInstance, ProcessInstance.id == InstanceMigration.instance_id)
            .join(before, before.id == InstanceMigration.definition_before)
            .join(after, after.id == InstanceMigration.definition_after)
            .where(after.key == key, InstanceMigration.moved_back.is_(False), ProcessInstance.parent_id.is_(None))
            .order_by(InstanceMigration.id.desc()).limit(limit)).all()
        return [Move(m.instance_id, i.business_key, v_before, v_after, m.created_at, m.created_by,
                     _last_batch(session, i)[:1] == [m] and can_move_back(session, i))
                for m, i, v_before, v_after in rows]


def migrate_back(db: Database, instance_id: int, actor_name: str) -> StepResult:
    """Restore a moved round (and its parts) to the previous version, while nothing has happened since."""

    def work(session: Session) -> StepResult:
        actor = access.policy().load_actor(session, actor_name)
        access.policy().check_may_administer(actor, "Das Verschieben von Vorgängen")
        instance = session.get(ProcessInstance, instance_id)
        if instance is None or instance.parent_id is not None:
            raise NotFound(f"Vorgang {instance_id} nicht gefunden.")
        if not can_move_back(session, instance):
            raise Conflict("Der Vorgang kann nicht zurückverschoben werden: er wurde nicht verschoben, oder seit dem "
                           "Verschieben ist in ihm etwas geschehen.")
        after_version = instance.definition.version
        before_version = 0
        for row in reversed(_last_batch(session, instance)):  # the parts first, the round last
            member = session.get(ProcessInstance, row.instance_id)
            before = session.get(ProcessDefinition, row.definition_before)
            assert member is not None and before is not None
            workflow = spiff.load_state(row.state_before, spiff.process_specs(before.spec_json, member.process_key))
            member.definition_id, member.definition = before.id, before
            session.flush()
            save_step(session, member, workflow, actor.username)
            taskindex.refresh(session, member.id, workflow)
            row.moved_back, before_version = True, before.version
        audit.record(session, "instance_migrated_back", actor.username, instance.id,
                     {"from_version": after_version, "to_version": before_version})
        return StepResult(instance.id, instance.status, [])

    return write_step(db, work)


def parse_mapping(pairs: list[str]) -> dict[str, str]:
    """`OLD=NEW` pairs (CLI, admin form) as a mapping; German errors for malformed ones."""
    mapping: dict[str, str] = {}
    for pair in pairs:
        old, separator, new = pair.partition("=")
        if not separator or not old.strip() or not new.strip():
            raise ValidationFailed([FieldError("/mapping", f"Zuordnung '{pair}' ist nicht ALT=NEU.")])
        mapping[old.strip()] = new.strip()
    return mapping


def parse_defaults(pairs: list[str]) -> dict[tuple[str, str], Any]:
    """`FORM.FIELD=VALUE` pairs; the value is JSON where it parses as JSON, else text."""
    defaults: dict[tuple[str, str], Any] = {}
    for pair in pairs:
        target, separator, raw = pair.partition("=")
        form_key, dot, name = target.strip().rpartition(".")
        if not separator or not dot or not form_key or not name:
            raise ValidationFailed([FieldError("/defaults", f"Vorgabe '{pair}' ist nicht FORMULAR.FELD=WERT.")])
        try:
            defaults[(form_key, name)] = json.loads(raw)
        except json.JSONDecodeError:
            defaults[(form_key, name)] = raw
    return defaults
