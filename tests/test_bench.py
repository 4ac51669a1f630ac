"""The benchmarks in short mode, so that they cannot rot: each runs on a few items and writes its figures, and
bench/latest.py gathers every key issue 16 names (null where not measured yet) with the machine and commit."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import board, drain, latest, resolve


def test_short_benchmarks_write_latest_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTS_BENCH_RESULTS", str(tmp_path))
    drained = drain.main(n=10)
    assert drained["stored"] == 10 and drained["reports_per_s"] > 0 and drained["baseline_jobs_per_s"] > 0
    resolved = resolve.main(n=50)
    assert resolved["text_us"]["median"] > 0 and resolved["gps_us"]["median"] > 0
    listed = board.main(n=300, rounds=1)
    assert listed["sqlite"]["board"]["median_ms"] > 0 and listed["sqlite"]["reports"] == 300
    assert latest.main() == 0
    result = json.loads((tmp_path / "latest.json").read_text())
    assert set(latest.KEYS) <= set(result) and result["commit"] and result["machine"]["cpus"]
    assert result["drain.reports_per_s"] == drained["reports_per_s"]
    assert result["resolve_us.gps"] == resolved["gps_us"]["median"]
    assert "scale.two_workers_ratio" in result["not_measured"] and "drain.reports_per_s" not in result["not_measured"]
