"""Find work whose job was lost and queue it again: our own abandoned-job handling.

RQ requeues an abandoned job only when it has retries left and only after its worker's heartbeat expires;
a job can also vanish when Redis is SIGKILLed between two writes. The sweeper does not trust the queue: the
pending-reports set (Redis, written with the report), the deliveries and broadcast tables and the
unacknowledged cases (the database) say what must still happen, and anything overdue by `sweep_grace_s` with
no live claim or timer is queued again. Every job is
idempotent, so queueing one twice costs a little work and changes nothing.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from redis.exceptions import RedisError
from sqlalchemy import func, select

from centres import digest
from centres.broadcasts import overdue as overdue_broadcasts
from centres.escalation import lost_timers
from reporters.retention import purge_contacts
from reports import keys
from reports.context import Context
from reports.enums import DeliveryStatus
from reports.models import Delivery
from reports.queue import BROADCAST, ESCALATE, NOTIFY, PROCESS_REPORT

log = logging.getLogger("ntswatch.sweeper")

BATCH = 500


@dataclass(frozen=True)
class SweepResult:
    """How much lost work one sweep queued again."""

    reports: int = 0
    deliveries: int = 0
    broadcasts: int = 0
    escalations: int = 0


def sweep(ctx: Context, now: float | None = None) -> SweepResult:
    """Queue again every report, delivery, escalation and broadcast that should have been handled by now."""
    now = time.time() if now is None else now
    cutoff = now - ctx.settings.sweep_grace_s
    jobs = ctx.jobs
    # Work still in the queue is not lost: one read of the queue answers for most of a backlog (a job taken off
    # it since is running, not lost; one added since gets the full check).
    queued = jobs.queued_ids()
    reports = 0
    for raw in ctx.redis.zrangebyscore(keys.PENDING_REPORTS, 0, cutoff, start=0, num=BATCH):
        report_id = str(keys.text(raw))
        call = PROCESS_REPORT(report_id)
        if call.job_id in queued or jobs.waiting(call.job_id or "", keys.PROCESSING(report_id)):
            continue
        jobs.enqueue(call)
        reports += 1
    deliveries = 0
    overdue = datetime.fromtimestamp(cutoff, UTC)
    with ctx.sessions() as session:
        due = func.coalesce(Delivery.next_attempt_at, Delivery.created_at)
        ids = session.execute(select(Delivery.id).where(
            Delivery.status.in_(DeliveryStatus.open()), due < overdue,
        ).order_by(Delivery.created_at).limit(BATCH)).scalars().all()
    for delivery_id in ids:
        call = NOTIFY(delivery_id)
        if call.job_id in queued or jobs.waiting(call.job_id or "", keys.SENDING(delivery_id)):
            continue
        jobs.enqueue(call)
        deliveries += 1
    timers = 0
    for report_id, step in lost_timers(ctx, now):
        jobs.enqueue(ESCALATE(report_id, step, now))
        timers += 1
    broadcasts = 0
    for broadcast_id in overdue_broadcasts(ctx, overdue):
        job_id = f"{BROADCAST(broadcast_id).job_id}-sweep"
        if jobs.waiting(job_id) or ctx.redis.exists(keys.BROADCAST_RUN(broadcast_id)):
            continue  # queued, or a worker is sending it right now
        jobs.enqueue(BROADCAST(broadcast_id), job_id=job_id)
        broadcasts += 1
    if reports or deliveries or broadcasts or timers:
        log.warning("sweeper: queued again %d report(s), %d delivery(ies), %d broadcast(s) and %d escalation "
                    "timer(s) whose job was lost", reports, deliveries, broadcasts, timers)
    return SweepResult(reports, deliveries, broadcasts, timers)


def start_sweeper(ctx: Context) -> threading.Thread:
    """Sweep every `sweep_interval_s` in a daemon thread; one worker at a time sweeps (a Redis lock)."""
    interval = ctx.settings.sweep_interval_s

    def loop() -> None:
        while True:
            time.sleep(interval)
            try:
                if ctx.redis.set(keys.SWEEP_LOCK, os.getpid(), nx=True, ex=max(1, int(interval))):
                    sweep(ctx)
                if ctx.redis.set(keys.RETENTION_LOCK, os.getpid(), nx=True, ex=86400):  # once a day, one worker
                    purge_contacts(ctx)
                if digest.due():
                    digest.send_digests(ctx)  # once per centre and day (a Redis key each)
            except RedisError as exc:
                log.warning("sweeper: redis unavailable (%s)", type(exc).__name__)
            except Exception:
                log.exception("sweeper pass failed")  # the database may be down: next pass

    thread = threading.Thread(target=loop, name="ntswatch-sweeper", daemon=True)
    thread.start()
    return thread
