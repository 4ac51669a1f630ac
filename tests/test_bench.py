"""The benchmarks in short mode, so that they cannot rot: each runs on a few items and writes its figures, and
bench/latest.py gathers every key issue 16 names (null where not measured yet) with the machine and commit."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from bench import board, drain, gateway_path, latest, resolve, scale


def test_short_benchmarks_write_latest_json(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NTS_BENCH_RESULTS", str(tmp_path))
    drained = drain.main(n=10)
    assert drained["stored"] == 10 and drained["reports_per_s"] > 0 and drained["baseline_jobs_per_s"] > 0
    resolved = resolve.main(n=50)
    assert resolved["text_us"]["median"] > 0 and resolved["gps_us"]["median"] > 0
    path = gateway_path.main(n=40)
    served = path["gunicorn"]
    assert served["webhook_one_line_report"]["requests"] == 40 and served["fraction_of_bare_flask"] > 0
    listed = board.main(n=300, rounds=1)
    assert listed["sqlite"]["board"]["median_ms"] > 0 and listed["sqlite"]["reports"] == 300
    assert latest.main() == 0
    result = json.loads((tmp_path / "latest.json").read_text())
    assert set(latest.KEYS) <= set(result) and result["commit"] and result["machine"]["cpus"]
    assert result["drain.reports_per_s"] == drained["reports_per_s"]
    assert result["resolve_us.gps"] == resolved["gps_us"]["median"]
    assert result["ingest.ratio"] == path["gunicorn"]["fraction_of_bare_flask"]
    assert "scale.two_workers_ratio" in result["not_measured"] and "drain.reports_per_s" not in result["not_measured"]


def test_short_scale_out_on_postgresql(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One worker then two on a scratch PostgreSQL database: nothing lost, doubled or reordered; a ratio."""
    monkeypatch.setenv("NTS_BENCH_RESULTS", str(tmp_path))
    server = os.environ.get("NTS_TEST_POSTGRES_URL")
    measured = scale.main(n=24, postgres=server, rounds=1)
    if not server:
        assert measured["two_workers_ratio"] is None and "PostgreSQL" in measured["why"]
        return
    for run in (measured["one_worker"], measured["two_workers"]):
        assert run["accepted"] == run["alerted"] == 24, run
        assert run["lost"] == run["doubled"] == 0 and run["reordered_groups"] == [], run
    assert measured["two_workers_ratio"] > 0 and measured["lost"] == measured["doubled"] == 0
    assert measured["reordered_groups"] == []
    latest.main()
    assert json.loads((tmp_path / "latest.json").read_text())["scale.two_workers_ratio"] == \
        measured["two_workers_ratio"]
