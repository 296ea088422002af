"""Process definitions: read `bpmn/` + `forms/`, validate everything, store versions.

A bundle is refused as a whole with every problem found (file, line or element id, what is
wrong) and nothing is stored. A process key gets a new version only when a file it depends on
changed; running instances keep the version they started on.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs import BpmnProcessSpec
from SpiffWorkflow.bpmn.specs.mixins.subworkflow_task import SubWorkflowTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows import audit, settings
from workflows.engine import context, deploy_messages, forms, scripting, spiff_children
from workflows.engine.spiff import specs_from_json, specs_to_json
from workflows.engine.xmlsafety import UnsafeXml, parse_xml
from workflows.errors import DefinitionProblem, InvalidDefinition, NotFound
from workflows.storage.models import ProcessDefinition

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
#: user task properties whose values are sandboxed expressions
EXPRESSION_PROPERTIES = ("title", "assigneeGemeinde", "assigneeUser", "dueDate", "validation", "prefill",
                         "formSchema")
MAX_FILE_BYTES = 2 * 1024 * 1024


@dataclass
class Bundle:
    """The files of one deployment, by name: `bpmn/x.bpmn`, `forms/y.schema.json`, ..."""

    files: dict[str, bytes] = field(default_factory=dict)

    @classmethod
    def from_directory(cls, root: Path) -> Bundle:
        bpmn_dir, forms_dir = root / "bpmn", root / "forms"
        if not bpmn_dir.is_dir():
            raise InvalidDefinition([DefinitionProblem(str(root), "Ordner 'bpmn/' nicht gefunden.")])
        files: dict[str, bytes] = {}
        for path in sorted(bpmn_dir.rglob("*")):
            if path.suffix in (".bpmn", ".dmn") and path.is_file():
                files[f"bpmn/{path.relative_to(bpmn_dir).as_posix()}"] = path.read_bytes()
        if forms_dir.is_dir():
            for path in sorted(forms_dir.rglob("*.schema.json")):
                files[f"forms/{path.relative_to(forms_dir).as_posix()}"] = path.read_bytes()
        return cls(files)

    def with_file(self, name: str, content: bytes) -> Bundle:
        """A copy with one file added or replaced (an upload in the admin area)."""
        return Bundle({**self.files, name: content})


@dataclass
class CompiledProcess:
    key: str
    name: str
    content_hash: str
    sources: dict[str, str]
    forms: dict[str, Any]
    message_schemas: dict[str, Any]
    spec_json: str
    notes: list[str] = field(default_factory=list)


@dataclass
class DeployOutcome:
    key: str
    version: int
    created: bool
    notes: list[str] = field(default_factory=list)


def _form_key(name: str) -> str:
    return name.removeprefix("forms/").removesuffix(".schema.json")


def _check_expressions(tree: etree._ElementTree, filename: str, form_keys: set[str],
                       problems: list[DefinitionProblem]) -> set[str]:
    """Compile-check every expression and script; check form references. Returns the forms used."""
    used: set[str] = set()
    referenced = set(tree.xpath("//bpmn:*/@sourceRef|//bpmn:*/@targetRef|//bpmn:*/@attachedToRef"
                                "|//bpmn:*/@default|//bpmn:flowNodeRef/text()", namespaces=NS))
    for node in tree.xpath("//spiffworkflow:*[@id]", namespaces=NS):
        if node.get("id") in referenced:  # SpiffWorkflow would resolve the reference to this element
            problems.append(DefinitionProblem(
                filename, "Ein Dienst-Operator oder Parameter trägt dieselbe id wie ein verbundenes BPMN-Element; "
                "bitte das BPMN-Element umbenennen.", line=node.sourceline, element_id=node.get("id")))

    def check(node: etree._Element, source: str | None, mode: Literal["exec", "eval"], what: str) -> None:
        if not source or not source.strip():
            return
        reason = scripting.check_expression(source.strip(), mode)
        if reason:
            owner: etree._Element | None = node
            while owner is not None and owner.get("id") is None:
                owner = owner.getparent()
            problems.append(DefinitionProblem(
                filename, deploy_messages.sentence(f"{what} abgelehnt: {reason}"), line=node.sourceline,
                element_id=owner.get("id") if owner is not None else None,
                element_name=owner.get("name") if owner is not None else None, detail=source.strip()))

    for node in tree.xpath("//bpmn:conditionExpression", namespaces=NS):
        check(node, node.text, "eval", "Bedingung")
    for node in tree.xpath("//bpmn:timeDate|//bpmn:timeDuration|//bpmn:timeCycle", namespaces=NS):
        check(node, node.text, "eval", "Timer-Ausdruck")
    for node in tree.xpath("//bpmn:scriptTask/bpmn:script|//spiffworkflow:preScript|//spiffworkflow:postScript",
                           namespaces=NS):
        check(node, node.text, "exec", "Skript")
    for node in tree.xpath("//spiffworkflow:parameter", namespaces=NS):
        check(node, node.get("value"), "eval", "Parameter")
    for event in tree.xpath("//bpmn:process/bpmn:startEvent", namespaces=NS):  # the process's start data
        for prop in event.xpath(".//spiffworkflow:property[@name='formKey']", namespaces=NS):
            key = prop.get("value")
            if key not in form_keys:
                problems.append(DefinitionProblem(filename, f"Formular der Startdaten 'forms/{key}.schema.json' "
                                                  "fehlt.", line=event.sourceline, element_id=event.get("id")))
            else:
                used.add(key)
    for task in tree.xpath("//bpmn:userTask|//bpmn:manualTask", namespaces=NS):
        props = {p.get("name"): p for p in task.xpath(".//spiffworkflow:property", namespaces=NS)}
        for name in EXPRESSION_PROPERTIES:
            if name in props:
                check(props[name], props[name].get("value"), "eval", f"Eigenschaft '{name}'")
        if task.tag.endswith("userTask"):
            problems += _context_problems(task, {n: str(p.get("value") or "") for n, p in props.items() if n}, filename)
            key = props["formKey"].get("value") if "formKey" in props else None
            if not key:
                problems.append(DefinitionProblem(filename, "Benutzeraufgabe ohne 'formKey'-Eigenschaft.",
                                                  line=task.sourceline, element_id=task.get("id")))
            elif key not in form_keys:
                problems.append(DefinitionProblem(filename, f"Formular 'forms/{key}.schema.json' fehlt.",
                                                  line=task.sourceline, element_id=task.get("id")))
            else:
                used.add(key)
    return used


def _context_problems(task: etree._Element, props: dict[str, str], filename: str) -> list[DefinitionProblem]:
    """The task's `context` must parse, and its title, prefill, due date and form may read only what it declares."""
    def problem(message: str, detail: str | None) -> DefinitionProblem:
        return DefinitionProblem(filename, message, line=task.sourceline, element_id=task.get("id"),
                                 element_name=task.get("name"), detail=detail)

    try:
        spec = context.parse(props.get("context"))
    except context.ContextSyntaxError as exc:
        return [problem(f"Eigenschaft 'context' abgelehnt: {exc}.", props.get("context"))]
    for name, expression in spec.expressions:
        reason = scripting.check_expression(expression, "eval")
        if reason:
            return [problem(deploy_messages.sentence(f"Eigenschaft 'context' abgelehnt ({name}): {reason}"),
                            expression)]
    inputs = task.xpath("ancestor::bpmn:process[1]/bpmn:ioSpecification/bpmn:dataInput/@id", namespaces=NS)
    labels = {"title": "Der Titel", "prefill": "Die Vorbelegung des Formulars", "dueDate": "Die Frist",
              "formSchema": "Das Formular (formSchema)", "validation": "Die Prüfung des Formulars (validation)"}
    return [
        problem(f"{labels[prop]} liest Daten, die der Kontext der Aufgabe nicht nennt: {', '.join(sorted(names))}. "
                "Bitte in der Eigenschaft 'context' aufführen (siehe docs/bpmn-conventions.md).", props.get(prop))
        for prop, names in context.undeclared(props, inputs).items()
    ]


def _process_roles(tree: etree._ElementTree) -> dict[str, str]:
    """The `defaultRole` property of each process in a file (for its tasks outside lanes)."""
    roles = {}
    for process in tree.xpath("//bpmn:process[@id]", namespaces=NS):
        for prop in process.xpath("./bpmn:extensionElements//spiffworkflow:property[@name='defaultRole']",
                                  namespaces=NS):
            if (prop.get("value") or "").strip():
                roles[process.get("id")] = prop.get("value").strip()
    return roles


def _assign_lanes(spec: BpmnProcessSpec, declared_role: str | None) -> str | None:
    """Give the tasks outside every lane a role, so that no task exists that nobody may complete.

    The rule, in order: the lane of the process's start event; the process's `defaultRole`
    property; the installation's default role (setting `GRANTFLOW_DEFAULT_ROLE`). Tasks inside a
    called or embedded process keep inheriting the lane of the activity that calls them.
    Returns the German note that says which rule applied, or None when every task has a lane.
    """
    outside = [s for s in spec.task_specs.values()
               if hasattr(s, "lane") and s.lane is None and (s.manual or isinstance(s, SubWorkflowTask))]
    if not outside:
        return None
    start_lane = next((s.lane for s in spec.start.outputs if getattr(s, "lane", None)), None)
    role, rule = ((start_lane, "die Lane des Startereignisses") if start_lane else
                  (declared_role, "die Eigenschaft 'defaultRole' des Prozesses") if declared_role else
                  (settings.get().default_role, "die Standardrolle der Installation (GRANTFLOW_DEFAULT_ROLE)"))
    for task_spec in outside:
        task_spec.lane = role
    names = ", ".join(sorted(f"'{s.bpmn_name or s.bpmn_id}'" for s in outside))
    return f"Aufgaben außerhalb von Lanes ({names}) gehören zur Rolle '{role}' ({rule})."


_DMN_INPUT_PLACEHOLDER = re.compile(r"(\?)(?=(?:[^'\"]|['\"][^'\"]*['\"])*$)")  # as SpiffWorkflow's DMN engine


def _check_dmn_expressions(tree: etree._ElementTree, filename: str, problems: list[DefinitionProblem]) -> None:
    """The same sandbox rules for DMN as for BPMN: input expressions, input entries, output entries.

    An input entry is evaluated as SpiffWorkflow does: alone (compared with ==), as `v <entry>`
    (`> 5`), or with `?` standing for the input (`4 < ? < 6`).
    """
    def refuse(node: etree._Element, what: str, reason: str) -> None:
        owner: etree._Element | None = node
        while owner is not None and owner.get("id") is None:
            owner = owner.getparent()
        problems.append(DefinitionProblem(filename, f"{what} abgelehnt: {reason}", line=node.sourceline,
                                          element_id=owner.get("id") if owner is not None else None))

    for node in tree.iter("{*}text"):
        source = (node.text or "").strip()
        parent = node.getparent()
        kind = etree.QName(parent).localname if parent is not None else ""
        if not source or (kind == "inputEntry" and source == "-"):
            continue
        if kind == "inputEntry":
            entry = _DMN_INPUT_PLACEHOLDER.sub("dmninputexpr", source)
            reason = scripting.check_expression(entry, "eval")
            if reason and scripting.check_expression(f"v {entry}", "eval") is None:
                reason = None
            if reason:
                refuse(node, "DMN-Eingabebedingung", reason)
        elif kind in ("inputExpression", "outputEntry"):
            reason = scripting.check_expression(source, "eval")
            if reason:
                refuse(node, "DMN-Ausdruck", reason)


def compile_bundle(bundle: Bundle) -> list[CompiledProcess]:
    """Validate a bundle completely; raise `InvalidDefinition` listing every problem."""
    problems: list[DefinitionProblem] = []
    form_schemas: dict[str, Any] = {}
    message_schemas: dict[str, Any] = {}
    for name, content in bundle.files.items():
        if len(content) > MAX_FILE_BYTES:
            problems.append(DefinitionProblem(name, "Datei ist größer als 2 MB."))
            continue
        if not name.startswith("forms/"):
            continue
        try:
            schema = forms.load_schema(content)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            line = getattr(exc, "lineno", None)
            problems.append(DefinitionProblem(name, f"Kein gültiges JSON: {exc}", line=line))
            continue
        reason = forms.check_schema(schema) or forms.unknown_enum_sources(schema)
        if reason:
            problems.append(DefinitionProblem(name, reason))
        elif name.startswith("forms/messages/"):
            message_schemas[_form_key(name).removeprefix("messages/")] = schema
        else:
            form_schemas[_form_key(name)] = schema

    parser = spiff_children.ChildCallParser(validator=VALIDATOR)
    file_of_process: dict[str, str] = {}
    process_roles: dict[str, str] = {}
    forms_used_by_file: dict[str, set[str]] = {}
    dmn_files = [n for n in bundle.files if n.endswith(".dmn")]
    for name, content in bundle.files.items():
        if not name.endswith((".bpmn", ".dmn")) or len(content) > MAX_FILE_BYTES:
            continue
        try:
            tree = parse_xml(content, name)
            if name.endswith(".bpmn"):
                forms_used_by_file[name] = _check_expressions(tree, name, set(form_schemas), problems)
                process_roles.update(_process_roles(tree))
                before = set(parser.process_parsers)
                parser.add_bpmn_xml(tree, filename=name)
                for pid in set(parser.process_parsers) - before:
                    file_of_process[pid] = name
            else:
                _check_dmn_expressions(tree, name, problems)
                parser.add_dmn_xml(tree.getroot(), filename=name)
        except UnsafeXml as exc:
            problems.append(exc.problem)
        except ValidationException as exc:
            problems.append(_problem_from(exc, name))
    if problems:
        raise InvalidDefinition(problems)

    compiled: list[CompiledProcess] = []
    called = parser.get_process_dependencies()
    top_level = [pid for pid in parser.get_process_ids() if pid not in called]
    if not top_level:
        raise InvalidDefinition([DefinitionProblem("bpmn/", "Kein ausführbarer Prozess gefunden.")])
    for pid in top_level:
        try:
            spec = parser.get_spec(pid)
            subprocess_specs = parser.get_subprocess_specs(pid)
        except ValidationException as exc:
            problems.append(_problem_from(exc, file_of_process.get(pid, "bpmn/")))
            continue
        lane_note = _assign_lanes(spec, process_roles.get(pid))
        problems += _calls_without_io(spec, subprocess_specs, file_of_process)
        files = {file_of_process[p] for p in [pid, *subprocess_specs] if p in file_of_process}
        used_forms = set().union(*(forms_used_by_file.get(f, set()) for f in files))
        sources = {n: bundle.files[n].decode("utf-8") for n in sorted(files | set(dmn_files))}
        form_subset = {k: form_schemas[k] for k in sorted(used_forms)}
        digest = hashlib.sha256(json.dumps(
            [sources, form_subset, message_schemas], sort_keys=True, ensure_ascii=False).encode()).hexdigest()
        compiled.append(CompiledProcess(
            key=pid, name=spec.description or pid, content_hash=digest, sources=sources, forms=form_subset,
            message_schemas=message_schemas, spec_json=specs_to_json(spec, subprocess_specs),
            notes=[lane_note] if lane_note else [],
        ))
    if problems:
        raise InvalidDefinition(problems)
    return compiled


def _calls_without_io(spec: Any, subprocess_specs: dict[str, Any],
                      file_of_process: dict[str, str]) -> list[DefinitionProblem]:
    """A call activity runs its process as a child instance: only declared data may cross.

    Without an ioSpecification SpiffWorkflow would copy the caller's whole data into every child
    (and everything back), which is how a round ends up copied 51 times.
    """
    problems, seen = [], set()
    for process in [spec, *subprocess_specs.values()]:
        for element_id, name, called in spiff_children.child_calls(process):
            target = subprocess_specs.get(called)
            if (process.name, element_id) in seen or target is None or spiff_children.has_io_specification(target):
                continue
            seen.add((process.name, element_id))
            problems.append(DefinitionProblem(
                file_of_process.get(process.name, "bpmn/"),
                f"Die Aufrufaktivität '{name}' ruft den Prozess '{called}' "
                f"({file_of_process.get(called, 'unbekannte Datei')}) auf, der keine ioSpecification hat. "
                f"Bitte im Prozess '{called}' eine <bpmn:ioSpecification> mit <bpmn:dataInput> für jede Variable, "
                "die er braucht, und <bpmn:dataOutput> für jedes Ergebnis ergänzen (dazu inputSet/outputSet); "
                "sonst würden alle Daten des aufrufenden Vorgangs kopiert.",
                element_id=element_id))
    return problems


def _problem_from(exc: ValidationException, filename: str) -> DefinitionProblem:
    line = exc.line_number if isinstance(exc.line_number, int) and exc.line_number else None
    message, detail = deploy_messages.german(str(exc.args[0]) if exc.args else str(exc))
    return DefinitionProblem(exc.file_name or filename, message, line=line, element_id=exc.id or None,
                             element_name=exc.name or None, detail=detail)


def deploy(session: Session, bundle: Bundle, actor: str | None) -> list[DeployOutcome]:
    """Store a new version for every process whose content changed; leave the others alone."""
    outcomes = []
    for proc in compile_bundle(bundle):
        latest = session.scalars(
            select(ProcessDefinition).where(ProcessDefinition.key == proc.key)
            .order_by(ProcessDefinition.version.desc()).limit(1)
        ).first()
        if latest is not None and latest.content_hash == proc.content_hash:
            outcomes.append(DeployOutcome(proc.key, latest.version, created=False, notes=proc.notes))
            continue
        version = (latest.version + 1) if latest else 1
        session.add(ProcessDefinition(
            key=proc.key, version=version, name=proc.name, content_hash=proc.content_hash,
            sources=proc.sources, forms=proc.forms, message_schemas=proc.message_schemas,
            spec_json=proc.spec_json, deployed_by=actor,
        ))
        session.flush()
        audit.record(session, "definition_deployed", actor, None,
                     {"key": proc.key, "version": version, "content_hash": proc.content_hash})
        outcomes.append(DeployOutcome(proc.key, version, created=True, notes=proc.notes))
    return outcomes


def latest_definition(session: Session, key: str) -> ProcessDefinition:
    definition = session.scalars(
        select(ProcessDefinition).where(ProcessDefinition.key == key)
        .order_by(ProcessDefinition.version.desc()).limit(1)
    ).first()
    if definition is None:
        raise NotFound(f"Unbekannter Prozess '{key}'. Bitte zuerst 'grantflow deploy' ausführen.")
    return definition


def start_schema(session: Session, definition: ProcessDefinition) -> dict[str, Any] | None:
    """The JSON Schema of the process's start data: the form its start event names (`formKey`), with the
    choices of its `x-enumSource` fields as of now; None when the start event names no form."""
    spec, _ = specs_from_json(definition.spec_json)
    for start in spec.start.outputs:
        key = (getattr(start, "extensions", None) or {}).get("properties", {}).get("formKey")
        if key and key in definition.forms:
            return forms.with_enum_sources(definition.forms[key], session)
    return None


def start_lane(definition: ProcessDefinition) -> str | None:
    """The role that may start the process: the lane of its start event."""
    spec, _ = specs_from_json(definition.spec_json)
    for start in spec.start.outputs:
        lane = getattr(start, "lane", None)
        if lane:
            return lane
    return None
