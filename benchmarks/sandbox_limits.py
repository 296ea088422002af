"""What the sandbox's limits cost: guarded vs. plain RestrictedPython code (prints, asserts nothing).

Run: `.venv/bin/python benchmarks/sandbox_limits.py`. Figures per evaluation of a typical task title
expression, a typical script of the round, and per loop iteration.
"""

from __future__ import annotations

import sys
import timeit
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from RestrictedPython import RestrictingNodeTransformer, compile_restricted

from workflows.engine import limits, scripting
from workflows.engine.guarding import GuardingTransformer

CASES = {
    "title expression": ("eval", "'Rückmeldung ' + gemeinde['name'] + ', Stelle ' + str(int('2-03'.split('-')[-1]))"),
    "round script": ("exec", "total = sum(a['anzahl'] for a in answers if a['entscheidung'] == 'uebertragen')"),
    "loop of 10,000": ("exec", "t = 0\nfor i in range(10000):\n    t += i * 2"),
}
DATA = {"gemeinde": {"name": "Kehl"},
        "answers": [{"anzahl": i, "entscheidung": "uebertragen"} for i in range(51)]}


def per_call(code: object, mode: str) -> float:
    env = scripting.sandbox_globals()

    def run() -> None:
        scope = {**env, **DATA}
        with limits.step_budget():
            eval(code, scope) if mode == "eval" else exec(code, scope)  # type: ignore[arg-type]

    number = 200
    return min(timeit.repeat(run, number=number, repeat=5)) / number


for label, (mode, source) in CASES.items():
    plain = per_call(compile_restricted(source, "<b>", mode, policy=RestrictingNodeTransformer), mode)
    guarded = per_call(compile_restricted(source, "<b>", mode, policy=GuardingTransformer), mode)
    print(f"{label:18} plain {plain * 1e6:8.1f} µs   guarded {guarded * 1e6:8.1f} µs   "
          f"+{(guarded - plain) * 1e6:.1f} µs")
