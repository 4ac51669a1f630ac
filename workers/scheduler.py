"""RQ's scheduler (retries, back-off, escalation timers) in a thread of the worker, not a forked process.

`Worker.work(with_scheduler=True)` forks a scheduler process: a second copy of the worker, ~115 MB of RSS on
a box that has 2 GB for everything. The scheduler's loop is small and mostly sleeps, so it runs here in a
daemon thread with the same locks as RQ's own: one scheduler per queue across all workers, taken over by
another worker when its holder dies (the lock expires with the holder's heartbeat).
"""

from __future__ import annotations

import atexit
import logging
import threading

from redis.exceptions import RedisError
from rq.scheduler import RQScheduler

from reports.context import Context

log = logging.getLogger("ntswatch.scheduler")


def start_scheduler(ctx: Context, stop: threading.Event | None = None) -> RQScheduler:
    """Move due scheduled jobs to the queue every second, in a daemon thread, until `stop` is set (then the
    lock is released for another worker); the scheduler."""
    scheduler = RQScheduler([ctx.jobs.rq], connection=ctx.jobs.redis)
    stopping = stop or threading.Event()

    def loop() -> None:
        while not stopping.is_set():
            try:
                if not scheduler.acquired_locks:
                    # Every pass, not RQ's every ten minutes: a worker restarted after its predecessor was
                    # killed takes the lock as soon as the old one expires (61 s).
                    scheduler.acquire_locks()  # never auto_start: that would fork
                if scheduler.acquired_locks:
                    scheduler.heartbeat()
                    scheduler.enqueue_scheduled_jobs()
            except RedisError as exc:
                log.warning("scheduler: redis unavailable (%s)", type(exc).__name__)
            except Exception:
                log.exception("scheduler pass failed")
            stopping.wait(scheduler.interval)
        scheduler.release_locks()

    atexit.register(_release, scheduler)  # a stopped worker hands the lock on at once
    threading.Thread(target=loop, name="ntswatch-scheduler", daemon=True).start()
    return scheduler


def _release(scheduler: RQScheduler) -> None:
    try:
        scheduler.release_locks()
    except RedisError:
        pass  # Redis is gone too: the lock expires by itself
