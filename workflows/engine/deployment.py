"""Deployments from the admin area: what is deployed, and uploading one more file.

An upload is checked together with everything currently deployed (the latest version of every
process: its BPMN/DMN sources, forms and message schemas, rebuilt into a `Bundle`), so a file
that breaks any process is refused with the reasons and nothing is stored.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.engine import access, definitions
from workflows.errors import FieldError, NotFound, ValidationFailed
from workflows.storage.db import Database
from workflows.storage.models import ProcessDefinition, ProcessInstance

_SAFE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,120}$")


@dataclass
class DefinitionVersion:
    key: str
    version: int
    name: str
    content_hash: str
    deployed_at: datetime
    deployed_by: str | None
    files: list[str]
    forms: list[str]
    instances: int


def _require_admin(session: Session, actor_name: str) -> access.Actor:
    actor = access.policy().load_actor(session, actor_name)
    access.policy().check_may_administer(actor, "Die Verwaltung der Prozessdefinitionen")
    return actor


def list_definitions(db: Database, actor_name: str, key: str | None = None) -> list[DefinitionVersion]:
    """Every stored version (of one key, if given), newest first, with its instance count."""
    with db.read() as session:
        _require_admin(session, actor_name)
        counts = dict(session.execute(select(ProcessInstance.definition_id, func.count())
                                      .group_by(ProcessInstance.definition_id)).all())
        query = select(ProcessDefinition).order_by(ProcessDefinition.key, ProcessDefinition.version.desc())
        if key is not None:
            query = query.where(ProcessDefinition.key == key)
        rows = session.scalars(query).all()
        if key is not None and not rows:
            raise NotFound(f"Unbekannter Prozess '{key}'.")
        return [DefinitionVersion(d.key, d.version, d.name, d.content_hash, d.deployed_at, d.deployed_by,
                                  sorted(d.sources), sorted(d.forms), counts.get(d.id, 0)) for d in rows]


def current_bundle(session: Session) -> definitions.Bundle:
    """The files of the latest version of every deployed process, as one bundle."""
    latest = select(ProcessDefinition.key, func.max(ProcessDefinition.version).label("v")) \
        .group_by(ProcessDefinition.key).subquery()
    files: dict[str, bytes] = {}
    for d in session.scalars(select(ProcessDefinition).join(
            latest, (ProcessDefinition.key == latest.c.key) & (ProcessDefinition.version == latest.c.v))):
        for name, text in d.sources.items():
            files[name] = text.encode("utf-8")
        for form_key, schema in d.forms.items():
            files[f"forms/{form_key}.schema.json"] = json.dumps(schema, ensure_ascii=False, indent=2).encode()
        for message, schema in d.message_schemas.items():
            files[f"forms/messages/{message}.schema.json"] = json.dumps(schema, ensure_ascii=False).encode()
    return definitions.Bundle(files)


def bundle_name(filename: str, message_schema: bool = False) -> str:
    """Where an uploaded file goes in the bundle: `bpmn/x.bpmn`, `forms/y.schema.json`, ..."""
    base = (filename or "").replace("\\", "/").rsplit("/", 1)[-1].strip()
    if not _SAFE_NAME.match(base):
        raise ValidationFailed([FieldError("/file", "Der Dateiname darf nur Buchstaben, Ziffern, '.', '_' und '-' "
                                                    "enthalten.")])
    if base.endswith((".bpmn", ".dmn")):
        return f"bpmn/{base}"
    if base.endswith(".schema.json"):
        return f"forms/messages/{base}" if message_schema else f"forms/{base}"
    raise ValidationFailed([FieldError("/file", "Erlaubt sind .bpmn-, .dmn- und .schema.json-Dateien.")])


def deploy_upload(db: Database, actor_name: str, uploads: list[tuple[str, bytes]],
                  message_schema: bool = False) -> list[definitions.DeployOutcome]:
    """Deploy the current bundle with these files added or replaced; `InvalidDefinition` stores nothing.

    Several files can go together (a new BPMN with its forms): a form no process uses is not kept.
    """
    if not uploads:
        raise ValidationFailed([FieldError("/file", "Bitte eine Datei auswählen.")])
    named = []
    for filename, content in uploads:
        name = bundle_name(filename, message_schema)
        if not content:
            raise ValidationFailed([FieldError("/file", f"Die Datei '{filename}' ist leer.")])
        if len(content) > definitions.MAX_FILE_BYTES:
            raise ValidationFailed([FieldError("/file", f"Die Datei '{filename}' ist größer als 2 MB.")])
        named.append((name, content))
    with db.write() as session:
        actor = _require_admin(session, actor_name)
        bundle = current_bundle(session)
        for name, content in named:
            bundle = bundle.with_file(name, content)
        return definitions.deploy(session, bundle, actor.username)


def latest_sources(db: Database, actor_name: str, key: str) -> dict[str, str]:
    """The BPMN/DMN sources of a process's latest version (for showing its diagram)."""
    with db.read() as session:
        _require_admin(session, actor_name)
        return dict(definitions.latest_definition(session, key).sources)
