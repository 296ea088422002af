"""Data classes: the kinds of personal or confidential data in a round, who answers for them, who sees them.

Written down once, here. A form says which class the data it collects belongs to with the schema
keyword `"x-data-class": "<key>"` at its top level; a vote form (one with a vote field) belongs to
`einzelstimmen` without saying so. The read models (`workflows.inbox.classified`) then keep that
task's result variable out of the round's data, the task contexts, the API and the audit history of
everyone whose roles are not listed here. An administrator is not listed: running the system is no
reason to read applicants' health data or how a member voted.
"""

from __future__ import annotations

from dataclasses import dataclass

from workflows.engine.access import Actor


@dataclass(frozen=True)
class DataClass:
    key: str
    title: str
    owner: str
    roles: frozenset[str]
    note: str = ""


EINZELSTIMMEN = DataClass(
    "einzelstimmen", "Einzelne Stimmen im Verwaltungsausschuss", "Vorsitz",
    frozenset({"Vorsitz", "Schriftführung"}),
    "Bis zum Ergebnis und danach; das Ergebnis (die Zahlen) sieht, wer die Runde sieht.")
BEWERBERDATEN = DataClass(
    "bewerberdaten", "Bewerberdaten und Schwerbehinderung (§ 26 BDSG, Art. 9 DSGVO)", "Personalamt",
    frozenset({"Personalamt", "Personalrat"}),
    "Andere sehen, dass eine Stelle besetzt ist und ab wann.")
BESCHAEFTIGTE = DataClass(
    "beschaeftigte", "Namen der eingestellten Integrationsmanager(innen)", "Personalamt",
    frozenset({"Personalamt", "Personalrat", "Sachbearbeitung", "Dezernatsleitung"}),
    "Für Personalmeldung, Bewilligungsbescheid (nach Namen abgeglichen) und Mitteilung an die Gemeinden; "
    "andere sehen, dass eine Stelle besetzt ist und ab wann.")
GEMEINDE_KONTAKT = DataClass(
    "gemeinde_kontakt", "Kontaktdaten der Gemeinden (Ansprechperson, E-Mail, Telefon)", "Sachbearbeitung",
    frozenset({"Sachbearbeitung", "Dezernatsleitung"}),
    "Eine Gemeinde sieht ihre eigenen Angaben in ihrer Aufgabe.")
INTERNE_VERMERKE = DataClass(
    "interne_vermerke", "Interne Vermerke der Verwaltung", "Sachbearbeitung",
    frozenset({"Sachbearbeitung", "Dezernatsleitung"}))

CLASSES: dict[str, DataClass] = {c.key: c for c in (EINZELSTIMMEN, BEWERBERDATEN, BESCHAEFTIGTE, GEMEINDE_KONTAKT,
                                                     INTERNE_VERMERKE)}
#: what the Löschkonzept erases from finished postings after `settings.retention_days` (`workflows.retention`)
ERASED_BY_RETENTION: frozenset[str] = frozenset({BEWERBERDATEN.key, BESCHAEFTIGTE.key})
#: a form naming a class that is not written down here is seen by nobody (fail closed)
UNKNOWN = DataClass("unbekannt", "Unbekannte Datenklasse", "Administration", frozenset())


def data_class(key: str) -> DataClass:
    return CLASSES.get(key, UNKNOWN)


def may_see(actor: Actor, cls: DataClass) -> bool:
    return bool(actor.roles & cls.roles)
