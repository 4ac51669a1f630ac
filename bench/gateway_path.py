"""Benchmark: the Twilio webhook request path against a bare Flask endpoint, in the same process.

Measures requests per second and Redis round trips per request for (a) a bare Flask view returning a
constant, (b) a signed Twilio webhook that starts a conversation, (c) a signed one-line report that
completes and is queued. Writes bench/results/gateway_path.json. Run: `make bench`.
"""

from __future__ import annotations

import json
import secrets
import statistics
import sys
import tempfile
import time
from typing import Any
from urllib.parse import urlencode

from flask import Flask
from redis import Redis
from twilio.request_validator import RequestValidator

from bench.common import ROOT, CountingConnection, bench_context, percentile, redis_server, write_results
from gateway.app import create_app

TOKEN = "bench-twilio-token"
URL = "https://gateway.example.org/webhooks/twilio/sms"


def _signed(body: str) -> tuple[bytes, dict[str, str]]:
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "1" * 32,
              "From": f"+6681{secrets.randbelow(10**7):07d}", "To": "+6640001234", "Body": body, "NumMedia": "0"}
    sig = RequestValidator(TOKEN).compute_signature(URL, params)
    return urlencode(params).encode(), {"X-Twilio-Signature": sig}


def _measure(client: Any, requests: list[tuple[str, bytes, dict[str, str]]], redis: Redis) -> dict[str, Any]:
    redis.flushdb()
    CountingConnection.sent = 0
    timings = []
    start = time.perf_counter()
    for path, body, headers in requests:
        t0 = time.perf_counter()
        resp = client.post(path, data=body, headers=headers, content_type="application/x-www-form-urlencoded")
        timings.append(time.perf_counter() - t0)
        assert resp.status_code == 200, (resp.status_code, resp.get_data(as_text=True)[:200])
    elapsed = time.perf_counter() - start
    timings.sort()
    return {
        "requests": len(requests),
        "req_per_s": round(len(requests) / elapsed, 1),
        "p50_ms": round(statistics.median(timings) * 1000, 3),
        "p99_ms": round(percentile(timings, 99) * 1000, 3),
        "redis_round_trips_per_request": round(CountingConnection.sent / len(requests), 2),
    }


def _load(url: str, bodies: list[tuple[bytes, dict[str, str]]], senders: int = 8) -> dict[str, Any]:
    """POST every body from `senders` keep-alive connections at once; requests per second and latencies."""
    import threading

    import requests

    timings: list[float] = []
    lock = threading.Lock()
    chunks = [bodies[i::senders] for i in range(senders)]

    def send(chunk: list[tuple[bytes, dict[str, str]]]) -> None:
        with requests.Session() as session:
            for body, headers in chunk:
                t0 = time.perf_counter()
                resp = session.post(url, data=body, headers={**headers, "Content-Type":
                                                             "application/x-www-form-urlencoded"}, timeout=30)
                took = time.perf_counter() - t0
                assert resp.status_code == 200, resp.status_code
                with lock:
                    timings.append(took)

    threads = [threading.Thread(target=send, args=(c,)) for c in chunks]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - start
    timings.sort()
    return {"requests": len(bodies), "req_per_s": round(len(bodies) / elapsed, 1),
            "p50_ms": round(statistics.median(timings) * 1000, 2), "p99_ms": round(percentile(timings, 99) * 1000, 2)}


def in_gunicorn(n: int = 2000) -> dict[str, Any]:
    """The bare endpoint and the one-line report webhook served by gunicorn as `ntswatch web` runs it (one
    process, gthread, 8 threads), each loaded from 8 concurrent keep-alive connections."""
    import os
    import socket
    import subprocess

    import requests

    with tempfile.TemporaryDirectory() as tmp, redis_server(tmp) as url:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        env = {**os.environ, "REDIS_URL": url, "DATABASE_URL": f"sqlite:///{tmp}/bench.sqlite3",
               "NTS_SECRET_KEY": "bench-secret-key-0123456789", "TWILIO_AUTH_TOKEN": TOKEN,
               "NTS_PUBLIC_URL": "https://gateway.example.org", "NTS_VAR_DIR": tmp}
        subprocess.run([sys.executable, "-m", "gateway.cli", "db", "upgrade"], env=env, check=True)
        proc = subprocess.Popen([sys.executable, "-m", "gunicorn", "-k", "gthread", "--threads", "8", "-w", "1",
                                 "-b", f"127.0.0.1:{port}", "--log-level", "warning", "bench.wsgi_pair:app"],
                                env=env, cwd=str(ROOT))
        try:
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 60
            while True:
                try:
                    if requests.get(base + "/healthz", timeout=1).ok:
                        break
                except requests.RequestException:
                    pass
                if time.monotonic() > deadline:
                    raise SystemExit("gunicorn did not start")
                time.sleep(0.2)
            _load(base + "/bare", [(b"a=1", {})] * 200)  # warm both paths and the connections
            bare = _load(base + "/bare", [(b"a=1", {})] * n)
            hook = _load(base + "/webhooks/twilio/sms",
                         [_signed("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง") for _ in range(n)])
        finally:
            proc.terminate()
            proc.wait(10)
    return {"bare_flask": bare, "webhook_one_line_report": hook,
            "fraction_of_bare_flask": round(hook["req_per_s"] / bare["req_per_s"], 3), "senders": 8}


def main(n: int = 2000) -> dict[str, Any]:
    """Run the three measurements and write the results file."""
    with tempfile.TemporaryDirectory() as tmp, redis_server(tmp) as url:
        ctx = bench_context(url, tmp, twilio_auth_token=TOKEN, public_url="https://gateway.example.org")
        app = create_app(context=ctx)
        bare = Flask("bare")
        bare.add_url_rule("/bare", "bare", lambda: "<Response/>", methods=["POST"])
        app.test_client().post("/webhooks/twilio/sms")  # warm up: load the gazetteer and catalogs
        results: dict[str, Any] = {
            "bare_flask": _measure(bare.test_client(), [("/bare", b"a=1", {})] * n, ctx.redis),
            "webhook_new_conversation": _measure(
                app.test_client(), [("/webhooks/twilio/sms", *_signed("สวัสดีครับ")) for _ in range(n)], ctx.redis),
            "webhook_one_line_report": _measure(
                app.test_client(),
                [("/webhooks/twilio/sms", *_signed("แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")) for _ in range(n)],
                ctx.redis),
        }
    base = results["bare_flask"]["req_per_s"]
    for key in ("webhook_new_conversation", "webhook_one_line_report"):
        results[key]["fraction_of_bare_flask"] = round(results[key]["req_per_s"] / base, 3)
    results["n"] = n
    results["gunicorn"] = in_gunicorn(n)  # the comparison: the same gunicorn setup, 8 connections
    write_results("gateway_path", results)
    return results


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000), indent=2))
