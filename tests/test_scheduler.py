"""workers/scheduler.py: RQ's scheduler as a thread of the worker. A job scheduled a second ahead reaches the
queue on time; of two workers' schedulers one holds the queue's lock, and the other takes over when it stops."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta

from reports.context import Context
from reports.queue import RECEIPT
from workers.scheduler import start_scheduler


def _wait(predicate: object, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if callable(predicate) and predicate():
            return True
        time.sleep(0.05)
    return False


def test_a_scheduled_job_reaches_the_queue_on_time(ctx: Context) -> None:
    ctx.jobs.rq.empty()
    job_id = ctx.jobs.enqueue(RECEIPT("twilio", "SMx", "delivered", ""), at=datetime.now(UTC) + timedelta(seconds=1))
    assert job_id is not None and ctx.jobs.rq.count == 0  # waiting in the scheduler, not the queue
    stop = threading.Event()
    start_scheduler(ctx, stop)
    try:
        assert _wait(lambda: job_id in ctx.jobs.queued_ids(), timeout=4)
    finally:
        stop.set()
        time.sleep(1.2)  # its last pass releases the lock


def test_one_scheduler_holds_the_lock_and_another_takes_over(ctx: Context) -> None:
    stop_first, stop_second = threading.Event(), threading.Event()
    first = start_scheduler(ctx, stop_first)
    assert _wait(lambda: bool(first.acquired_locks))
    second = start_scheduler(ctx, stop_second)
    time.sleep(1.5)
    assert not second.acquired_locks  # one scheduler per queue: a job is never moved twice
    stop_first.set()  # the first worker stops: its lock is released, not left to expire
    assert _wait(lambda: bool(second.acquired_locks), timeout=4)
    job_id = ctx.jobs.enqueue(RECEIPT("twilio", "SMy", "delivered", ""), at=datetime.now(UTC) + timedelta(seconds=1))
    assert _wait(lambda: job_id in ctx.jobs.queued_ids(), timeout=4)
    stop_second.set()
