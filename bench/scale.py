"""Benchmark: scale out on the existing engines — the same backlog drained by one worker process, then by two,
on PostgreSQL and a Redis server of the stack's own; the ratio of the two rates, and that nothing was lost,
doubled or reordered per centre channel.

For each run a fresh stack (bench/chaos.py: gunicorn, the spool replayer, local Telegram and Twilio API servers)
on a scratch PostgreSQL database takes `n` signed one-line SMS reports over the ten centres of bench/e2e.py, each
alerted in its own Telegram group, with no worker running; then `ntswatch worker` processes are started and the
alerts counted as they reach the Telegram server. The rate is alerts per second from the first alert to the last
(a worker's start-up is not drain). Order: per Telegram group, the alerts must arrive in the order their
deliveries were stored.
Needs a PostgreSQL server (NTS_TEST_POSTGRES_URL, --postgres, or one answering on 127.0.0.1:5432; a database is
created and dropped); without one the figure is null. Writes bench/results/scale.json.
Run: `python -m bench.scale [-n 600]`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from itertools import pairwise
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url

from bench.chaos import SERIAL, Proc, build_request, start_stack
from bench.common import ROOT, write_results
from bench.e2e import TEMPLATES, write_centres
from reports.models import Delivery, Report
from tests.fakes.http_api import start_fake_api
from tests.fakes.telegram_api import FakeTelegram, start_fake_telegram


@contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A database made for one run on the server of `server_url`, dropped afterwards; its URL."""
    name = f"ntsscale_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _alerts(telegram: FakeTelegram) -> list[tuple[float, str, int]]:
    """(arrival time, group, serial) of every alert that reached its centre's group, in arrival order."""
    found = []
    for call in telegram.sent():
        m = SERIAL.search(str(call.params.get("text", "")))
        if m and str(call.params.get("chat_id", "")) == TEMPLATES[int(m.group(1)) % len(TEMPLATES)][0]:
            found.append((call.at, str(call.params["chat_id"]), int(m.group(1))))
    return sorted(found)


def _stored_order(database_url: str) -> dict[str, list[int]]:
    """Per Telegram group, the serials in the order their deliveries were stored (what notify keeps)."""
    engine = create_engine(database_url)
    order: dict[str, list[int]] = {}
    with engine.connect() as conn:
        rows = conn.execute(select(Delivery.target, Report.details).join(Report, Report.id == Delivery.report_id)
                            .where(Delivery.channel == "telegram").order_by(Delivery.created_at, Delivery.id))
        for target, details in rows:
            m = SERIAL.search(details or "")
            if m:
                order.setdefault(str(target.get("chat_id")), []).append(int(m.group(1)))
    engine.dispose()
    return order


def _cpu_s(pid: int) -> float:
    """CPU seconds (user + system) a process has used so far."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _cpu_by_kind(stack: Any) -> dict[str, float]:
    """CPU seconds so far of the workers, the web, Redis, PostgreSQL's server processes, and this process (the
    load generator and the fake Telegram/Twilio servers): who the two cores went to."""
    found = {"workers": sum(_cpu_s(p.popen.pid) for p in stack.procs if p.name.startswith("worker") and p.popen),
             "web": sum(_cpu_s(p.popen.pid) for p in stack.procs if p.name == "web" and p.popen),
             "redis": _cpu_s(stack.redis_proc.pid) if stack.redis_proc else 0.0,
             "bench_and_fake_providers": _cpu_s(os.getpid()), "postgresql": 0.0}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "postgres":
                    found["postgresql"] += _cpu_s(int(entry.name))
            except OSError:
                continue
    return found


def run_once(server_url: str, workers: int, n: int, timeout_s: float = 300) -> dict[str, Any]:
    """One backlog of `n` reports drained by `workers` worker processes; the figures and the checks."""
    telegram, twilio = start_fake_telegram(), start_fake_api()
    with tempfile.TemporaryDirectory(prefix="ntswatch-scale-") as tmp_dir, scratch_database(server_url) as db:
        tmp = Path(tmp_dir)
        stack = start_stack(tmp, telegram, twilio, workers=0, database_url=db,
                            centers_file=write_centres(tmp / "centers.yaml"))
        try:
            def post(i: int) -> int:
                url, kwargs = build_request(stack.base_url, i, "twilio", TEMPLATES)
                return requests.post(url, timeout=30, **kwargs).status_code

            with ThreadPoolExecutor(8) as pool:
                accepted = sum(1 for status in pool.map(post, range(n)) if status == 200)
            cli = [sys.executable, "-m", "gateway.cli", "worker"]
            cpu_before = _cpu_by_kind(stack)
            started = time.monotonic()
            with stack.lock:
                for i in range(workers):
                    proc = Proc(f"worker{i + 1}", cli)
                    stack.procs.append(proc)
                    stack.start(proc)
            deadline = started + timeout_s
            while time.monotonic() < deadline and len({s for _, _, s in _alerts(telegram)}) < n:
                time.sleep(0.2)
            alerts = _alerts(telegram)
            cpu = {k: round(v - cpu_before.get(k, 0.0), 1) for k, v in _cpu_by_kind(stack).items()}
        finally:
            stack.stop()
        stored_order = _stored_order(db)
    serials = Counter(s for _, _, s in alerts)
    arrived: dict[str, list[int]] = {}
    for _, chat, serial in alerts:
        if serials[serial] == 1:
            arrived.setdefault(chat, []).append(serial)
    span = alerts[-1][0] - alerts[0][0] if len(alerts) > 1 else 0.0
    return {"workers": workers, "reports": n, "accepted": accepted, "alerted": len(serials),
            "lost": n - len(serials), "doubled": sum(1 for c in serials.values() if c > 1),
            "reordered_groups": sorted(chat for chat, order in stored_order.items() if arrived.get(chat) != order),
            "cpu_s": cpu,  # CPU seconds each kind of process used while the backlog drained (2 cores)
            "drain_s": round(span, 2), "alerts_per_s": round((len(alerts) - 1) / span, 1) if span else None,
            # A stall shows as one long gap between alerts (a wake-up lost, a lock waited for).
            "longest_gap_s": round(max((b[0] - a[0] for a, b in pairwise(alerts)),
                                       default=0.0), 2)}


LOCAL_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def find_postgres(given: str | None) -> str | None:
    """The server to run on: the one given, else a local one if it answers (as .ci/run does), else None."""
    if given:
        return given
    try:
        engine = create_engine(LOCAL_POSTGRES, connect_args={"connect_timeout": 2})
        with engine.connect():
            pass
        engine.dispose()
        return LOCAL_POSTGRES
    except Exception:
        return None


def main(n: int = 600, postgres: str | None = None, rounds: int = 3) -> dict[str, Any]:
    """One worker, then two, `rounds` times in turn (this machine's noise is larger than the effect of one run:
    single ratios ranged 1.44-1.89); the ratio of the median rates. Writes the results file (null without
    PostgreSQL)."""
    results: dict[str, Any] = {"target_ratio": 1.7, "cpus": os.cpu_count(), "rounds": rounds}
    if not postgres:
        results.update(two_workers_ratio=None, why="no PostgreSQL (NTS_TEST_POSTGRES_URL or --postgres)")
    else:
        runs = [(run_once(postgres, 1, n), run_once(postgres, 2, n)) for _ in range(rounds)]
        one = statistics.median(r[0]["alerts_per_s"] or 0.0 for r in runs)
        two = statistics.median(r[1]["alerts_per_s"] or 0.0 for r in runs)
        results.update(
            one_worker=runs[0][0], two_workers=runs[0][1],
            one_worker_alerts_per_s=[r[0]["alerts_per_s"] for r in runs],
            two_workers_alerts_per_s=[r[1]["alerts_per_s"] for r in runs],
            lost=sum(r[k]["lost"] for r in runs for k in (0, 1)),
            doubled=sum(r[k]["doubled"] for r in runs for k in (0, 1)),
            reordered_groups=sorted({g for r in runs for k in (0, 1) for g in r[k]["reordered_groups"]}),
            two_workers_ratio=round(two / one, 2) if one and two else None)
    write_results("scale", results)
    return results


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=600)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--postgres", default=os.environ.get("NTS_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(main(args.n, find_postgres(args.postgres), args.rounds))
