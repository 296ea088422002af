"""The script engine BPMN runs in: RestrictedPython with whitelisted names only.

SpiffWorkflow's default engine `eval`s/`exec`s with the real builtins, so a diagram could
import `os` or open files. Here every expression and script is compiled with
`compile_restricted` (which rejects imports, dunder attributes, `exec` and friends at compile
time) and runs with guarded attribute/item access and a small set of builtins plus the
programme's rule functions. SpiffWorkflow does not serialize the engine: `make_script_engine()`
must be attached again after every deserialization (`workflows.engine.spiff` does that).

How much a script may do is limited too (`workflows.engine.limits`, compiled in by the policy in
`workflows.engine.guarding`): a script that computes too long or builds too large a value is
stopped and the step refused with a German message; the process stays responsive meanwhile.
"""

from __future__ import annotations

import ast
import copy
import json
import logging
import operator
import re
import warnings
from collections.abc import Callable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal

from RestrictedPython import compile_restricted, limited_builtins, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence, safer_getattr
from RestrictedPython.PrintCollector import PrintCollector
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from workflows import clock, formatting
from workflows.engine import limits
from workflows.engine.guarding import GuardingTransformer
from workflows.errors import ProcessStepFailed

SCRIPT_LOG = logging.getLogger("grantflow.scripts")

def _guarded_iadd(target: Any, value: Any) -> Any:
    if isinstance(target, list) and isinstance(value, list | tuple):
        limits.charge(len(value))
        if len(target) + len(value) > limits.MAX_LENGTH:
            limits.charge(len(target) + len(value))
        return operator.iadd(target, value)
    return limits.guarded_add(target, value)


_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "+=": _guarded_iadd, "-=": operator.isub, "*=": limits.guarded_mul, "/=": operator.itruediv,
    "//=": operator.ifloordiv, "%=": limits.guarded_mod, "|=": operator.ior, "&=": operator.iand,
}
#: builtins a script must not have: classes (user-defined dunders) and what could catch a limit
_WITHHELD = ("__build_class__", "BaseException", "SystemExit", "KeyboardInterrupt", "GeneratorExit")


def _inplacevar(op: str, target: Any, value: Any) -> Any:
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise SyntaxError(f"Operator {op} ist in Skripten nicht erlaubt") from None


def _getattr(obj: Any, name: str, *default: Any) -> Any:
    return limits.guard_method(obj, name, safer_getattr(obj, name, *default))


def _write_guard(obj: Any) -> Any:
    """Allow item/attribute writes only on plain data containers (task data)."""
    if isinstance(obj, dict | list):
        return obj
    raise TypeError(f"Schreiben auf {type(obj).__name__} ist in Skripten nicht erlaubt")


class StepLog(PrintCollector):
    """`print()` in a script writes to the log `grantflow.scripts`, never to the server's stdout."""

    def _call_print(self, *objects: Any, **kwargs: Any) -> None:
        separator = kwargs.get("sep")
        SCRIPT_LOG.info("%s", (" " if separator is None else str(separator)).join(str(o) for o in objects))


def date_add(value: str, days: int = 0, months: int = 0) -> str:
    """ISO date (or datetime) plus months (day clamped to the month's end) and days, as ISO again."""
    if len(value) == 10:
        return (formatting.add_months(value, months) + timedelta(days=days)).isoformat()
    moment = datetime.fromisoformat(value)
    shifted = formatting.add_months(moment.date(), months) + timedelta(days=days)
    return datetime.combine(shifted, moment.timetz()).isoformat()


def today() -> str:
    return clock.today().isoformat()  # the process clock: the Demo-Uhr in a demo, the moment of a tick


def now() -> str:
    return clock.now().astimezone(UTC).isoformat(timespec="seconds")


_FUNCTIONS: dict[str, Callable[..., Any]] = {}


def register_functions(functions: Mapping[str, Callable[..., Any]]) -> None:
    """Make a programme's pure functions callable from BPMN scripts and expressions.

    The engine knows no programme: `workflows.wiring` registers the Förderprogramm's rule
    functions here once at start-up.
    """
    _FUNCTIONS.update(functions)


def sandbox_globals() -> dict[str, Any]:
    builtins = {k: v for k, v in {**safe_builtins, **limited_builtins}.items() if k not in _WITHHELD}
    builtins.update({
        "sorted": sorted, "min": min, "max": max, "sum": limits.guarded_sum, "any": any, "all": all,
        "enumerate": enumerate, "dict": dict, "list": list, "set": set, "reversed": reversed,
        "map": map, "filter": filter, "range": limits.guarded_range, "pow": limits.guarded_pow,
        "round": limits.guarded_round, "str": limits.GuardedStr, "repr": limits.guarded_repr,
        "_getattr_": _getattr,
    })
    env: dict[str, Any] = {
        "__builtins__": builtins,
        "_getattr_": _getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": limits.ticking,
        "_binop_": lambda op, a, b: limits.BINARY[op](a, b),
        "_format_": limits.guarded_format,
        "_tick_": limits.tick,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_write_": _write_guard,
        "_inplacevar_": _inplacevar,
        "date_add": date_add,
        "today": today,
        "now": now,
        "_print_": StepLog,
        "date": date,
        "datetime": datetime,
        "timedelta": timedelta,
        "Decimal": Decimal,
    }
    env.update(_FUNCTIONS)
    return env


@lru_cache(maxsize=4096)
def _compiled(source: str, mode: Literal["exec", "eval"]) -> Any:
    """Compiling with RestrictedPython costs about a millisecond; BPMN sources repeat on every step."""
    with warnings.catch_warnings():  # RestrictedPython warns about `print` without `printed`: not an error here
        warnings.simplefilter("ignore", SyntaxWarning)
        return compile_restricted(source, f"<bpmn-{mode}>" if mode == "eval" else "<string>", mode,
                                  policy=GuardingTransformer)


def _syntax_reason(exc: SyntaxError) -> str:
    """RestrictedPython reports its refusals as a tuple of "Line N: ..." strings; say them in German."""
    parts = exc.msg if isinstance(exc.msg, tuple | list) else [exc.msg or str(exc)]
    reasons = []
    for part in parts:
        text = str(part).replace("SyntaxError: ", "").strip()
        text = re.sub(r"^Line (\d+): ", r"Zeile \1: ", text)
        text = text.replace("invalid syntax", "ungültige Syntax")
        text = re.sub(r" at statement: '(.*)'$", r" (in: \1)", text)
        text = re.sub(r"'(.)' was never closed", r"'\1' wird nicht geschlossen", text)
        text = re.sub(r"(\w+) calls are not allowed",
                      lambda m: f"Aufrufe von {m.group(1).lower()} sind in Skripten nicht erlaubt", text)
        text = re.sub(r'"([^"]+)" is an invalid variable name because it starts with "_"',
                      r"der Name \1 beginnt mit '_' und ist in Skripten nicht erlaubt", text)
        text = re.sub(r'"([^"]+)" is an invalid attribute name because it starts with "_"',
                      r"das Attribut \1 beginnt mit '_' und ist in Skripten nicht erlaubt", text)
        text = re.sub(r"(\w+) statements are not allowed", r"\1-Anweisungen sind in Skripten nicht erlaubt", text)
        reasons.append(text.rstrip(". "))
    if exc.lineno and not any(r.startswith("Zeile") for r in reasons):
        reasons = [f"Zeile {exc.lineno}: {r}" for r in reasons]
    return "; ".join(reasons)


def check_expression(source: str, mode: Literal["exec", "eval"] = "eval") -> str | None:
    """Compile-check an expression/script; the German reason if the sandbox refuses it.

    RestrictedPython compiles `import x` (it fails only at run time); refusing it here tells
    the author at deploy time instead.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", SyntaxWarning)
            compile_restricted(source, "<bpmn>", mode, policy=GuardingTransformer)
        tree = ast.parse(source, mode=mode)
    except SyntaxError as exc:
        return _syntax_reason(exc)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            return f"Zeile {node.lineno}: import ist in Skripten nicht erlaubt."
    return None


ServiceCaller = Callable[[str, dict[str, Any], Mapping[str, Any]], Any]


def _run_limited(run: Callable[[], Any]) -> Any:
    """Run sandboxed code within the step's budget; a limit or runaway recursion refuses the step."""
    try:
        with limits.step_budget():
            return run()
    except limits.SandboxLimit as exc:
        raise ProcessStepFailed(f"Das Skript wurde angehalten: {exc.reason}") from None
    except RecursionError:
        raise ProcessStepFailed("Das Skript wurde angehalten: zu tiefe Rekursion") from None


class SandboxEnvironment(TaskDataEnvironment):
    """Task-data environment that compiles with RestrictedPython and dispatches service tasks."""

    def __init__(self, call_service: ServiceCaller | None = None) -> None:
        super().__init__(sandbox_globals())
        self._call_service = call_service

    def evaluate(self, expression: str, context: dict[str, Any], external_context: Any = None) -> Any:
        code = _compiled(expression, "eval")
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return _run_limited(lambda: eval(code, scope))

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        code = _compiled(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        context.update(copy.copy(self.globals))
        context.update(external_context or {})
        try:
            _run_limited(lambda: exec(code, context))
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
            context.pop("date", None)
        return True

    def call_service(self, context: dict[str, Any], operation_name: str | None = None,
                     operation_params: dict[str, Any] | None = None, **_: Any) -> str:
        if self._call_service is None or operation_name is None:
            raise WorkflowTaskException(f"Kein Dienst für die Service-Aufgabe '{operation_name}'")
        params = {k: v["value"] for k, v in (operation_params or {}).items()}
        return json.dumps(self._call_service(operation_name, params, context))


class SandboxScriptEngine(PythonScriptEngine):
    """Fixes SpiffWorkflow 3.2's service error path (it raises NameError on `script`)."""

    def call_service(self, task: Any, **kwargs: Any) -> Any:
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as err:
            raise WorkflowTaskException(f"{type(err).__name__}: {err}", task=task, exception=err) from err


def make_script_engine(call_service: ServiceCaller | None = None) -> SandboxScriptEngine:
    return SandboxScriptEngine(environment=SandboxEnvironment(call_service))


def evaluate(expression: str, data: Mapping[str, Any]) -> Any:
    """Evaluate a property expression (title, dueDate, ...) against task data in the sandbox."""
    return SandboxEnvironment().evaluate(expression, dict(data))
