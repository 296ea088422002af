"""A user task's context: the data it declares it shows, and nothing else.

A user task names what its page, the API and its prefill may show with the property `context`:
a comma-separated list in Python's call-argument syntax, each entry a variable of the task data
(`stelle`) or `name=expression` (a value computed in the sandbox from the task data, e.g.
`stelle_nr=stelle['stelle_nr']`). A task of a called process (a child instance) that declares no
`context` shows the process's declared inputs (its `ioSpecification`). A task that declares nothing
shows nothing.

Deploy refuses a task whose title, prefill, due date or form (the `formSchema` it serves, the `validation`
whose messages it shows) reads a variable its context does not declare (its own `resultVariable` is always
allowed: it is what the task itself collects).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from SpiffWorkflow.task import Task

from workflows.engine import scripting

#: properties whose expressions show data to the person doing the task: the title, the due date, the form's
#: values, the schema served as its form (e.g. the interviewed applicants' names as an `enum`) and the validation
#: (its messages are shown beside the fields)
SHOWN_PROPERTIES = ("title", "prefill", "dueDate", "formSchema", "validation")


@dataclass(frozen=True)
class ContextSpec:
    names: tuple[str, ...]
    expressions: tuple[tuple[str, str], ...]

    @property
    def declared(self) -> frozenset[str]:
        return frozenset(self.names) | {name for name, _ in self.expressions}


class ContextSyntaxError(ValueError):
    """A `context` property that is not a list of names and `name=expression` entries."""


def parse(value: str | None) -> ContextSpec:
    if not value or not value.strip():
        return ContextSpec((), ())
    try:
        call = ast.parse(f"_({value.strip()})", mode="eval").body
    except SyntaxError as exc:
        raise ContextSyntaxError(f"kein gültiger Python-Ausdruck ({exc.msg})") from exc
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name):
        raise ContextSyntaxError("erwartet: Namen und Einträge 'name=Ausdruck', durch Kommas getrennt")
    names = []
    for arg in call.args:
        if not isinstance(arg, ast.Name):
            raise ContextSyntaxError(f"'{ast.unparse(arg)}' ist kein Variablenname; für einen berechneten Wert "
                                     "'name=Ausdruck' schreiben")
        names.append(arg.id)
    expressions = []
    for keyword in call.keywords:
        if keyword.arg is None:
            raise ContextSyntaxError("'**' ist im Kontext nicht erlaubt")
        expressions.append((keyword.arg, ast.unparse(keyword.value)))
    return ContextSpec(tuple(names), tuple(expressions))


def data_names(expression: str) -> set[str]:
    """The task-data variables an expression reads: free names that are not called as functions and
    not the sandbox's own names (`today`, `date`, builtins); `form` is the submission, not data."""
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        return set()  # the compile check reports it
    functions = {id(c.func) for c in ast.walk(tree) if isinstance(c, ast.Call) and isinstance(c.func, ast.Name)}
    bound = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and not isinstance(n.ctx, ast.Load)}
    bound |= {a.arg for a in ast.walk(tree) if isinstance(a, ast.arg)}
    read = {n.id for n in ast.walk(tree)
            if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load) and id(n) not in functions}
    env = scripting.sandbox_globals()
    return read - bound - set(env) - set(env["__builtins__"]) - {"form"}


def undeclared(props: Mapping[str, str], inputs: Iterable[str] = ()) -> dict[str, set[str]]:
    """Property -> the variables it reads that the task's context does not declare (empty: all declared)."""
    spec = parse(props.get("context")) if props.get("context") is not None else ContextSpec(tuple(inputs), ())
    allowed = spec.declared | {props.get("resultVariable") or ""}
    found = {}
    for prop in SHOWN_PROPERTIES:
        if props.get(prop):
            missing = data_names(props[prop]) - allowed
            if missing:
                found[prop] = missing
    return found


def process_inputs(task: Task) -> tuple[str, ...]:
    """The declared inputs of the (called) process a task runs in; empty for a process without them."""
    spec = task.workflow.spec
    io = getattr(spec, "io_specification", None)
    return tuple(item.bpmn_id for item in io.data_inputs) if io is not None else ()


def spec_of(task: Task) -> ContextSpec:
    props = getattr(task.task_spec, "extensions", None) or {}
    value = dict(props.get("properties", {})).get("context")
    if value is None:
        return ContextSpec(process_inputs(task), ())
    return parse(value)


def task_context(task: Task) -> dict[str, Any]:
    """The values a task declares it shows (missing variables are left out; a failing expression is None)."""
    spec = spec_of(task)
    data = task.data
    shown = {name: data[name] for name in spec.names if name in data}
    for name, expression in spec.expressions:
        try:
            shown[name] = scripting.evaluate(expression, data)
        except Exception:  # presentation: the task still works without this value
            shown[name] = None
    return shown
