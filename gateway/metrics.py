"""Prometheus metrics of the gateway (one registry per process; scrape each process)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

INBOUND = Counter("nts_inbound_messages_total", "Webhook requests by channel and outcome", ["channel", "outcome"])
REPORTS = Counter("nts_reports_completed_total", "Reports completed at the gateway", ["channel", "language"])
LATENCY = Histogram("nts_webhook_seconds", "Webhook handling time", ["channel"],
                    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5))
RATE_LIMITED = Counter("nts_rate_limited_total", "Messages not handled: sender over the rate or loop limit",
                       ["channel"])
SPOOL = Counter("nts_spool_records_total", "Messages spooled to disk while Redis was down, and their fate",
                ["outcome"])
