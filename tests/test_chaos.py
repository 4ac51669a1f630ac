"""The chaos benchmark in its short CI mode: the real stack (gunicorn, two RQ workers, redis-server, the spool
replayer) under SIGKILLs of Redis, a worker and a gunicorn worker and a Telegram outage loses and doubles
nothing. The full run is `make chaos` (bench/results/chaos.json)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench import chaos


@pytest.mark.system
def test_short_chaos_run_loses_nothing_and_doubles_nothing(tmp_path: Path) -> None:
    results = tmp_path / "chaos.json"
    code = chaos.main(["--short", "--results", str(results)])
    run = json.loads(results.read_text())["runs"][0]
    kinds = {f["kind"] for f in run["faults"]}
    assert {"redis_sigkill", "redis_restarted", "worker_sigkill", "telegram_502"} <= kinds
    assert run["accepted"] == run["messages"] == 300
    assert run["spooled"] > 0  # the Redis outage really happened under load
    assert (run["stored"], run["alerted"], run["duplicates_stored"], run["lost"]) == (300, 300, 0, 0), run
    # Telegram has no idempotency key: an alert may go twice only where a worker was SIGKILLed mid-send.
    assert run["duplicates_alerted"] <= run["alert_jobs_killed_mid_send"], run
    assert code == 0
