"""SpiffWorkflow's and the XML validator's English refusals, said in German with what to change.

A diagram author reads one line per problem. The original text stays available as the
technical detail (folded away in the web page), so nothing is lost when a message is unknown.
"""

from __future__ import annotations

import re

_ELEMENT_REPR = re.compile(r"<Element \{[^}]*\}(\w+) at 0x[0-9a-f]+>")
_NAMESPACE = re.compile(r"\{[^}]*\}")

#: (pattern of the English message, German text with what to change); groups are filled in
KNOWN: list[tuple[re.Pattern[str], str]] = [(re.compile(p, re.I), g) for p, g in [
    (r"No start event found", "Der Prozess hat kein Startereignis: bitte ein Startereignis einfügen"),
    (r"Process (\S+) is not executable", "Der Prozess '{0}' ist nicht als ausführbar markiert: "
                                         "bitte isExecutable=\"true\" setzen"),
    (r"Duplicate process ID: (\S+)", "Die Prozess-ID '{0}' kommt mehrfach vor: bitte eine der IDs ändern"),
    (r"Invalid Script Task\.\s+No Script Provided", "Die Skriptaufgabe enthält kein Skript: bitte ein Skript "
                                                     "eintragen oder die Aufgabe entfernen"),
    (r"A Service Task must have an operator", "Die Service-Aufgabe nennt keinen Dienst: bitte einen "
                                              "serviceTaskOperator angeben"),
    (r"Non-default exclusive outgoing sequence flow without condition",
     "Ein ausgehender Sequenzfluss des exklusiven Gateways hat keine Bedingung und ist nicht der Standardfluss: "
     "bitte eine Bedingung eintragen oder ihn als Standardfluss markieren"),
    (r"Could not find messageRef from message event definition: (\S+)",
     "Das Nachrichtenereignis verweist auf eine unbekannte Nachricht '{0}': bitte die Nachricht anlegen"),
    (r"Message identifier is missing", "Einer Nachricht fehlt die id: bitte eine id vergeben"),
    (r"(Error|Signal|Escalation|Correlation|Data Store) identifier is missing",
     "Einem Element ({0}) fehlt die id: bitte eine id vergeben"),
    (r"A SubWorkflow Must contain an End event", "Der Teilprozess hat kein Endereignis: bitte eines einfügen"),
    (r"Exactly one start event is required in a SubWorkflow Task; found (\d+)",
     "Ein Teilprozess braucht genau ein Startereignis, gefunden: {0}"),
    (r"Conditional event definition with missing condition", "Dem bedingten Ereignis fehlt die Bedingung"),
    (r"There is no support implemented for this task type", "Diese Art von Element wird nicht unterstützt: "
                                                            "bitte durch eine unterstützte Aufgabe ersetzen"),
    (r"(?:Unknown Time Specification|Time Specification Error)",
     "Der Timer-Ausdruck ist kein gültiges ISO-8601-Datum, keine Dauer und kein Zyklus"),
    (r"The process '([^']+)' was not found",
     "Der aufgerufene Prozess '{0}' wurde nicht gefunden: bitte die Datei mit diesem Prozess mit bereitstellen "
     "oder calledElement korrigieren"),
    (r"Cannot resolve data(?:Input|Output)Association (\S+)",
     "Die Datenzuordnung '{0}' verweist auf ein unbekanntes Datenobjekt"),
    (r"Element '(\w+)': This element is not expected",
     "Das Element '{0}' steht hier nicht an erlaubter Stelle (BPMN-Schema verletzt)"),
    (r"Element '(\w+)', attribute '(\w+)': .* is not a valid value",
     "Das Attribut '{1}' des Elements '{0}' hat einen ungültigen Wert (BPMN-Schema verletzt)"),
    (r"Element '(\w+)', attribute '(\w+)': The attribute '\w+' is not allowed",
     "Das Attribut '{1}' ist am Element '{0}' nicht erlaubt: bitte entfernen (BPMN-Schema verletzt)"),
    (r"Element '(\w+)': The attribute '(\w+)' is required but missing",
     "Dem Element '{0}' fehlt das Pflichtattribut '{1}' (BPMN-Schema verletzt)"),
    (r"Element '(\w+)': No matching global (?:element )?declaration available",
     "Das Element '{0}' ist in BPMN 2.0 unbekannt: bitte entfernen oder korrigieren (BPMN-Schema verletzt)"),
    (r"Element '(\w+)': Missing child element", "Dem Element '{0}' fehlt ein vorgeschriebenes Unterelement "
                                                "(BPMN-Schema verletzt)"),
]]


def clean(text: str) -> str:
    """One line, no object reprs or namespaces, no doubled full stops."""
    text = _ELEMENT_REPR.sub(r"\1", text)
    text = _NAMESPACE.sub("", text)
    text = " ".join(text.split())
    text = re.sub(r"(\s*\.)+$", "", text).strip()
    return text


def german(english: str) -> tuple[str, str | None]:
    """The German message and the technical detail (the cleaned original) for a parser refusal."""
    original = clean(english)
    for pattern, text in KNOWN:
        match = pattern.search(original)
        if match:
            return text.format(*match.groups()) + ".", original
    return "Der BPMN-Parser hat dieses Element abgelehnt (siehe technische Details).", original


def sentence(text: str) -> str:
    """`text` as one German sentence ending in exactly one full stop."""
    text = clean(text)
    return text if text.endswith(("?", "!")) else f"{text}."
