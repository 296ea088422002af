"""Messages with correlation: which waiting event a message belongs to, in SpiffWorkflow's terms.

A catch event may name correlation properties (BPMN `correlationProperty` with a retrieval
expression over the message payload, grouped into `correlationKey`s). A sender computes the
message's correlation from its payload; so does grantflow for a message recorded by a person or
a client, unless explicit values are given. A running instance remembers the correlation of the
messages it exchanged (`workflow.correlations`); a message belongs to it when one of its keys
matches, as SpiffWorkflow's `MessageEventDefinition.catches` decides.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from SpiffWorkflow.bpmn import BpmnEvent, BpmnWorkflow
from SpiffWorkflow.bpmn.specs.event_definitions.multiple import MultipleEventDefinition
from SpiffWorkflow.spiff.specs.event_definitions import MessageEventDefinition
from SpiffWorkflow.util.task import TaskState

from workflows.errors import Conflict, FieldError, ValidationFailed

Correlations = dict[str, dict[str, Any]]


def property_names(definition: MessageEventDefinition) -> list[str]:
    return sorted({prop.name for prop in definition.correlation_properties})


def with_explicit_values(definition: MessageEventDefinition, payload: Mapping[str, Any],
                         explicit: Mapping[str, Any] | None) -> dict[str, Any]:
    """The payload with explicitly given correlation values filled in.

    SpiffWorkflow always reads a message's correlation from its payload (the retrieval
    expression). A value given explicitly is written into the payload where the expression is a
    plain name; for any other expression the payload itself must carry it.
    """
    merged = dict(payload)
    if not explicit:
        return merged
    known = property_names(definition)
    unknown = sorted(set(explicit) - set(known))
    if unknown:
        raise ValidationFailed([FieldError(f"/correlation/{name}", f"Unbekannter Korrelationsschlüssel '{name}'; "
                                           f"erwartet: {', '.join(known) or 'keiner'}.") for name in unknown])
    for prop in definition.correlation_properties:
        field = prop.retrieval_expression.strip()
        if prop.name not in explicit or not field.isidentifier():
            continue
        if field in merged and merged[field] != explicit[prop.name]:
            raise ValidationFailed([FieldError(f"/correlation/{prop.name}",
                                               f"Der Schlüssel {prop.name}={explicit[prop.name]} widerspricht dem "
                                               f"Inhalt der Nachricht ({field}={merged[field]}).")])
        merged[field] = explicit[prop.name]
    return merged


def correlations_for(definition: MessageEventDefinition, payload: Mapping[str, Any],
                     script_engine: Any) -> Correlations:
    """The message's correlation, computed from its payload as the sending process would."""
    if not definition.correlation_properties:
        return {}
    try:
        return dict(definition.calculate_correlations(script_engine, definition.correlation_properties,
                                                      dict(payload)))
    except Exception as exc:  # a retrieval expression that does not fit the payload
        names = ", ".join(property_names(definition))
        raise ValidationFailed([FieldError("/correlation", f"Die Nachricht enthält den Korrelationsschlüssel ({names}) "
                                                           "nicht; bitte den Wert angeben.")]) from exc


def matches(event_correlations: Correlations, known: Mapping[str, Any]) -> bool:
    """SpiffWorkflow's rule: no correlation on either side, or at least one key with equal values."""
    if not event_correlations or not known:
        return True
    return any(event_correlations.get(key) == known.get(key) for key in event_correlations)


def describe(correlations: Mapping[str, Any]) -> str:
    values = [f"{prop}={value}" for props in correlations.values() for prop, value in props.items()]
    return ", ".join(sorted(set(values))) or "(keine)"


def event_parts(task_spec: Any) -> list[Any]:
    """The event definitions of a spec: one, or those of an event-based gateway's `MultipleEventDefinition`."""
    definition = getattr(task_spec, "event_definition", None)
    return list(definition.event_definitions) if isinstance(definition, MultipleEventDefinition) else [definition]


def catching_definition(workflow: BpmnWorkflow, name: str) -> MessageEventDefinition | None:
    """The definition of the waiting event that catches message `name` (it carries the correlation)."""
    for task in workflow.get_tasks(state=TaskState.WAITING):
        for part in event_parts(task.task_spec):
            if isinstance(part, MessageEventDefinition) and part.name == name:
                return part
    return None


def event(name: str, payload: Mapping[str, Any], definition: MessageEventDefinition | None,
          correlations: Correlations) -> BpmnEvent:
    properties = definition.correlation_properties if definition is not None else []
    return BpmnEvent(MessageEventDefinition(name, correlation_properties=properties), payload=dict(payload),
                     correlations=correlations)


def refuse_uncorrelated(name: str, correlations: Correlations, known: Mapping[str, Any]) -> Conflict:
    return Conflict(f"Die Nachricht '{name}' gehört nicht zu diesem Vorgang: sie trägt {describe(correlations)}, "
                    f"der Vorgang erwartet {describe(known)}. Es wurde nichts gespeichert.")
