"""The RQ queue, and how the gateway hands a completed report to the workers."""

from __future__ import annotations

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry

QUEUE_NAME = "ntswatch"
# process_report retries when the database is down: 5 s, 30 s, 2 min, 10 min, 30 min.
PROCESS_RETRY = Retry(max=5, interval=[5, 30, 120, 600, 1800])


def get_queue(redis: Redis) -> Queue:
    """The one work queue (jobs are short; one queue keeps ordering simple)."""
    return Queue(QUEUE_NAME, connection=redis)


def enqueue_report(redis: Redis, pipe: Pipeline, report_id: str) -> None:
    """Queue `process_report(report_id)` inside `pipe`, so state, payload and job land in one round trip.

    The job id is derived from the report id: enqueuing the same report twice does not make two jobs.
    """
    get_queue(redis).enqueue_call(
        "workers.jobs.process_report",
        args=(report_id,),
        job_id=f"report-{report_id}",
        retry=PROCESS_RETRY,
        result_ttl=3600,
        failure_ttl=30 * 86400,
        pipeline=pipe,
    )
