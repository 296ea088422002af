"""Domain errors. Each carries a German message meant for the person who caused it.

The web layer maps them to HTTP statuses (see `http_status`), the CLI prints them; neither
shows a traceback for any of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class GrantflowError(Exception):
    """Base of every error a user can cause; `str(error)` is the German message."""

    http_status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(GrantflowError):
    http_status = 404


class Forbidden(GrantflowError):
    http_status = 403


class Conflict(GrantflowError):
    """Someone else changed the instance first; nothing of this attempt was applied."""

    http_status = 409


class TaskAlreadyCompleted(Conflict):
    """The task was done meanwhile: the message names the person and the German time, `username` and
    `completed_at` say the same for machines (the API's problem carries them as `completed_by`/`completed_at`)."""

    def __init__(self, completed_by: str | None, completed_at_text: str | None, *, username: str | None = None,
                 completed_at: datetime | None = None) -> None:
        who = completed_by or "einer anderen Person"
        when = f" am {completed_at_text}" if completed_at_text else ""
        super().__init__(f"Diese Aufgabe wurde bereits erledigt von {who}{when}.")
        self.completed_by = completed_by
        self.completed_at_text = completed_at_text
        self.username = username
        self.completed_at = completed_at


@dataclass
class FieldError:
    """One invalid field: a JSON pointer into the submitted data and a German message."""

    pointer: str
    message: str

    @property
    def field(self) -> str:
        """The top-level field name, for showing the message beside the input."""
        parts = [p for p in self.pointer.split("/") if p]
        return parts[0] if parts else ""


class ValidationFailed(GrantflowError):
    """Submitted data does not match the form; `errors` names every field."""

    http_status = 422

    def __init__(self, errors: list[FieldError], message: str | None = None) -> None:
        names = ", ".join(sorted({e.field or "(Formular)" for e in errors}))
        super().__init__(message or f"Die Eingaben sind unvollständig oder ungültig: {names}.")
        self.errors = errors


@dataclass
class DefinitionProblem:
    """A defect in a deployed file: where it is, what is wrong (German, one line) and, folded away,
    the technical detail the parser gave."""

    file: str
    message: str
    line: int | None = None
    element_id: str | None = None
    element_name: str | None = None
    detail: str | None = None

    @property
    def where(self) -> str:
        where = self.file
        if self.line:
            where += f", Zeile {self.line}"
        if self.element_id:
            where += f", Element '{self.element_id}'"
        if self.element_name:
            where += f" („{' '.join(self.element_name.split())}“)"
        return where

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass
class InvalidDefinition(GrantflowError):
    """A BPMN/DMN/form file set was refused; nothing was stored."""

    problems: list[DefinitionProblem] = field(default_factory=list)

    def __post_init__(self) -> None:
        text = "; ".join(str(p) for p in self.problems)
        GrantflowError.__init__(self, f"Prozessdefinition abgelehnt: {text}")

    http_status = 422


class ProcessStepFailed(GrantflowError):
    """A script, condition or service task of the process failed; the step was rolled back.

    `errors` names the fields when a service refused the step's input (e.g. an unknown Landkreis).
    """

    http_status = 422

    def __init__(self, message: str, errors: list[FieldError] | None = None) -> None:
        super().__init__(message)
        self.errors = errors or []
