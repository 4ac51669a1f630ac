"""workers/registry.py and reports/queue.py: every job type has exactly one entry point, RQ can import it by
the name it stores, and ids come from the type (the sweeper derives the same ones)."""

from __future__ import annotations

import importlib

from redis import Redis

from reports import queue
from reports.queue import JobQueue, RetryPolicy
from workers.registry import ENTRIES


def test_every_job_type_is_bound_once_to_an_importable_entry_point() -> None:
    assert sorted(ENTRIES) == sorted(job.name for job in queue.ALL)
    assert len({job.name for job in queue.ALL}) == len(queue.ALL)
    for name, entry in ENTRIES.items():
        module = importlib.import_module(entry.__module__)
        assert getattr(module, entry.__qualname__) is entry, name  # what RQ imports from the stored name
        assert entry.__module__ == "workers.jobs"


def test_jobs_are_enqueued_by_reference_with_their_declared_id_and_retry(redis: Redis) -> None:
    jobs = JobQueue(redis, ENTRIES)
    job_id = jobs.enqueue(queue.PROCESS_REPORT("r-1"))
    assert job_id == "report-r-1"
    stored = jobs.rq.fetch_job("report-r-1")
    assert stored is not None and stored.func_name == "workers.jobs.process_report"
    assert stored.retries_left == queue.PROCESS_RETRY.attempts - 1
    assert jobs.queued_or_scheduled("report-r-1") and jobs.waiting("report-r-1")
    assert not jobs.waiting("report-nobody")


def test_retry_policy_repeats_its_last_interval() -> None:
    policy = RetryPolicy((5, 30), max_attempts=5)
    assert [policy.delay(n) for n in range(1, 6)] == [5, 30, 30, 30, 30]
    assert policy.rq().max == 4 and policy.rq().intervals == [5, 30, 30, 30]
