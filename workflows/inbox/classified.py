"""Where a round holds data of a data class (`workflows.identity.data_classes`), and what of it an actor sees.

A form belongs to a class (`"x-data-class"`, or a vote form: `einzelstimmen`). The variables that
carry its submissions in the round's data are read from the BPMN: the user task's `resultVariable`
and the output item and collection of its own or an enclosing multi-instance, and, where the task's
process is called (a child instance per member), the output item and collection of the calling
multi-instance. The events of its tasks carry the submission too; both are kept from whoever may
not see the class.
"""

from __future__ import annotations

from collections.abc import Mapping
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


def form_class(schema: Mapping[str, Any]) -> DataClass | None:
    if isinstance(schema.get("x-data-class"), str):
        return data_class(schema["x-data-class"])
    return EINZELSTIMMEN if tally_field(dict(schema)) else None


def classified_forms(definition: ProcessDefinition) -> dict[str, DataClass]:
    """Form key -> the class of what it collects, for the forms of a definition that have one."""
    return {key: cls for key, schema in definition.forms.items() if (cls := form_class(schema))}


_VARIABLES: dict[str, dict[str, DataClass]] = {}


def classified_variables(definition: ProcessDefinition) -> dict[str, DataClass]:
    """Data variable -> its class (cached per definition version)."""
    cached = _VARIABLES.get(definition.content_hash)
    if cached is None:
        forms = classified_forms(definition)
        cached = {}
        roots = [parse_xml(xml.encode("utf-8"), filename).getroot()
                 for filename, xml in definition.sources.items() if filename.endswith(".bpmn") and forms]
        for root in roots:
            cached.update(_variables_in(root, forms))
        for root in roots:
            cached.update(_called_outputs(root, cached))
        _VARIABLES[definition.content_hash] = cached
    return cached


def _variables_in(root: etree._Element, forms: dict[str, DataClass]) -> dict[str, DataClass]:
    found: dict[str, DataClass] = {}
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
        found.update({name: cls for name in names if name})
    return found


def _called_outputs(root: etree._Element, classified: dict[str, DataClass]) -> dict[str, DataClass]:
    """The output item and collection of a multi-instance call activity whose called process gives
    back a classified variable (the vote of each member's child instance)."""
    found: dict[str, DataClass] = {}
    for call in root.iter(f"{BPMN}callActivity"):
        loop = call.find(f"{BPMN}multiInstanceLoopCharacteristics")
        item = loop.find(f"{BPMN}outputDataItem") if loop is not None else None
        cls = classified.get(item.get("id") or "") if item is not None else None
        if loop is None or cls is None:
            continue
        found.update({(e.text or "").strip(): cls for e in loop.iter(f"{BPMN}loopDataOutputRef")})
    return {name: cls for name, cls in found.items() if name}


def visible_data(data: Mapping[str, Any], definition: ProcessDefinition, actor: authz.Actor) -> dict[str, Any]:
    """The data without the variables of classes the actor may not see."""
    hidden = {name for name, cls in classified_variables(definition).items()
              if not authz.may_see_data_class(actor, cls)}
    return {k: v for k, v in data.items() if k not in hidden}


def classified_tasks(session: Session, inst: ProcessInstance) -> dict[int, DataClass]:
    """Task row id -> the class of its submission (in its events), for an instance's classified tasks."""
    forms = classified_forms(inst.definition)
    if not forms:
        return {}
    rows = session.execute(select(TaskRow.id, TaskRow.form_key).where(
        TaskRow.instance_id.in_(children.family_ids(inst.id)), TaskRow.form_key.in_(sorted(forms))))
    return {task_id: forms[form_key or ""] for task_id, form_key in rows}
