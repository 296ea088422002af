"""`make bench` cannot rot: its quickest run produces the summary line with every figure and the JSON.

Asserts correctness only (keys, counts, nothing lost or doubled), never a timing.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from benchmarks import report, run


@pytest.mark.bench
@pytest.mark.timeout(600)
def test_quick_bench_writes_summary_and_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run.main(["--quick", "--out", str(tmp_path)]) == 0
    last = capsys.readouterr().out.strip().splitlines()[-1]
    number = r"\d+(\.\d+)?"
    assert re.fullmatch("bench: " + " ".join(f"{k}={number}" for k in report.SUMMARY_KEYS), last), last
    raw = json.loads((tmp_path / "bench.json").read_text(encoding="utf-8"))
    assert set(raw["summary"]) == set(report.SUMMARY_KEYS)
    for kind, figures in raw["databases"].items():
        assert [s["element_id"] for s in figures["steps"]][:2] == ["runde_eroeffnen", "rueckmeldung_abgeben"], kind
        assert all(s["bare_ms"] > 0 and s["bare_child_ms"] > 0 and s["complete_ms"] > 0 for s in figures["steps"])
        assert figures["unpaired"] == {}, figures["unpaired"]  # every step found its task in the whole round
        assert all(s["shadow_bytes"] > s["state_bytes"] for s in figures["steps"][1:]), kind  # a child vs the round
        assert figures["inbox_data"]["rounds"] == raw["scale"]["inbox_rounds"]
        assert figures["explain"]["round list Sachbearbeitung"], kind
    server = raw["databases"][list(raw["databases"])[-1]]
    for load in ("throughput", "same_round"):
        assert server[load]["lost"] == server[load]["doubled"] == server[load]["other_errors"] == 0
        assert server[load]["succeeded"] + server[load]["refused_open"] == server[load]["attempted"] > 0
