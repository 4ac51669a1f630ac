"""Benchmark: the Twilio webhook request path against a bare Flask endpoint, in the same process.

Measures requests per second and Redis round trips per request for (a) a bare Flask view returning a
constant, (b) a signed Twilio webhook that starts a conversation, (c) a signed one-line report that
completes and is queued. Writes bench/results/gateway_path.json. Run: `make bench`.
"""

from __future__ import annotations

import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from redis import Connection, ConnectionPool, Redis
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gateway.app import create_app  # noqa: E402
from gateway.devstack import redis_server_binary  # noqa: E402
from gateway.settings import Settings  # noqa: E402
from workers.context import Context  # noqa: E402

RESULTS = ROOT / "bench" / "results" / "gateway_path.json"
TOKEN = "bench-twilio-token"
URL = "https://gateway.example.org/webhooks/twilio/sms"


class CountingConnection(Connection):
    """Counts round trips: one per packed command batch sent (a pipeline is one)."""

    sent = 0

    def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        super().send_packed_command(command, check_health)


def _start_redis(directory: str) -> tuple[subprocess.Popen[bytes], str]:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([redis_server_binary(), "--port", str(port), "--save", "", "--appendonly", "no",
                             "--dir", directory], stdout=subprocess.DEVNULL)
    url = f"redis://127.0.0.1:{port}/0"
    for _ in range(100):
        try:
            Redis.from_url(url).ping()
            break
        except Exception:
            time.sleep(0.05)
    return proc, url


def _signed(body: str) -> tuple[bytes, dict[str, str]]:
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
              "From": f"+6681{secrets.randbelow(10**7):07d}", "To": "+6640001234", "Body": body, "NumMedia": "0"}
    sig = RequestValidator(TOKEN).compute_signature(URL, params)
    return urlencode(params).encode(), {"X-Twilio-Signature": sig}


def _measure(name: str, client: Any, requests: list[tuple[str, bytes, dict[str, str]]], redis: Redis) -> dict[str, Any]:
    redis.flushdb()
    CountingConnection.sent = 0
    timings = []
    start = time.perf_counter()
    for path, body, headers in requests:
        t0 = time.perf_counter()
        resp = client.post(path, data=body, headers=headers, content_type="application/x-www-form-urlencoded")
        timings.append(time.perf_counter() - t0)
        assert resp.status_code == 200, (name, resp.status_code, resp.get_data(as_text=True)[:200])
    elapsed = time.perf_counter() - start
    timings.sort()
    return {
        "requests": len(requests),
        "req_per_s": round(len(requests) / elapsed, 1),
        "p50_ms": round(statistics.median(timings) * 1000, 3),
        "p99_ms": round(timings[int(len(timings) * 0.99) - 1] * 1000, 3),
        "redis_round_trips_per_request": round(CountingConnection.sent / len(requests), 2),
    }


def main(n: int = 2000) -> dict[str, Any]:
    """Run the three measurements and write the results file."""
    with tempfile.TemporaryDirectory() as tmp:
        proc, url = _start_redis(tmp)
        try:
            settings = Settings.from_env(redis_url=url, database_url=f"sqlite:///{tmp}/bench.sqlite3",
                                         twilio_auth_token=TOKEN, secret_key="bench-secret-key-0123456789",
                                         public_url="https://gateway.example.org")
            ctx = Context(settings)
            redis = Redis(connection_pool=ConnectionPool.from_url(url, connection_class=CountingConnection))
            ctx.__dict__["redis"] = redis
            app = create_app(context=ctx)
            bare = Flask("bare")
            bare.add_url_rule("/bare", "bare", lambda: "<Response/>", methods=["POST"])
            app.test_client().post("/webhooks/twilio/sms")  # warm up: load the gazetteer and catalogs
            results = {
                "bare_flask": _measure("bare", bare.test_client(), [("/bare", b"a=1", {})] * n, redis),
                "webhook_new_conversation": _measure(
                    "new", app.test_client(),
                    [("/webhooks/twilio/sms", *_signed("สวัสดีครับ")) for _ in range(n)], redis),
                "webhook_one_line_report": _measure(
                    "one-line", app.test_client(),
                    [("/webhooks/twilio/sms", *_signed("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง"))
                     for _ in range(n)], redis),
            }
        finally:
            proc.terminate()
    base = results["bare_flask"]["req_per_s"]
    for key in ("webhook_new_conversation", "webhook_one_line_report"):
        results[key]["fraction_of_bare_flask"] = round(results[key]["req_per_s"] / base, 3)
    results["_meta"] = {"n": n, "python": sys.version.split()[0], "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                              time.gmtime())}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000), indent=2))
