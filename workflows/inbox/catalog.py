"""What a client asks before it acts: deployed processes, scheduled timers, the schemas of messages."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import forms
from workflows.engine.definitions import start_lane, start_schema
from workflows.engine.runtime import caught_messages
from workflows.engine.spiff import specs_from_json
from workflows.errors import NotFound
from workflows.identity import authz
from workflows.inbox.tasks import visible_task
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance, utcnow


@dataclass
class ProcessVersion:
    key: str
    name: str
    version: int
    latest: bool
    start_role: str | None
    may_start: bool
    deployed_at: datetime


def list_processes(db: Database, actor_name: str) -> list[ProcessVersion]:
    """Every deployed version, newest first per key; only the latest can be started."""
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        rows = session.scalars(select(ProcessDefinition)
                               .order_by(ProcessDefinition.key, ProcessDefinition.version.desc())).all()
        latest: dict[str, int] = {}
        result = []
        for d in rows:
            is_latest = latest.setdefault(d.key, d.version) == d.version
            role = start_lane(d)
            result.append(ProcessVersion(d.key, d.name, d.version, is_latest, role,
                                         is_latest and authz.has_role(actor, role), d.deployed_at))
        return result


@dataclass
class TimerInfo:
    instance_id: int
    business_key: str
    due_at: datetime
    due: bool


def list_timers(db: Database, actor_name: str, now: datetime | None = None) -> list[TimerInfo]:
    """The next timer of every running round the actor may see, soonest first; `due` once its time has come."""
    moment = now or utcnow()
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        rows = session.execute(
            select(ProcessInstance.id, ProcessInstance.business_key, ProcessInstance.next_timer_at)
            .where(ProcessInstance.status == "running", ProcessInstance.next_timer_at.is_not(None),
                   authz.visible_instances_clause(actor))
            .order_by(ProcessInstance.next_timer_at, ProcessInstance.id)).all()
        return [TimerInfo(i, key, at, at <= moment) for i, key, at in rows if at is not None]


def check_may_fire_timers(db: Database, actor_name: str) -> None:
    """Firing timers by hand (instead of waiting for the ticker) is for Administration."""
    with db.read() as session:
        authz.check_may_administer(authz.load_actor(session, actor_name), "Das Auslösen fälliger Timer")


@dataclass(frozen=True)
class MessageContract:
    """A message the latest version of a process waits for: its payload's schema and who may record it."""

    process: str
    version: int
    name: str
    roles: tuple[str, ...]
    schema: dict[str, Any]


def process_keys(db: Database) -> list[str]:
    """The keys of the deployed processes (what `startInstance` accepts as `process`)."""
    with db.read() as session:
        return list(session.scalars(select(ProcessDefinition.key).distinct().order_by(ProcessDefinition.key)))


#: per deployed content (key, version, content hash), not per row id: a process may serve several databases
#: (tests do), whose rows share ids; a deployed version never changes
DefinitionKey = tuple[str, int, str]
_CONTRACTS: dict[DefinitionKey, list[MessageContract]] = {}


def _latest_definitions(session: Session) -> list[ProcessDefinition]:
    """The latest version of every process."""
    latest: dict[str, ProcessDefinition] = {}
    for d in session.scalars(select(ProcessDefinition).order_by(ProcessDefinition.key,
                                                                ProcessDefinition.version.desc())):
        latest.setdefault(d.key, d)
    return list(latest.values())


def _cached(cache: dict[DefinitionKey, list[Any]], d: ProcessDefinition,
            make: Callable[[ProcessDefinition], list[Any]]) -> list[Any]:
    key = (d.key, d.version, d.content_hash)
    if key not in cache:
        cache[key] = make(d)
    return cache[key]


def _message_contracts(d: ProcessDefinition) -> list[MessageContract]:
    return [MessageContract(d.key, d.version, name, tuple(sorted(lane for lane in lanes if lane)),
                            dict(d.message_schemas[name]))
            for name, lanes in sorted(caught_messages(d).items()) if name in d.message_schemas]


def message_contracts(db: Database) -> list[MessageContract]:
    """The messages of the latest version of every process (the published contract, the same for everyone)."""
    with db.read() as session:
        return [c for d in _latest_definitions(session) for c in _cached(_CONTRACTS, d, _message_contracts)]


@dataclass(frozen=True)
class StartContract:
    """The start data the latest version of a process takes: the form its start event names."""

    process: str
    version: int
    schema: dict[str, Any]


def start_contracts(db: Database) -> list[StartContract]:
    """The start data schema of the latest version of every process that has one, with today's choices
    (`x-enumSource`: e.g. the Landkreise imported now); the server checks start data against the same schema."""
    with db.read() as session:
        return [StartContract(d.key, d.version, schema) for d in _latest_definitions(session)
                if (schema := start_schema(session, d)) is not None]


@dataclass(frozen=True)
class FormContract:
    """A user task of the latest version of a process: its form and the rules only the server checks there."""

    process: str
    version: int
    element_id: str
    name: str
    role: str | None
    form_key: str
    title: str
    computed: bool  # the task's `formSchema` adds rules from the round's data to the served schema
    server_rules: tuple[dict[str, str], ...]
    form: dict[str, Any]


_FORMS: dict[DefinitionKey, list[FormContract]] = {}  # as `_CONTRACTS`


def _form_contracts(d: ProcessDefinition) -> list[FormContract]:
    spec, subprocess_specs = specs_from_json(d.spec_json)
    found: dict[str, FormContract] = {}
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            props = (getattr(task_spec, "extensions", None) or {}).get("properties", {})
            key = props.get("formKey")
            if not getattr(task_spec, "manual", False) or key not in d.forms:
                continue
            form = d.forms[key]
            found.setdefault(task_spec.bpmn_id, FormContract(
                d.key, d.version, task_spec.bpmn_id, task_spec.bpmn_name or task_spec.bpmn_id,
                getattr(task_spec, "lane", None), key, str(form.get("title") or key), "formSchema" in props,
                tuple(forms.server_rules(form)), dict(form)))
    return [found[k] for k in sorted(found)]


def form_contracts(db: Database) -> list[FormContract]:
    """The user tasks of the latest version of every process, with their forms' server-only rules (what the
    OpenAPI document lists beside `completeTask`; each task's served schema says the same)."""
    with db.read() as session:
        return [c for d in _latest_definitions(session) for c in _cached(_FORMS, d, _form_contracts)]


def message_schema(db: Database, instance_id: int, name: str, actor_name: str) -> dict[str, Any]:
    """The JSON Schema of a message of a round's process version, for a round the actor may see."""
    with db.read() as session:
        inst = authz.visible_instance(session, instance_id, authz.load_actor(session, actor_name))
        schema = inst.definition.message_schemas.get(name)
        if schema is None:
            raise NotFound(f"Der Prozess dieses Vorgangs kennt keine Nachricht '{name}'.")
        return dict(schema)


def revision(db: Database, actor_name: str, *, instance_id: int | None = None,
             task_id: int | None = None) -> int | None:
    """The current version of a round (or of a task's round) the actor may see, for `If-Match`.

    None for a Gemeinde: the count of steps would tell how many others have answered.
    """
    with db.read() as session:
        actor = authz.load_actor(session, actor_name)
        if task_id is not None:
            instance = visible_task(session, task_id, actor)[1]
        else:
            assert instance_id is not None
            instance = authz.visible_instance(session, instance_id, actor)
        return None if authz.is_gemeinde_only(actor) else instance.version
