"""Benchmark: how fast one worker process drains a backlog of reports, beside RQ itself on no-op jobs.

`n` one-line SMS reports over ten border districts are taken by the conversation engine (as the webhooks do),
then one RQ SimpleWorker (the worker process's loop, without forking) runs until the queue is empty: stored
reports per second, and jobs per report. The baseline is the same worker running `n * 5` no-op jobs in the
same process. Alerts go to the development outbox (no provider network in this figure; the end-to-end benchmark
with provider servers is the one issue 16 still asks for). Writes bench/results/drain.json.
Run: `python -m bench.drain` (or `make bench`).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import UTC, datetime
from typing import Any

from rq import SimpleWorker
from rq.registry import FinishedJobRegistry
from sqlalchemy import func, select

from bench.common import bench_context, redis_server, write_results
from flows.engine import Engine
from gateway.channels.events import Inbound
from reports.context import install
from reports.db import upgrade
from reports.models import Report

PLACES = ("ท่าอุเทน", "นครพนม", "เชียงของ", "อรัญประเทศ", "หนองคาย", "มุกดาหาร", "เชียงแสน", "คลองใหญ่",
          "ช่องเม็ก", "บึงกาฬ")


def noop() -> None:
    """The baseline job: nothing."""


def _burst(ctx: Any) -> float:
    started = time.perf_counter()
    SimpleWorker([ctx.jobs.rq], connection=ctx.jobs.redis).work(burst=True, logging_level="ERROR")
    return time.perf_counter() - started


def main(n: int = 300) -> dict[str, Any]:
    """Drain `n` reports, then `n * 5` no-op jobs; write the results file."""
    with tempfile.TemporaryDirectory(prefix="ntswatch-drain-") as tmp, redis_server(tmp) as url:
        ctx = bench_context(url, tmp, dev_outbox=True)
        install(ctx)
        upgrade(ctx.engine)
        engine = Engine.for_context(ctx)
        for i in range(n):
            text = f"แจ้ง ยาเสพติด {PLACES[i % len(PLACES)]} เห็นเรือขนของข้ามโขง {i}"
            engine.handle(Inbound("twilio", f"SMdrain{i}", f"+66810{i:06d}", text, datetime.now(UTC)))
        elapsed = _burst(ctx)
        with ctx.sessions() as session:
            stored = session.execute(select(func.count()).select_from(Report)).scalar_one()
        jobs = FinishedJobRegistry(queue=ctx.jobs.rq).count
        for _ in range(n * 5):
            ctx.jobs.rq.enqueue("bench.drain.noop")  # by name: __main__ functions cannot be queued
        baseline = _burst(ctx)
        install(None)
    results = {"reports": n, "stored": stored, "seconds": round(elapsed, 2),
               "reports_per_s": round(stored / elapsed, 1), "jobs_per_report": round(jobs / max(stored, 1), 2),
               "baseline_jobs_per_s": round(n * 5 / baseline, 1), "target_reports_per_s": 50}
    write_results("drain", results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=300)
    print(main(parser.parse_args().n))
