"""Benchmark: the workspace's case board with 100,000 reports in the database, on SQLite and (when
NTS_TEST_POSTGRES_URL or --postgres gives one) PostgreSQL.

Reports are bulk-inserted over the demo centres' districts, categories, statuses and two years of dates; then the
board of the Tha Uthen head (urgent first, true total, first and a deep page, a category filter, a text search)
and the dashboard are requested through the app, and the server time of each is taken. Target: the list ≤ 200 ms.
Writes bench/results/board.json. Run: `python -m bench.board [-n 100000] [--postgres URL]`.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import insert

from bench.common import bench_context, redis_server, write_results
from centres import logins
from centres.access import Principal
from gateway.app import create_app
from reports.context import install
from reports.db import upgrade
from reports.models import Report, Reporter

CENTRES = {"4803": ["4803"], "4801": ["4801"], "5703": ["5703"], "2706": ["2706"], "4301": ["4301"]}
REQUESTS = {"board": "/center", "deep page": "/center?offset=2000", "category": "/center?category=drugs",
            "search": "/center?q=boat+17", "dashboard": "/center/dashboard"}


def seed(ctx: Any, n: int) -> None:
    """`n` reports, inserted in batches of 5,000 (one reporter per 10 reports)."""
    rng = random.Random(3)
    now = datetime.now(UTC)
    with ctx.sessions.begin() as session:
        session.execute(insert(Reporter), [{"id": f"R-B{i:09d}", "contact_enc": None, "channel": "twilio",
                                            "language": "th", "report_count": 10, "salt": "s"}
                                           for i in range(n // 10 + 1)])
    rows = []
    for i in range(n):
        centre = rng.choice(list(CENTRES))
        created = now - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
        rows.append({"id": str(uuid.uuid4()), "ticket": f"{1_000_000 + i}", "reporter_id": f"R-B{i // 10:09d}",
                     "reporter_alias": "R-X", "channel": "twilio", "language": "th",
                     "category": rng.choice(["drugs", "trafficking", "migration", "smuggling", "other"]),
                     "when_code": rng.choice(["now", "today", "earlier"]), "details": f"boat {i % 100} seen",
                     "place_text": "ท่าอุเทน", "district_code": centre, "province_code": centre[:2],
                     "center_id": centre, "flags": [], "media": [],
                     "status": rng.choice(["new", "acknowledged", "assigned", "closed", "closed", "closed"]),
                     "created_at": created, "received_at": created})
        if len(rows) == 5000:
            with ctx.sessions.begin() as session:
                session.execute(insert(Report), rows)
            rows = []
    if rows:
        with ctx.sessions.begin() as session:
            session.execute(insert(Report), rows)


def measure(ctx: Any, rounds: int) -> dict[str, Any]:
    """Median and worst server time of each request, over `rounds` rounds after a warm-up."""
    client = create_app(context=ctx).test_client()
    code = logins.make_login_code(ctx, Principal("telegram", "111", "Nai Amphoe"))
    client.get(f"/login/{code}", base_url=ctx.settings.public_url)
    out: dict[str, Any] = {}
    for name, path in REQUESTS.items():
        client.get(path, base_url=ctx.settings.public_url)
        times = []
        for _ in range(rounds):
            started = time.perf_counter()
            resp = client.get(path, base_url=ctx.settings.public_url)
            times.append((time.perf_counter() - started) * 1000)
            assert resp.status_code == 200, (path, resp.status_code)
        out[name] = {"median_ms": round(statistics.median(times), 1), "max_ms": round(max(times), 1)}
    return out


def run(database_url: str | None, n: int, rounds: int) -> dict[str, Any]:
    """Seed and measure on one database (a scratch SQLite file unless `database_url`)."""
    with tempfile.TemporaryDirectory(prefix="ntswatch-board-") as tmp, redis_server(tmp) as url:
        extra = {"database_url": database_url} if database_url else {}
        ctx = bench_context(url, tmp, public_url="https://gateway.example.org",
                            centers_file="tests/fixtures/centers.yaml", **extra)
        install(ctx)
        upgrade(ctx.engine)
        started = time.perf_counter()
        seed(ctx, n)
        seeded = time.perf_counter() - started
        result = {"reports": n, "seed_s": round(seeded, 1), **measure(ctx, rounds)}
        install(None)
        return result


def on_scratch_postgres(server_url: str, n: int, rounds: int) -> dict[str, Any]:
    """Run on a database created for the run on the server of `server_url`, dropped afterwards."""
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    name = f"ntsbench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        return run(make_url(server_url).set(database=name).render_as_string(hide_password=False), n, rounds)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main(n: int = 100_000, rounds: int = 5, postgres: str | None = None) -> dict[str, Any]:
    """SQLite always; PostgreSQL when a URL is given. Writes the results file."""
    results: dict[str, Any] = {"target_list_ms": 200, "sqlite": run(None, n, rounds)}
    if postgres:
        results["postgresql"] = on_scratch_postgres(postgres, n, rounds)
    write_results("board", results)
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--postgres", default=os.environ.get("NTS_TEST_POSTGRES_URL"))
    args = parser.parse_args()
    print(main(args.n, args.rounds, args.postgres))
