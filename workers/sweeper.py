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
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry
from sqlalchemy import func, select

from flows import keys
from reports.models import Delivery, DeliveryStatus
from workers import digest
from workers.broadcasts import overdue as overdue_broadcasts
from workers.context import Context
from workers.escalation import lost_timers
from workers.queue import PROCESS_RETRY, get_queue
from workers.retention import purge_contacts

log = logging.getLogger("ntswatch.sweeper")

BATCH = 500
RETENTION_LOCK = "nts:retention:lock"


@dataclass(frozen=True)
class SweepResult:
    """How much lost work one sweep queued again."""

    reports: int = 0
    deliveries: int = 0
    broadcasts: int = 0
    escalations: int = 0


def _job_waiting(ctx: Context, job_id: str, claim_key: str) -> bool:
    """True when the job is queued, scheduled, or running in a live worker (its claim is held)."""
    try:
        status = Job.fetch(job_id, connection=ctx.redis).get_status()
    except NoSuchJobError:
        return False
    queue = get_queue(ctx.redis)
    if status == JobStatus.QUEUED:
        # A worker killed between taking the job off the queue and starting it leaves it "queued" but in no
        # queue (RQ's intermediate list, cleaned only by a later maintenance pass): lost, for our purposes.
        return ctx.redis.lpos(queue.key, job_id) is not None
    if status == JobStatus.SCHEDULED:
        return ctx.redis.zscore(ScheduledJobRegistry(queue=queue).key, job_id) is not None
    if status == JobStatus.DEFERRED:
        return True
    return status == JobStatus.STARTED and bool(ctx.redis.exists(claim_key))


def sweep(ctx: Context, now: float | None = None) -> SweepResult:
    """Queue again every report and delivery that should have been handled by now."""
    now = time.time() if now is None else now
    cutoff = now - ctx.settings.sweep_grace_s
    queue = get_queue(ctx.redis)
    reports = 0
    for raw in ctx.redis.zrangebyscore(keys.PENDING_REPORTS, 0, cutoff, start=0, num=BATCH):
        report_id = raw.decode() if isinstance(raw, bytes) else str(raw)
        if _job_waiting(ctx, f"report-{report_id}", keys.processing(report_id)):
            continue
        queue.enqueue_call("workers.jobs.process_report", args=(report_id,), job_id=f"report-{report_id}",
                           retry=PROCESS_RETRY, result_ttl=3600, failure_ttl=30 * 86400)
        reports += 1
    deliveries = 0
    overdue = datetime.fromtimestamp(cutoff, UTC)
    with ctx.sessions() as session:
        due = func.coalesce(Delivery.next_attempt_at, Delivery.created_at)
        ids = session.execute(select(Delivery.id).where(
            Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value]), due < overdue,
        ).order_by(Delivery.created_at).limit(BATCH)).scalars().all()
    for delivery_id in ids:
        if _job_waiting(ctx, f"notify-{delivery_id}", keys.sending(delivery_id)):
            continue
        queue.enqueue_call("workers.jobs.notify_delivery", args=(delivery_id,), job_id=f"notify-{delivery_id}",
                           result_ttl=3600, failure_ttl=30 * 86400)
        deliveries += 1
    timers = 0
    for report_id, step in lost_timers(now):
        queue.enqueue_call("workers.escalation.escalate", args=(report_id, step, now),
                           job_id=f"escalate-{report_id}-{step}", result_ttl=86400, failure_ttl=30 * 86400)
        timers += 1
    broadcasts = 0
    for broadcast_id in overdue_broadcasts(ctx, overdue):
        job_id = f"broadcast-{broadcast_id}-sweep"
        if _job_waiting(ctx, job_id, keys.sending(f"bc-run-{broadcast_id}")) or \
                ctx.redis.exists(keys.sending(f"bc-run-{broadcast_id}")):
            continue  # queued, or a worker is sending it right now
        queue.enqueue_call("workers.broadcasts.send_batch", args=(broadcast_id,), job_id=job_id, result_ttl=60)
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
                if ctx.redis.set(RETENTION_LOCK, os.getpid(), nx=True, ex=86400):  # once a day, one worker
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
