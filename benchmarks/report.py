"""The benchmark's output: tables for people, one summary line for the record, raw figures as JSON."""

from __future__ import annotations

import json
import statistics
from collections import defaultdict
from pathlib import Path
from typing import Any

SUMMARY_KEYS = ("inbox_p50_ms", "complete_overhead", "complete_growth", "http_overhead", "throughput_per_s",
                "same_round_refused", "step_max_ms", "state_kb")
TARGETS = {"inbox_p50_ms": "< 50", "complete_overhead": "<= 0.5", "complete_growth": "<= 1.3",
           "http_overhead": "<= 1.3", "throughput_per_s": ">= 50", "same_round_refused": "= 0",
           "step_max_ms": "<= 1000", "state_kb": "<= 100"}
_FORMATS = {"inbox_p50_ms": "{:.1f}", "complete_overhead": "{:.2f}", "complete_growth": "{:.2f}",
            "http_overhead": "{:.2f}", "throughput_per_s": "{:.1f}", "same_round_refused": "{:d}",
            "step_max_ms": "{:.0f}", "state_kb": "{:.0f}"}


def fmt(key: str, value: Any) -> str:
    return "n/a" if value is None else _FORMATS[key].format(value)


def summary_line(summary: dict[str, Any]) -> str:
    return "bench: " + " ".join(f"{k}={fmt(k, summary.get(k))}" for k in SUMMARY_KEYS)


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    line = "| " + " | ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)) + " |"
    rule = "|" + "|".join("-" * (w + 2) for w in widths) + "|"
    body = ["| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |" for r in rows]
    return "\n".join([line, rule, *body])


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.2f}" if values else "n/a"


def steps_table(steps: list[dict[str, Any]]) -> str:
    """Per BPMN step: how often and how often paired, median complete_ms, the two floors and the
    ratios to them, the slowest step, the largest state written and the whole round's size."""
    by: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for s in steps:
        by[s["element_id"]].append(s)
    rows = []
    for element, group in by.items():
        paired = [s for s in group if s["bare_ms"]]
        child = [s for s in group if s["bare_child_ms"]]
        shadow = [s["shadow_bytes"] for s in group if s["shadow_bytes"]]
        rows.append([element, str(len(group)), str(len(paired)),
                     f"{statistics.median(s['complete_ms'] for s in group):.0f}",
                     f"{statistics.median(s['bare_ms'] for s in paired):.0f}" if paired else "n/a",
                     _median([s["complete_ms"] / s["bare_ms"] for s in paired]),
                     f"{statistics.median(s['bare_child_ms'] for s in child):.0f}" if child else "n/a",
                     _median([s["complete_ms"] / s["bare_child_ms"] for s in child]),
                     f"{max(s['step_ms'] for s in group):.0f}",
                     f"{max(s['state_bytes'] for s in group) / 1024:.0f}",
                     f"{max(shadow) / 1024:.0f}" if shadow else "n/a"])
    return _table(["step", "n", "paired", "complete_ms p50", "bare_ms p50", "ratio p50", "bare_child_ms p50",
                   "child ratio p50", "step_ms max", "state KiB max", "whole round KiB max"], rows)


def summary_table(per_db: dict[str, dict[str, Any]], summary: dict[str, Any]) -> str:
    kinds = list(per_db)
    rows = [[key, *[fmt(key, per_db[k].get(key)) for k in kinds], fmt(key, summary.get(key)), TARGETS[key]]
            for key in SUMMARY_KEYS]
    return _table(["figure", *kinds, "summary (worst)", "target"], rows)


def queries_table(per_db: dict[str, dict[str, dict[str, float]]]) -> str:
    rows = [[name, kind, f"{t['min']:.1f}", f"{t['p50']:.1f}", f"{t['p95']:.1f}"]
            for kind, timings in per_db.items() for name, t in timings.items()]
    return _table(["query (ms)", "database", "min", "p50", "p95"], rows)


def pdf_table(per_db: dict[str, dict[str, list[float]]]) -> str:
    rows = [[kind_, db, str(len(ms)), f"{statistics.median(ms):.0f}", f"{sum(ms):.0f}"]
            for db, kinds in per_db.items() for kind_, ms in sorted(kinds.items())]
    return _table(["pdf_ms per step", "database", "steps", "p50", "total"], rows)


def write_json(out_dir: Path, figures: dict[str, Any]) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "bench.json"
    path.write_text(json.dumps(figures, indent=1, default=str), encoding="utf-8")
    return path
