"""Limits for sandboxed scripts: time, work and memory, checked inside the compiled code.

RestrictedPython controls *what* a script may touch, not *how much* it may do: `10**10**10` or
`'a' * 10**9` is one C-level operation that holds the interpreter lock until it is done (every
other request of the process waits) or until memory runs out. The AST policy in
`workflows.engine.guarding` rewrites the operators and constructs that can grow without bound
into calls of the guards below, which check operand sizes *before* computing, and inserts a
`tick()` into every loop iteration, function call and lambda. A tick checks a per-step budget: a
wall-clock deadline (signal-free: it works in any thread) and a count of iterations. Guards also
charge every sequence they create to a per-step allocation budget.

A guard that refuses raises `SandboxLimit`, a `BaseException`: scripts cannot catch it (the policy
refuses bare `except:` and the sandbox offers no `BaseException`), and the sandbox turns it into
a German `ProcessStepFailed` at its boundary.
"""

from __future__ import annotations

import operator
import re
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

#: wall-clock time all scripts and expressions of one engine step may take together
STEP_SECONDS = 2.0
#: loop iterations, function calls and lambda calls of one step
MAX_TICKS = 2_000_000
#: longest string, bytes or list one operation may produce
MAX_LENGTH = 1_000_000
#: characters and items all guarded operations of one step may produce together
MAX_ALLOCATED = 20_000_000
#: largest integer (in bits, about 3000 decimal digits)
MAX_INT_BITS = 10_000
MAX_RANGE = 100_000

_SEQUENCES = (str, bytes, list, tuple)


class SandboxLimit(BaseException):
    """A script exceeded a limit. Derives from BaseException so `except Exception` cannot swallow it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class _Budget:
    deadline: float
    ticks: int
    allocated: int


_local = threading.local()


@contextmanager
def step_budget(seconds: float = STEP_SECONDS) -> Iterator[None]:
    """One budget for everything run inside (an engine step); nested uses share the outer one."""
    if getattr(_local, "budget", None) is not None:
        yield
        return
    _local.budget = _Budget(time.monotonic() + seconds, MAX_TICKS, MAX_ALLOCATED)
    try:
        yield
    finally:
        _local.budget = None


def _budget() -> _Budget:
    budget: _Budget | None = getattr(_local, "budget", None)
    if budget is None:  # a guard called outside a step: give it a budget of its own
        budget = _local.budget = _Budget(time.monotonic() + STEP_SECONDS, MAX_TICKS, MAX_ALLOCATED)
    return budget


def tick() -> None:
    budget = _budget()
    budget.ticks -= 1
    if budget.ticks < 0:
        raise SandboxLimit(f"mehr als {MAX_TICKS:,} Schleifendurchläufe oder Aufrufe".replace(",", "."))
    if time.monotonic() > budget.deadline:
        raise SandboxLimit(f"länger als {STEP_SECONDS:g} Sekunden gerechnet".replace(".", ","))


def charge(length: int) -> None:
    """Account for a sequence of `length` items about to be created."""
    if length > MAX_LENGTH:
        raise SandboxLimit(f"ein Wert mit {length:,} Zeichen oder Einträgen wäre zu groß".replace(",", "."))
    budget = _budget()
    budget.allocated -= length
    if budget.allocated < 0:
        raise SandboxLimit("zu viel Speicher angelegt")


def ticking(iterable: Iterable[Any]) -> Iterator[Any]:
    """What `for` loops and comprehensions iterate over: one tick per item."""
    for item in iterable:
        tick()
        yield item


def deep_size(value: Any, limit: int = MAX_LENGTH + 1) -> int:
    """Characters and items reachable from `value`, counted up to `limit` (shared references count again)."""
    total, stack = 0, [value]
    while stack and total < limit:
        item = stack.pop()
        if isinstance(item, str | bytes):
            total += len(item) + 1
        elif isinstance(item, dict):
            total += len(item) + 1
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item) + 1
            stack.extend(item)
        else:
            total += 1
    return total


# --------------------------------------------------------------------------- operators

def _check_int(bits: int) -> None:
    if bits > MAX_INT_BITS:
        raise SandboxLimit("eine Zahl mit mehr als 3.000 Stellen wäre zu groß")


def _is_int(value: Any) -> bool:
    return isinstance(value, int)


def _repeat(sequence: Any, times: Any) -> Any:
    count = operator.index(times)
    charge(max(0, count) * (deep_size(sequence) if isinstance(sequence, list | tuple) else len(sequence)))
    return sequence * count


def guarded_mul(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and _is_int(b):
        return _repeat(a, b)
    if isinstance(b, _SEQUENCES) and _is_int(a):
        return _repeat(b, a)
    if _is_int(a) and _is_int(b):
        _check_int(a.bit_length() + b.bit_length())
    return a * b


def guarded_pow(a: Any, b: Any, modulo: Any = None) -> Any:
    if modulo is not None:
        if _is_int(modulo):
            _check_int(modulo.bit_length())
        return pow(a, b, modulo)
    if _is_int(a) and _is_int(b) and b > 0 and abs(a) > 1:
        _check_int(a.bit_length() * b if b < MAX_INT_BITS else MAX_INT_BITS + 1)
    return a**b


def guarded_lshift(a: Any, b: Any) -> Any:
    if _is_int(a) and _is_int(b) and a:
        _check_int(a.bit_length() + b)
    return a << b


def guarded_add(a: Any, b: Any) -> Any:
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES):
        charge(len(a) + len(b))
    return a + b


_PRINTF_NUMBER = re.compile(r"%(?:\([^)]*\))?[-#0 +]*(\*|\d+)?(?:\.(\*|\d+))?")


def _check_spec_numbers(numbers: Iterable[str]) -> None:
    for number in numbers:
        if number == "*" or (number and int(number[:8]) > MAX_LENGTH):
            raise SandboxLimit("eine Formatbreite wäre zu groß")


def guarded_mod(a: Any, b: Any) -> Any:
    if isinstance(a, str | bytes):
        text = a if isinstance(a, str) else a.decode("latin-1")
        for width, precision in _PRINTF_NUMBER.findall(text):
            _check_spec_numbers((width, precision))
        charge(len(a) + deep_size(b))
    return a % b


BINARY = {"Mult": guarded_mul, "Pow": guarded_pow, "LShift": guarded_lshift, "Add": guarded_add,
          "Mod": guarded_mod}


def guarded_format(value: Any, conversion: int, spec: str) -> str:
    """An f-string field `{value!conversion:spec}`."""
    _check_spec_numbers(re.findall(r"\d+", spec))
    charge(deep_size(value))
    if conversion == ord("r"):
        value = repr(value)
    elif conversion == ord("a"):
        value = ascii(value)
    elif conversion == ord("s"):
        value = str(value)
    return format(value, spec)


# --------------------------------------------------------------------------- builtins and methods

class _StrType(type):
    def __instancecheck__(cls, instance: Any) -> bool:
        return isinstance(instance, str)

    def __subclasscheck__(cls, subclass: type) -> bool:
        return issubclass(subclass, str)


class GuardedStr(metaclass=_StrType):
    """`str` in scripts: converting checks the size first; `isinstance(x, str)` still works."""

    def __new__(cls, *args: Any, **kwargs: Any) -> str:  # type: ignore[misc]
        if args:
            charge(deep_size(args[0]))
        return str(*args, **kwargs)


def guarded_repr(value: Any) -> str:
    charge(deep_size(value))
    return repr(value)


def guarded_range(*args: int) -> range:
    result = range(*args)
    if len(result) > MAX_RANGE:
        raise SandboxLimit(f"range() mit mehr als {MAX_RANGE:,} Zahlen".replace(",", "."))
    return result


def guarded_sum(values: Iterable[Any], start: Any = 0) -> Any:
    if not isinstance(start, int | float):
        raise SandboxLimit("sum() addiert nur Zahlen")
    return sum(values, start)


def guarded_round(number: Any, ndigits: int | None = None) -> Any:
    if ndigits is not None and abs(ndigits) > 1000:
        raise SandboxLimit("round() mit mehr als 1000 Stellen")
    return round(number, ndigits)


def _width(obj: Any, width: Any, *_: Any) -> int:
    return max(len(obj), operator.index(width))


def _replace(obj: Any, old: Any, new: Any, count: Any = -1) -> int:
    found = obj.count(old)
    if count is not None and operator.index(count) >= 0:
        found = min(found, operator.index(count))
    return len(obj) + found * max(0, len(new) - len(old))


def _translate(obj: Any, table: Any, *_: Any) -> int:
    longest = max((len(v) for v in table.values() if isinstance(v, str | bytes)), default=1) \
        if isinstance(table, dict) else 1
    return len(obj) * max(1, longest)


#: methods of str/bytes/list whose result can outgrow their inputs: the size they would produce
_GROWING: dict[str, Callable[..., int]] = {
    "ljust": _width, "rjust": _width, "center": _width, "zfill": _width,
    "expandtabs": lambda obj, tabsize=8: len(obj) * max(1, operator.index(tabsize)),
    "replace": _replace, "translate": _translate,
}


def guard_method(obj: Any, name: str, method: Any) -> Any:
    """Wrap the few methods that can grow a value past the limits; every other attribute as is."""
    if not isinstance(obj, str | bytes | bytearray | list):
        return method
    if name in _GROWING:
        size = _GROWING[name]

        def sized(*args: Any, **kwargs: Any) -> Any:
            charge(size(obj, *args, **kwargs))
            return method(*args, **kwargs)

        return sized
    if name == "join":
        def join(items: Iterable[Any]) -> Any:
            parts = list(items)
            charge(sum(len(p) for p in parts if isinstance(p, str | bytes)) + len(obj) * len(parts))
            return method(parts)

        return join
    if name in ("extend", "append", "insert") and isinstance(obj, list):
        def grow(*args: Any) -> Any:
            items = list(args[-1]) if name == "extend" and args else [None]
            if len(obj) + len(items) > MAX_LENGTH:
                charge(len(obj) + len(items))
            charge(len(items))
            return method(items) if name == "extend" else method(*args)

        return grow
    return method
