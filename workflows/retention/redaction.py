"""Redacting data of a class out of JSON-like values (pure functions, no database).

Two passes: first every variable (a dict key named like a classified variable, anywhere in a process
state, a payload or a row) or field of a class to erase is replaced by `MARKER`, collecting the
persons' names it held (strings under a `name` key); then every remaining occurrence of those names
in any string (a letter's text, a notice, a title) is replaced too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from workflows.identity.data_classes import DataClass
from workflows.inbox.classified import Classification

MARKER = "[gelöscht]"
#: the field naming a person in applicants' records: its values are also erased wherever they were copied
NAME_FIELD = "name"
MIN_NAME_LENGTH = 3


@dataclass
class Redactor:
    """Erases the classes `erased` of the variables `classes` and collects the names erased."""

    classes: Mapping[str, Classification]
    erased: frozenset[DataClass]
    names: set[str] = field(default_factory=set)

    def variables(self, value: Any) -> Any:
        """Every dict key named like a classified variable: its erased classes replaced by the marker."""
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                c = self.classes.get(key) if isinstance(key, str) else None
                out[key] = self.classified(item, c) if c is not None else self.variables(item)
            return out
        if isinstance(value, list):
            return [self.variables(item) for item in value]
        return value

    def classified(self, value: Any, c: Classification) -> Any:
        """A value of one classification (a variable, a submission)."""
        if c.whole in self.erased:
            self._collect(value, whole=True)
            return MARKER
        fields = {name for name, cls in c.fields.items() if cls in self.erased}
        return self._fields(value, fields) if fields else self.variables(value)

    def _fields(self, value: Any, fields: set[str]) -> Any:
        if isinstance(value, Mapping):
            out = {}
            for key, item in value.items():
                if key in fields:
                    if key == NAME_FIELD:
                        self._collect(item, whole=True)
                    out[key] = MARKER
                else:
                    out[key] = self.variables(item)
            return out
        if isinstance(value, list):
            return [self._fields(item, fields) for item in value]
        return value

    def _collect(self, value: Any, *, whole: bool) -> None:
        if isinstance(value, str) and whole:
            if len(value.strip()) >= MIN_NAME_LENGTH and value != MARKER:
                self.names.add(value.strip())
        elif isinstance(value, Mapping):
            for key, item in value.items():
                if key == NAME_FIELD:
                    self._collect(item, whole=True)
                elif isinstance(item, Mapping | list):
                    self._collect(item, whole=False)
        elif isinstance(value, list):
            for item in value:
                self._collect(item, whole=whole and isinstance(item, str))


def scrub(value: Any, names: set[str]) -> Any:
    """Every occurrence of the names in any string replaced by the marker (longest names first)."""
    if not names:
        return value
    ordered = sorted(names, key=len, reverse=True)

    def walk(item: Any) -> Any:
        if isinstance(item, str):
            for name in ordered:
                if name in item:
                    item = item.replace(name, MARKER)
            return item
        if isinstance(item, Mapping):
            return {walk(k) if isinstance(k, str) else k: walk(v) for k, v in item.items()}
        if isinstance(item, list):
            return [walk(v) for v in item]
        return item

    return walk(value)
