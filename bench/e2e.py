"""Benchmark: end to end on the real stack — a signed Twilio webhook sent → the centre's Telegram alert received —
at a steady rate, then the memory of every process of the stack.

The stack is the chaos benchmark's (bench/chaos.py: its own redis-server, SQLite, gunicorn with 2 workers, one RQ
worker, the spool replayer, local Telegram and Twilio API servers), without faults. Reports go out at `--rate` a
second for `--seconds`, round-robin over the fixture centres alerted on Telegram; each carries a serial number, so
its alert is matched exactly. RSS is the sum over the stack's processes and their children (/proc), read after
the load. Writes bench/results/e2e.json (e2e.p50_ms, p95_ms, p99_ms, lost; rss_mb by process and total).
Run: `python -m bench.e2e [--rate 5] [--seconds 30]`.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import requests

from bench.chaos import SERIAL, build_request, start_stack
from bench.common import percentile, write_results
from tests.fakes.http_api import start_fake_api
from tests.fakes.telegram_api import start_fake_telegram


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def _tree_kb(pid: int, proc_file: str, field: str) -> int:
    """The sum of `field` (kB) in /proc/<pid>/<proc_file> over `pid` and all its descendants."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            for line in Path(f"/proc/{current}/{proc_file}").read_text().splitlines():
                if line.startswith(field):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(current)
    return total


def rss_mb(pid: int) -> float:
    """Resident memory of `pid` and all its descendants, in MB."""
    return round(_tree_kb(pid, "status", "VmRSS:") / 1024, 1)


def pss_mb(pid: int) -> float:
    """Proportional memory of `pid` and its descendants, in MB: a page shared by n processes counts 1/n (a
    forked gunicorn worker shares most of its master's pages, which a sum of RSS counts twice)."""
    return round(_tree_kb(pid, "smaps_rollup", "Pss:") / 1024, 1)


def _post(url: str, kwargs: dict[str, Any], n: int, answered: dict[int, float]) -> None:
    """Send one webhook; note when the gateway answered it (the webhook's share of the latency)."""
    started = time.time()
    requests.post(url, timeout=30, **kwargs)
    answered[n] = (time.time() - started) * 1000


# Ten border districts, each its own centre alerted in its own Telegram group (the "10 centres").
DISTRICTS = (("4803", "ท่าอุเทน"), ("2706", "อรัญประเทศ"), ("2302", "คลองใหญ่"), ("3403", "โขงเจียม"),
             ("3702", "ชานุมาน"), ("4203", "เชียงคาน"), ("4302", "ท่าบ่อ"), ("3304", "กันทรลักษ์"),
             ("3106", "ละหานทราย"), ("2703", "ตาพระยา"))
TEMPLATES = tuple((f"-100{code}000000", f"แจ้ง ยาเสพติด อ.{name} เห็นเรือขนของข้ามโขง รหัส {{n:06d}}")
                  for code, name in DISTRICTS)


def write_centres(path: Path) -> Path:
    """A centres file of the ten centres (and the national desk), each with a Telegram group and the inbox."""
    lines = ['fallback: "national"', "centers:"]
    for (code, name), (chat, _text) in zip(DISTRICTS, TEMPLATES, strict=True):
        lines += [f'  - id: "{code}"', f'    districts: ["{code}"]', f'    name: "NTS-MWCC {name}"',
                  "    language: th", "    notify:", f"      - telegram: {{chat_id: {chat}}}", "      - inbox: {}"]
    lines += ['  - id: "national"', "    districts: []", '    name: "National desk"', "    language: en",
              "    notify:", "      - telegram: {chat_id: -1009999999999}"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _alerted(telegram: Any, arrived: dict[int, float]) -> None:
    """Note the first arrival of each serial's alert in its own group."""
    for call in telegram.sent():
        m = SERIAL.search(str(call.params.get("text", "")))
        if m and str(call.params.get("chat_id")) == TEMPLATES[int(m.group(1)) % len(TEMPLATES)][0]:
            arrived.setdefault(int(m.group(1)), call.at)


def _burst(base: str, first: int, count: int, telegram: Any, timeout_s: float = 180) -> dict[str, Any]:
    """`count` reports from 8 concurrent senders as fast as the gateway takes them; wait for every alert."""
    from concurrent.futures import ThreadPoolExecutor

    def post(n: int) -> int:
        url, kwargs = build_request(base, n, "twilio", TEMPLATES)
        return requests.post(url, timeout=30, **kwargs).status_code

    started, wall = time.monotonic(), time.time()
    with ThreadPoolExecutor(8) as pool:
        accepted = sum(1 for status in pool.map(post, range(first, first + count)) if status == 200)
    ingest_s = time.monotonic() - started
    arrived: dict[int, float] = {}
    deadline = started + timeout_s
    while time.monotonic() < deadline and len([n for n in arrived if n >= first]) < count:
        _alerted(telegram, arrived)
        time.sleep(0.2)
    done = [n for n in arrived if n >= first]
    drained_s = max(arrived[n] for n in done) - wall if done else None
    return {"reports": count, "accepted": accepted, "alerted": len(done), "ingest_per_s": round(count / ingest_s, 1),
            "last_alert_after_s": round(drained_s, 1) if drained_s else None,
            "reports_per_s": round(len(done) / drained_s, 1) if drained_s else None}


def main(rate: float = 5.0, seconds: float = 30.0, burst: int = 1000) -> dict[str, Any]:
    """The steady load (latency), then a burst of `burst` reports (drain), then memory; write the results."""
    telegram, twilio = start_fake_telegram(), start_fake_api()
    with tempfile.TemporaryDirectory(prefix="ntswatch-e2e-") as tmp_dir:
        tmp = Path(tmp_dir)
        stack = start_stack(tmp, telegram, twilio, workers=1, web_workers=None,  # as `make run` starts it
                            centers_file=write_centres(tmp / "centers.yaml"))
        try:
            sent: dict[int, float] = {}
            answered: dict[int, float] = {}
            threads = []
            total = int(rate * seconds)
            started = time.monotonic()
            for n in range(total):
                time.sleep(max(0.0, started + n / rate - time.monotonic()))
                url, kwargs = build_request(stack.base_url, n, "twilio", TEMPLATES)
                sent[n] = time.time()
                thread = threading.Thread(target=_post, args=(url, kwargs, n, answered))
                thread.start()
                threads.append(thread)
            for thread in threads:
                thread.join()
            deadline = time.monotonic() + 60
            arrived: dict[int, float] = {}
            while time.monotonic() < deadline and len(arrived) < total:
                _alerted(telegram, arrived)
                time.sleep(0.2)
            latencies = sorted((arrived[n] - sent[n]) * 1000 for n in arrived)
            webhook = sorted(answered.values())
            slowest = sorted(arrived, key=lambda n: arrived[n] - sent[n])[-3:]
            tail = [{"serial": n, "e2e_ms": round((arrived[n] - sent[n]) * 1000, 1),
                     "webhook_ms": round(answered.get(n, -1.0), 1)} for n in slowest]
            burst_result = _burst(stack.base_url, total, burst, telegram) if burst else None
            memory = {proc.name: rss_mb(proc.popen.pid) for proc in stack.procs if proc.popen is not None}
            memory["redis"] = rss_mb(stack.redis_proc.pid) if stack.redis_proc is not None else 0.0
            proportional = {proc.name: pss_mb(proc.popen.pid) for proc in stack.procs if proc.popen is not None}
            proportional["redis"] = pss_mb(stack.redis_proc.pid) if stack.redis_proc is not None else 0.0
        finally:
            stack.stop()
    results = {
        "rate_per_s": rate, "reports": total, "alerted": len(latencies), "lost": total - len(latencies),
        "centres": len(TEMPLATES),
        "e2e": {"p50_ms": round(statistics.median(latencies), 1) if latencies else None,
                "p95_ms": round(percentile(latencies, 95), 1) if latencies else None,
                "p99_ms": round(percentile(latencies, 99), 1) if latencies else None,
                "max_ms": round(latencies[-1], 1) if latencies else None},
        "webhook": {"p50_ms": round(statistics.median(webhook), 1) if webhook else None,
                    "p99_ms": round(percentile(webhook, 99), 1) if webhook else None},
        "slowest": tail,
        "burst": burst_result,
        "rss_mb": {**memory, "total": round(sum(memory.values()), 1)},  # after the burst
        "pss_mb": {**proportional, "total": round(sum(proportional.values()), 1)},
        "targets": {"e2e.p95_ms": 250, "e2e.p99_ms": 500, "rss_mb.total": 450},
    }
    write_results("e2e", results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rate", type=float, default=5.0)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--burst", type=int, default=1000)
    args = parser.parse_args()
    print(main(args.rate, args.seconds, args.burst))
