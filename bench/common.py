"""What the benchmarks share: a private Redis server, a context on it, a round-trip counter."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from redis import Connection, ConnectionPool, Redis

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from gateway.devstack import start_scratch_redis  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from reports.context import Context  # noqa: E402
from workers.registry import ENTRIES  # noqa: E402

RESULTS_DIR = ROOT / "bench" / "results"


class CountingConnection(Connection):
    """Counts round trips: one per packed command batch sent (a pipeline is one)."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


@contextmanager
def redis_server(directory: str) -> Iterator[str]:
    """A private redis-server for one benchmark run; yields its URL."""
    proc, url = start_scratch_redis(Path(directory))
    try:
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def bench_context(redis_url: str, directory: str, **settings: Any) -> Context:
    """A context on the benchmark's Redis (counting round trips) and a SQLite file."""
    settings.setdefault("database_url", f"sqlite:///{directory}/bench.sqlite3")
    ctx = Context(Settings.from_env(redis_url=redis_url, secret_key="bench-secret-key-0123456789", **settings),
                  job_entries=ENTRIES)
    ctx.__dict__["redis"] = Redis(connection_pool=ConnectionPool.from_url(
        redis_url, connection_class=CountingConnection, decode_responses=True))
    return ctx


def derived(ctx: Context, **changes: Any) -> Context:
    """A context like `ctx` with some settings changed, sharing its Redis client."""
    other = Context(ctx.settings.replace(**changes), job_entries=ENTRIES)
    other.__dict__["redis"] = ctx.redis
    return other


def percentile(sorted_values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of already sorted values."""
    index = min(len(sorted_values) - 1, max(0, round(q / 100 * len(sorted_values)) - 1))
    return sorted_values[index]


def write_results(name: str, results: dict[str, Any]) -> Path:
    """Write `bench/results/<name>.json` with a timestamp."""
    results["_meta"] = {"python": sys.version.split()[0],
                        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    path = Path(os.environ.get("NTS_BENCH_RESULTS") or RESULTS_DIR) / f"{name}.json"  # tests write elsewhere
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n")
    return path
