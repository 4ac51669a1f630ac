"""Benchmark: USSD per-hop latency (the aggregator gives ~15 s a hop; we want milliseconds).

Runs complete report sessions (six hops each, in Thai, Lao, Khmer and English) through the real webhook
view with a real Redis, and writes p50/p99/max per hop and round trips per hop to bench/results/ussd.json,
beside a bare Flask endpoint measured in the same process as the baseline.
"""

from __future__ import annotations

import json
import statistics
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask

from bench.common import CountingConnection, bench_context, percentile, redis_server, write_results
from gateway.app import create_app

SECRET = "bench-ussd-secret"
SESSIONS = {
    "th": ("+6681", ["2", "ท่าอุเทน", "1", "เรือสองลำขนกล่อง", "1"]),
    "lo": ("+85620", ["1", "ທ່າແຂກ", "2", "ລົດຕູ້ພາແມ່ຍິງ", "1"]),
    "km": ("+85512", ["3", "ប៉ោយប៉ែត", "3", "មនុស្សដប់នាក់", "1"]),
    "en": ("+6689", ["4", "Chiang Khong", "2", "pickup with cigarettes", "1"]),
}


def main(min_hops: int = 1200) -> dict[str, Any]:
    """Run sessions until at least `min_hops` hops were timed; write the results file."""
    with tempfile.TemporaryDirectory() as tmp, redis_server(tmp) as url:
        ctx = bench_context(url, tmp, ussd_secret=SECRET)
        client = create_app(context=ctx).test_client()
        bare = Flask("bare")
        bare.add_url_rule("/bare", "bare", lambda: "CON x", methods=["POST"])
        bare_client = bare.test_client()
        timings: list[float] = []
        bare_timings: list[float] = []
        CountingConnection.sent = 0
        session = 0
        screens_max = 0
        while len(timings) < min_hops:
            for lang, (prefix, answers) in SESSIONS.items():
                session += 1
                phone = f"{prefix}{session:07d}"
                text = ""
                for answer in ["", *answers]:
                    text = f"{text}*{answer}" if text and answer else (answer or text)
                    body = urlencode({"sessionId": f"B{session}", "serviceCode": "*384#", "phoneNumber": phone,
                                      "networkCode": "52001", "text": text}).encode()
                    t0 = time.perf_counter()
                    resp = client.post(f"/webhooks/ussd?secret={SECRET}", data=body,
                                       content_type="application/x-www-form-urlencoded")
                    timings.append(time.perf_counter() - t0)
                    assert resp.status_code == 200, resp.get_data(as_text=True)
                    screens_max = max(screens_max, len(resp.get_data(as_text=True).encode("utf-16-le")) // 2)
                    t0 = time.perf_counter()
                    bare_client.post("/bare", data=body, content_type="application/x-www-form-urlencoded")
                    bare_timings.append(time.perf_counter() - t0)
                assert resp.get_data(as_text=True).startswith("END "), (lang, resp.get_data(as_text=True))
        round_trips = CountingConnection.sent / len(timings)
    timings.sort()
    bare_timings.sort()
    results = {
        "hops": len(timings),
        "sessions": session,
        "hop_p50_ms": round(statistics.median(timings) * 1000, 3),
        "hop_p99_ms": round(percentile(timings, 99) * 1000, 3),
        "hop_max_ms": round(timings[-1] * 1000, 3),
        "redis_round_trips_per_hop": round(round_trips, 2),
        "longest_screen_utf16_units": screens_max,
        "baseline_bare_flask_p50_ms": round(statistics.median(bare_timings) * 1000, 3),
        "baseline_bare_flask_p99_ms": round(percentile(bare_timings, 99) * 1000, 3),
        "aggregator_limit_ms": 15000,
    }
    write_results("ussd", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 1200), indent=2))
