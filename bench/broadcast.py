"""Broadcast benchmark: does a broadcast keep each channel's rate, and what does sending once per person cost?

A real redis-server, SQLite, local Telegram and Twilio servers (they stamp each request's arrival). One
centre with N Telegram and M SMS subscribers. Three runs in this process:

- limited: the configured rates (default Telegram 50/s, SMS 5/s); figures per channel: sends, seconds from
  first to last, achieved rate, the most sends that reached the provider within any one second;
- unlimited: rates far above what the machine does, so the ledger (claim, marker, row) sets the pace;
- baseline: the same messages sent straight through the channel adapters in a loop, no ledger, no limit.

Results: bench/results/broadcast.json. `python -m bench.broadcast [--telegram 600 --sms 60]`.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.common import bench_context, derived, redis_server, write_results
from centres import broadcasts
from gateway.channels.base import ChannelContext
from gateway.channels.registry import adapter
from gateway.channels.sending import Outgoing
from reports.context import Context, install
from reports.db import upgrade
from reports.identity import encrypt_contact
from reports.models import Reporter, Subscription
from tests.fakes.http_api import FakeAPI, start_fake_api
from tests.fakes.telegram_api import FakeTelegram, start_fake_telegram

CENTRES = """fallback: "4803"
centers:
  - id: "4803"
    districts: ["4803"]
    name: "NTS-MWCC Tha Uthen"
    language: th
    notify: [{inbox: {}}]
"""
TEXT = "ศูนย์ฯ อ.ท่าอุเทน: งานข้ามแดนเงินดี ไปฟรี มักเป็นกับดักค้ามนุษย์ ถามศูนย์ฯ ก่อนไป"


def add_subscribers(ctx: Context, telegram: int, sms: int) -> None:
    """Subscribed villagers of Tha Uthen: `telegram` on Telegram, `sms` by SMS (Twilio)."""
    key = ctx.settings.secret_key
    with ctx.sessions.begin() as session:
        people = [(f"R-TG{n:08d}", "telegram", f"tg:{900000 + n}") for n in range(telegram)] + \
                 [(f"R-SM{n:08d}", "twilio", f"+6681{n:07d}") for n in range(sms)]
        session.add_all([Reporter(id=pid, channel=channel, language="th", report_count=0,
                                  contact_enc=encrypt_contact(key, address)) for pid, channel, address in people])
        session.flush()
        session.add_all([Subscription(reporter_id=pid, district_code="4803") for pid, _, _ in people])


def drain(ctx: Context, broadcast_id: str) -> float:
    """Run the broadcast's jobs in this process until done (sleeping where a continuation would wait)."""
    started = time.monotonic()
    while True:
        outcome = broadcasts.send_batch(ctx, broadcast_id)
        if outcome == "done":
            return time.monotonic() - started
        if outcome.startswith("continues in"):
            time.sleep(min(float(outcome.split()[2]), 5.0))
        ctx.jobs.rq.empty()  # the continuation we just ran ourselves


def window_figures(stamps: list[float], rate: float) -> dict[str, Any]:
    """Sends, duration, achieved rate, and the most sends that arrived within any one second."""
    stamps = sorted(stamps)
    if not stamps:
        return {"sends": 0}
    busiest, j = 0, 0
    for i, s in enumerate(stamps):
        while stamps[j] <= s - 1.0:  # a second is (s - 1, s]
            j += 1
        busiest = max(busiest, i - j + 1)
    span = stamps[-1] - stamps[0]
    return {"sends": len(stamps), "seconds": round(span, 2),
            "per_s": round((len(stamps) - 1) / span, 1) if span else None,
            # The limiter spaces the starts of sends; arrivals jitter by a few ms, so a second's edge may hold
            # one more (the fixed windows it replaced let twice the rate through).
            "allowed_in_a_second": max(1, math.ceil(rate)) + 1, "max_in_any_second": busiest}


def stamps_of(telegram: FakeTelegram, twilio: FakeAPI, since: float) -> tuple[list[float], list[float]]:
    tg = [c.at for c in telegram.sent() if c.at >= since and str(c.params.get("chat_id", "")).startswith("9")]
    sms = [r.at for r in twilio.received("POST", "/2010-04-01/Accounts/") if r.at >= since]
    return tg, sms


def run(n_telegram: int, n_sms: int, tg_rate: float, sms_rate: float) -> dict[str, Any]:
    """The three runs; returns the figures."""
    telegram, twilio = start_fake_telegram(), start_fake_api()
    counter = iter(range(1, 10**7))
    twilio.route("POST", "/2010-04-01/Accounts/*", lambda req: (201, {
        "sid": f"SM{next(counter):032x}", "status": "queued", "to": req.body.get("To"), "from": req.body.get("From"),
        "body": req.body.get("Body"), "account_sid": "AC" + "1" * 32, "num_segments": "2"}))
    with tempfile.TemporaryDirectory(prefix="ntswatch-broadcast-") as tmp, redis_server(tmp) as url:
        (Path(tmp) / "centers.yaml").write_text(CENTRES)
        ctx = bench_context(url, tmp, centers_file=str(Path(tmp) / "centers.yaml"),
                            telegram_bot_token="123456:bench", telegram_api_base=telegram.base_url,
                            twilio_account_sid="AC" + "1" * 32, twilio_auth_token="bench", twilio_from="+6640001234",
                            twilio_api_base=twilio.base_url, broadcast_rates={"telegram": tg_rate, "sms": sms_rate})
        install(ctx)
        upgrade(ctx.engine)
        add_subscribers(ctx, n_telegram, n_sms)
        center = ctx.centers.by_id["4803"]
        results: dict[str, Any] = {"subscribers": {"telegram": n_telegram, "sms": n_sms}}

        since = time.time()
        broadcast_id, _, count = broadcasts.create(ctx, center, {"th": TEXT}, "subscribers", "bench")
        ctx.jobs.rq.empty()
        elapsed = drain(ctx, broadcast_id)
        tg, sms = stamps_of(telegram, twilio, since)
        results["limited"] = {"rates": {"telegram": tg_rate, "sms": sms_rate}, "seconds": round(elapsed, 2),
                              "telegram": window_figures(tg, tg_rate), "sms": window_figures(sms, sms_rate)}
        with ctx.sessions() as session:
            results["limited"]["rows"] = broadcasts.summary(session, broadcast_id)
        assert count == n_telegram + n_sms

        fast = derived(ctx, broadcast_rates={"telegram": 1e6, "sms": 1e6})
        install(fast)
        since = time.time()
        broadcast_id, _, _ = broadcasts.create(fast, center, {"th": TEXT}, "subscribers", "bench")
        fast.jobs.rq.empty()
        elapsed = drain(fast, broadcast_id)
        results["unlimited"] = {"seconds": round(elapsed, 2), "per_s": round(count / elapsed, 1),
                                "ms_per_send": round(elapsed / count * 1000, 2)}

        started = time.monotonic()  # baseline: straight through the adapters, no ledger, no limit
        transport = ChannelContext(fast.settings, fast.redis)
        send_telegram, send_sms = adapter("telegram").send, adapter("twilio").send
        assert send_telegram is not None and send_sms is not None
        for n in range(n_telegram):
            send_telegram(transport, Outgoing("telegram", f"tg:{900000 + n}", f"{TEXT} x", f"b{n}"))
        for n in range(n_sms):
            send_sms(transport, Outgoing("twilio", f"+6681{n:07d}", f"{TEXT} x", f"s{n}"))
        elapsed = time.monotonic() - started
        results["baseline_adapters_only"] = {"seconds": round(elapsed, 2), "per_s": round(count / elapsed, 1),
                                             "ms_per_send": round(elapsed / count * 1000, 2)}
        results["ledger_overhead_ms_per_send"] = round(results["unlimited"]["ms_per_send"]
                                                       - results["baseline_adapters_only"]["ms_per_send"], 2)
    for server in (telegram.server, twilio.server):
        if server is not None:
            server.shutdown()
    return results


def main() -> int:
    """Run and write bench/results/broadcast.json; fail when a window held more than its limit."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--telegram", type=int, default=600)
    parser.add_argument("--sms", type=int, default=60)
    parser.add_argument("--telegram-rate", type=float, default=50.0)
    parser.add_argument("--sms-rate", type=float, default=5.0)
    args = parser.parse_args()
    results = run(args.telegram, args.sms, args.telegram_rate, args.sms_rate)
    path = write_results("broadcast", results)
    limited = results["limited"]
    for channel in ("telegram", "sms"):
        f = limited[channel]
        print(f"{channel}: {f['sends']} sends in {f['seconds']} s = {f['per_s']}/s (limit "
              f"{limited['rates'][channel]}/s; most in any second {f['max_in_any_second']})")
    print(f"unlimited: {results['unlimited']['per_s']}/s, {results['unlimited']['ms_per_send']} ms a send; "
          f"baseline (adapters only): {results['baseline_adapters_only']['per_s']}/s, "
          f"{results['baseline_adapters_only']['ms_per_send']} ms; ledger overhead "
          f"{results['ledger_overhead_ms_per_send']} ms a send -> {path}")
    ok = all(limited[c]["max_in_any_second"] <= limited[c]["allowed_in_a_second"] for c in ("telegram", "sms"))
    return 0 if ok and limited["rows"] == {"sent": args.telegram + args.sms} else 1


if __name__ == "__main__":
    raise SystemExit(main())
