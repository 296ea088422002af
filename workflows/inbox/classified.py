"""Where a round holds data of a data class (`workflows.identity.data_classes`), and what of it an actor sees.

A class is declared in the forms, as a whole or per field:
- `"x-data-class"` at a form's top: everything the form collects (a vote form: `einzelstimmen`);
- `"x-data-class"` on a form field: that field of every submission;
- the same keyword on an `x-context` variable, or on a field of its `properties` / `items.properties`:
  that variable of the process data, or that field of it (of each record of a list).
The variables that carry a form's submissions are read from the BPMN: the user task's `resultVariable`
and the output item and collection of its own or an enclosing multi-instance (a call activity's
output collection and its item share their classes). The events of its tasks carry the submission too;
all of it is kept from whoever may not see the class.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session

from workflows.engine import children
from workflows.engine.xmlsafety import parse_xml
from workflows.identity import authz
from workflows.identity.data_classes import EINZELSTIMMEN, DataClass, data_class
from workflows.inbox.votes import tally_field
from workflows.storage.models import ProcessDefinition, ProcessInstance, TaskRow

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"


@dataclass
class Classification:
    """What of one variable (or one form's submission) is of a class: all of it, or some fields."""

    whole: DataClass | None = None
    fields: dict[str, DataClass] = field(default_factory=dict)

    def merge(self, other: Classification) -> None:
        self.whole = self.whole or other.whole
        for name, cls in other.fields.items():
            self.fields.setdefault(name, cls)

    def __bool__(self) -> bool:
        return self.whole is not None or bool(self.fields)

    def hidden_fields(self, may_see: Callable[[DataClass], bool]) -> set[str] | None:
        """The fields of a class the actor may not see; None when all of it is (the whole is of such a class)."""
        if self.whole is not None and not may_see(self.whole):
            return None
        return {name for name, cls in self.fields.items() if not may_see(cls)}

    def visible(self, value: Any, may_see: Callable[[DataClass], bool]) -> tuple[bool, Any]:
        """(shown at all, the value without the fields the actor may not see)."""
        hidden = self.hidden_fields(may_see)
        if hidden is None:
            return False, None
        return True, strip_fields(value, hidden) if hidden else value

    def classes(self) -> set[DataClass]:
        return ({self.whole} if self.whole else set()) | set(self.fields.values())


def seer(actor: authz.Actor, *, own_gemeinde: bool = False) -> Callable[[DataClass], bool]:
    """Whether the actor may see a class (`own_gemeinde`: in the data of a Gemeinde's own task)."""
    return lambda cls: authz.may_see_data_class(actor, cls, own_gemeinde=own_gemeinde)


def strip_fields(value: Any, hidden: set[str]) -> Any:
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if k not in hidden}
    if isinstance(value, list):
        return [strip_fields(item, hidden) for item in value]
    return value


def _field_classes(properties: Any) -> dict[str, DataClass]:
    if not isinstance(properties, Mapping):
        return {}
    return {name: data_class(prop["x-data-class"]) for name, prop in properties.items()
            if isinstance(prop, Mapping) and isinstance(prop.get("x-data-class"), str)}


def form_classification(schema: Mapping[str, Any]) -> Classification:
    """The class of what a form collects: the whole form (a vote form: `einzelstimmen`), or some fields."""
    whole = data_class(schema["x-data-class"]) if isinstance(schema.get("x-data-class"), str) else None
    if whole is None and tally_field(dict(schema)):
        whole = EINZELSTIMMEN
    return Classification(whole, _field_classes(schema.get("properties")))


def form_class(schema: Mapping[str, Any]) -> DataClass | None:
    """The class of a whole form's submission (None when only some fields, or nothing, are classified)."""
    return form_classification(schema).whole


def classified_forms(definition: ProcessDefinition) -> dict[str, Classification]:
    """Form key -> what of its submissions is of a class, for the forms of a definition that have one."""
    return {key: c for key, schema in definition.forms.items() if (c := form_classification(schema))}


def _context_variables(definition: ProcessDefinition) -> dict[str, Classification]:
    found: dict[str, Classification] = {}
    for schema in [*definition.forms.values(), *definition.message_schemas.values()]:
        for name, var in (schema.get("x-context") or {}).items():
            if not isinstance(var, Mapping):
                continue
            whole = data_class(var["x-data-class"]) if isinstance(var.get("x-data-class"), str) else None
            items = var["items"] if isinstance(var.get("items"), Mapping) else {}
            fields = {**_field_classes(var.get("properties")), **_field_classes(items.get("properties"))}
            if whole or fields:
                found.setdefault(name, Classification()).merge(Classification(whole, fields))
    return found


_VARIABLES: dict[str, dict[str, Classification]] = {}


def classified_variables(definition: ProcessDefinition) -> dict[str, Classification]:
    """Data variable -> what of it is of a class (cached per definition version)."""
    cached = _VARIABLES.get(definition.content_hash)
    if cached is None:
        forms = classified_forms(definition)
        cached = _context_variables(definition)
        for filename, xml in definition.sources.items():
            if filename.endswith(".bpmn"):
                root = parse_xml(xml.encode("utf-8"), filename).getroot()
                for name, c in _variables_in(root, forms).items():
                    cached.setdefault(name, Classification()).merge(c)
                for item, collection in _output_items(root):  # an item is a record of its collection
                    for one, other in ((item, collection), (collection, item)):
                        if one in cached:
                            cached.setdefault(other, Classification()).merge(cached[one])
        _VARIABLES[definition.content_hash] = cached
    return cached


def _output_items(root: etree._Element) -> list[tuple[str, str]]:
    """(output item, output collection) of every multi-instance."""
    pairs = []
    for loop in root.iter(f"{BPMN}multiInstanceLoopCharacteristics"):
        collection = loop.find(f"{BPMN}loopDataOutputRef")
        item = loop.find(f"{BPMN}outputDataItem")
        if collection is not None and item is not None:
            pairs.append((item.get("id") or "", (collection.text or "").strip()))
    return pairs


def _variables_in(root: etree._Element, forms: dict[str, Classification]) -> dict[str, Classification]:
    found: dict[str, Classification] = {}
    for task in root.iter(f"{BPMN}userTask"):
        props = {p.get("name"): p.get("value") for p in task.iter(f"{SPIFF}property")}
        cls = forms.get(props.get("formKey") or "")
        if cls is None:
            continue
        names = {props.get("resultVariable") or ""}
        node: etree._Element | None = task
        while node is not None:  # the task's own multi-instance and those of enclosing subprocesses
            loop = node.find(f"{BPMN}multiInstanceLoopCharacteristics")
            if loop is not None:
                names |= {(e.text or "").strip() for e in loop.iter(f"{BPMN}loopDataOutputRef")}
                names |= {e.get("id") or "" for e in loop.iter(f"{BPMN}outputDataItem")}
            node = node.getparent()
        for name in names - {""}:
            found.setdefault(name, Classification()).merge(cls)
    return found


def visible_data(data: Mapping[str, Any], definition: ProcessDefinition, actor: authz.Actor, *,
                 own_gemeinde: bool = False) -> dict[str, Any]:
    """The data without the variables and fields of classes the actor may not see; `own_gemeinde`:
    the data of a Gemeinde's own task (its own contact data)."""
    classes = classified_variables(definition)
    may_see = seer(actor, own_gemeinde=own_gemeinde)
    shown: dict[str, Any] = {}
    for name, value in data.items():
        c = classes.get(name)
        if c is None:
            shown[name] = value
            continue
        visible, filtered = c.visible(value, may_see)
        if visible:
            shown[name] = filtered
    return shown


def visible_submission(data: Mapping[str, Any], schema: Mapping[str, Any], actor: authz.Actor, *,
                       own_gemeinde: bool = False) -> dict[str, Any] | None:
    """A form's submission as the actor may see it; None when all of it is of a class they may not see."""
    visible, filtered = form_classification(schema).visible(dict(data), seer(actor, own_gemeinde=own_gemeinde))
    return filtered if visible else None


def classified_tasks(session: Session, inst: ProcessInstance) -> dict[int, Classification]:
    """Task row id -> what of its submission (in its events) is of a class, for the classified tasks of an
    instance and its child instances (a round's history shows its parts' events)."""
    forms = classified_forms(inst.definition)
    if not forms:
        return {}
    rows = session.execute(select(TaskRow.id, TaskRow.form_key).where(
        TaskRow.instance_id.in_(children.family_ids(inst.id)), TaskRow.form_key.in_(sorted(forms))))
    return {task_id: forms[form_key or ""] for task_id, form_key in rows}
