"""Gather the benchmarks' figures into bench/results/latest.json (run last by `make bench`), each beside its
baseline and target, with the machine and the commit. Figures a benchmark does not measure yet are null and
listed under "not_measured", so a reader sees the gap instead of a missing key."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from pathlib import Path
from typing import Any

from bench.common import RESULTS_DIR, ROOT

KEYS = ("e2e.p50_ms", "e2e.p95_ms", "e2e.p99_ms", "drain.reports_per_s", "drain.baseline_jobs_per_s", "ingest.rps",
        "ingest.baseline_rps", "ingest.ratio", "ingest.p99_ms", "ussd.p99_ms", "rss_mb.total", "rss_mb.web",
        "rss_mb.worker", "resolve_us.text", "resolve_us.gps", "scale.two_workers_ratio")
TARGETS = {"e2e.p95_ms": "<= 250", "e2e.p99_ms": "<= 500", "drain.reports_per_s": ">= 50", "ingest.ratio": ">= 0.3",
           "ingest.p99_ms": "<= 10", "rss_mb.total": "<= 450", "resolve_us.text": "<= 200", "resolve_us.gps": "<= 100",
           "scale.two_workers_ratio": ">= 1.7"}


def _read(directory: Path, name: str) -> dict[str, Any]:
    path = directory / f"{name}.json"
    return json.loads(path.read_text("utf-8")) if path.exists() else {}


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    mem_kb = next((int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                   if line.startswith("MemTotal")), 0) if Path("/proc/meminfo").exists() else 0
    return {"cpus": os.cpu_count(), "memory_gb": round(mem_kb / 1024 / 1024, 1), "python": platform.python_version(),
            "platform": platform.platform()}


def commit() -> str:
    """The commit measured (with "+dirty" when the tree has changes)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True,
                              check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True).stdout.strip()
        return head + ("+dirty" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def gather(directory: Path | None = None) -> dict[str, Any]:
    """latest.json's content from the results files in `directory`."""
    d = directory or Path(os.environ.get("NTS_BENCH_RESULTS") or RESULTS_DIR)
    path, ussd, drain, resolve, e2e, scale = (_read(d, n) for n in ("gateway_path", "ussd", "drain", "resolve",
                                                                    "e2e", "scale"))
    # The comparison is in the same gunicorn setup at 8 connections; the in-process figures (Flask's
    # test client, one request at a time) stay in gateway_path.json beside them.
    served = path.get("gunicorn") or path
    one_line, bare = served.get("webhook_one_line_report", {}), served.get("bare_flask", {})
    figures: dict[str, Any] = dict.fromkeys(KEYS)
    figures.update({
        "ingest.rps": one_line.get("req_per_s"), "ingest.baseline_rps": bare.get("req_per_s"),
        "ingest.ratio": served.get("fraction_of_bare_flask", one_line.get("fraction_of_bare_flask")),
        "ingest.p99_ms": one_line.get("p99_ms"),
        "ussd.p99_ms": ussd.get("hop_p99_ms"),
        "drain.reports_per_s": drain.get("reports_per_s"),
        "drain.baseline_jobs_per_s": drain.get("baseline_jobs_per_s"),
        "resolve_us.text": (resolve.get("text_us") or {}).get("median"),
        "resolve_us.gps": (resolve.get("gps_us") or {}).get("median"),
        **{f"e2e.{k}": (e2e.get("e2e") or {}).get(k) for k in ("p50_ms", "p95_ms", "p99_ms")},
        **{f"rss_mb.{k}": (e2e.get("rss_mb") or {}).get(k) for k in ("total", "web")},
        "rss_mb.worker": (e2e.get("rss_mb") or {}).get("worker1"),
        "scale.two_workers_ratio": scale.get("two_workers_ratio"),
    })
    return {**figures, "targets": TARGETS, "not_measured": [k for k in KEYS if figures[k] is None],
            "machine": machine(), "commit": commit()}


def main() -> int:
    """Write latest.json and print it."""
    d = Path(os.environ.get("NTS_BENCH_RESULTS") or RESULTS_DIR)
    result = gather(d)
    (d / "latest.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
