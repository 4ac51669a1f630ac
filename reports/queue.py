"""The work queue's contract: every job type with its id format, retry policy and lifetimes, declared once.

Code that hands work to the workers names a `JobType` and its arguments — `jobs.NOTIFY(delivery_id)` — and
mypy checks those arguments against the type's signature. The entry point each type runs is bound by the
composition root (`workers/registry.py` maps every type to its function in `workers/jobs.py`), and the
queue enqueues that function by reference. The sweeper derives job ids from the same types, so an id format
is written once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, ParamSpec

from redis import Redis
from redis.client import Pipeline
from rq import Queue, Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.registry import ScheduledJobRegistry

from reports.keys import DAY

QUEUE_NAME = "ntswatch"
P = ParamSpec("P")


@dataclass(frozen=True)
class RetryPolicy:
    """Seconds to wait before each retry (the last repeats) and how many attempts in all."""

    intervals: tuple[int, ...]
    max_attempts: int | None = None  # None: one attempt more than there are intervals

    @property
    def attempts(self) -> int:
        """Attempts in all, the first included."""
        return self.max_attempts or len(self.intervals) + 1

    def delay(self, attempt: int) -> int:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return self.intervals[min(max(attempt, 1) - 1, len(self.intervals) - 1)]

    def rq(self) -> Retry:
        """The same policy as RQ's automatic retry of a job that raised."""
        retries = self.attempts - 1
        return Retry(max=retries, interval=[self.delay(n) for n in range(1, retries + 1)])


# The retry policies of the project, by what they protect.
PROCESS_RETRY = RetryPolicy((5, 30, 120, 600, 1800))  # storing a report while the database is down
REPLY_RETRY = RetryPolicy((5, 30, 120, 600))  # a message to a reporter
ANSWER_RETRY = RetryPolicy((10, 60, 300, 900))  # a reporter's answer must reach the group through an outage
BROADCAST_RETRY = RetryPolicy((30, 120, 600, 1800), max_attempts=8)  # one broadcast send (in its own ledger)


@dataclass(frozen=True)
class JobType(Generic[P]):
    """One kind of job: its name (the key of its entry point), id format, retry policy and lifetimes.

    A job's id is derived from what it works on, so the sweeper can tell whether it is still queued, and a
    second trigger while it waits only runs the same idempotent job twice (every job checks its ledger).
    """

    name: str
    job_id: Callable[P, str] | None = None
    retry: RetryPolicy | None = None
    result_ttl: int = 3600
    failure_ttl: int = 30 * DAY

    def runs(self, entry: Callable[P, Any]) -> tuple[str, Callable[..., Any]]:
        """(name, entry point) for the registry; mypy checks `entry` takes this job type's arguments."""
        return self.name, entry

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> JobCall:
        """This job with its arguments, ready to enqueue."""
        job_id = self.job_id(*args, **kwargs) if self.job_id is not None else None
        return JobCall(self.name, tuple(args), dict(kwargs), job_id, self)


@dataclass(frozen=True)
class JobCall:
    """A job type with its arguments."""

    name: str
    args: tuple[Any, ...]
    kwargs: dict[str, Any]
    job_id: str | None
    job: JobType[Any] = field(repr=False)


JOB_ID_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


def safe_id(raw: str) -> str:
    """An RQ job id from any text. RQ allows ASCII letters, digits, `-` and `_` (a provider's id with "Û" in it
    made enqueue raise: a 500 to the provider). Text that is not already such an id, or is long, keeps a digest
    of the whole, so two different keys never share a job id (a shared id would replace the waiting job)."""
    if raw and len(raw) <= 120 and all(ch in JOB_ID_CHARS for ch in raw):
        return raw
    kept = "".join(ch if ch in JOB_ID_CHARS else "-" for ch in raw)[:100]
    return f"{kept}-{hashlib.sha256(raw.encode()).hexdigest()[:16]}"


class JobQueue:
    """The one RQ queue, with every job type bound to its entry function."""

    def __init__(self, redis: Redis, entries: Mapping[str, Callable[..., Any]]) -> None:
        self.redis = redis
        self.entries = entries
        self.rq = Queue(QUEUE_NAME, connection=redis)

    def enqueue(self, call: JobCall, *, pipeline: Pipeline | None = None, at_front: bool = False,
                delay_s: float | None = None, at: datetime | None = None, job_id: str | None = None) -> str | None:
        """Queue `call` now, after `delay_s`, or at `at` (RQ's scheduler keeps whole seconds); its job id."""
        func = self.entries[call.name]
        job = call.job
        # The description is what RQ's worker logs for every job: the job's name, never its arguments (they hold
        # invite codes, account ids, relay answers and report text).
        options: dict[str, Any] = {"job_id": job_id or call.job_id, "result_ttl": job.result_ttl,
                                   "failure_ttl": job.failure_ttl, "description": call.name}
        if job.retry is not None:
            options["retry"] = job.retry.rq()
        if delay_s is not None and delay_s > 0:
            at = datetime.now(UTC) + timedelta(seconds=delay_s)
        if at is not None:
            queued = self.rq.enqueue_at(at, func, args=call.args, kwargs=call.kwargs,
                                        **{k: v for k, v in options.items() if v is not None})
            return str(queued.id)
        queued = self.rq.enqueue_call(func, args=call.args, kwargs=call.kwargs, at_front=at_front,
                                      pipeline=pipeline, **options)
        return str(queued.id)

    def waiting(self, job_id: str, claim_key: str | None = None) -> bool:
        """True when the job is queued, scheduled, deferred, or running in a live worker (its claim held).

        A worker killed between taking a job off the queue and starting it leaves it "queued" in no queue
        (RQ's intermediate list, cleaned only by a later maintenance pass): lost, for the sweeper.
        """
        try:
            status = Job.fetch(job_id, connection=self.redis).get_status()
        except NoSuchJobError:
            return False
        if status == JobStatus.QUEUED:
            return self.redis.lpos(self.rq.key, job_id) is not None
        if status == JobStatus.SCHEDULED:
            return self.redis.zscore(ScheduledJobRegistry(queue=self.rq).key, job_id) is not None
        if status == JobStatus.DEFERRED:
            return True
        return status == JobStatus.STARTED and claim_key is not None and bool(self.redis.exists(claim_key))

    def queued_ids(self) -> set[str]:
        """The ids of every job waiting in the queue now, in one round trip (a sweep over a backlog asks about
        hundreds of jobs: one LPOS each walked the whole list)."""
        return {raw.decode() if isinstance(raw, bytes) else str(raw) for raw in self.redis.lrange(self.rq.key, 0, -1)}

    def queued_or_scheduled(self, job_id: str) -> bool:
        """True when the job waits in the queue or in the scheduler (not running)."""
        return self.redis.zscore(self.rq.scheduled_job_registry.key, job_id) is not None or \
            self.redis.lpos(self.rq.key, job_id) is not None


# -- every job type --------------------------------------------------------------------------------------------
# A completed report: resolve the place, route, store, make the deliveries (centres/routing.py).
PROCESS_REPORT: JobType[[str]] = JobType("process_report", lambda report_id: f"report-{report_id}",
                                         retry=PROCESS_RETRY)
# One alert to one centre channel, sent once, in order per channel (centres/delivery.py).
NOTIFY: JobType[[str]] = JobType("notify", lambda delivery_id: f"notify-{delivery_id}")
# The next rung of an unacknowledged case (centres/escalation.py).
ESCALATE: JobType[[str, int, float]] = JobType(
    "escalate", lambda report_id, step, due: f"escalate-{report_id}-{step}", result_ttl=DAY)
# A provider's delivery receipt for a message we sent.
RECEIPT: JobType[[str, str, str, str]] = JobType("receipt")
# Apply a member's action on a case and show it where it was taken (centres/actions.py).
APPLY_ACTION: JobType[[str, str, str, dict[str, Any], dict[str, Any]]] = JobType("apply_action")
# After an action: the other surfaces show it too (the Telegram alert edited, a LINE line).
ANNOUNCE: JobType[[str, str, str, dict[str, Any], str]] = JobType("announce")
# Somebody who is not a member pressed a button or replied to a prompt: audited, told on LINE.
REFUSE: JobType[[str, str, str, str, str]] = JobType("refuse")
# A member's command to the bot: JOIN, /invite, /broadcast (centres/members.py, centres/broadcasts.py).
MEMBER_COMMAND: JobType[[str, str, str, str, str, str]] = JobType("member_command")
# "Ask the reporter": the prompt in the group; the question typed after it; the reporter's answer back.
ASK_PROMPT: JobType[[str, dict[str, Any], str, str, dict[str, Any]]] = JobType("ask_prompt")
ASK_FROM_GROUP: JobType[[dict[str, Any], str, dict[str, Any]]] = JobType("ask_from_group")
RELAY_ANSWER: JobType[[str, str, str]] = JobType("relay_answer", retry=ANSWER_RETRY)
# A message to a reporter outside a webhook answer (reporters/outbound.py).
SEND_REPLY: JobType[[dict[str, Any]]] = JobType(
    "send_reply", lambda message: safe_id(f"reply-{message['dedup_key']}"), retry=REPLY_RETRY)
# "The centre has received / acknowledged / … your report" (reporters/updates.py).
STATUS_UPDATE: JobType[[str, str]] = JobType("status_update",
                                             lambda report_id, status: f"update-{report_id}-{status}")
# FORGET, NEWS and STOP on the reporter's side (reporters/).
FORGET: JobType[[str]] = JobType("forget", lambda pid: f"forget-{pid}")
FORGET_SECOND_PASS_S = 3600 + 120  # FORGET runs again once RQ has dropped the data of jobs finished meanwhile
SUBSCRIBE: JobType[[str, str, str, str, str]] = JobType(
    "subscribe", lambda pid, contact, channel, language, district: f"subscribe-{pid}-{district}")
UNSUBSCRIBE: JobType[[str]] = JobType("unsubscribe", lambda pid: f"unsubscribe-{pid}")
# One run of a broadcast, continued by later runs (centres/broadcasts.py).
BROADCAST: JobType[[str]] = JobType("broadcast", lambda broadcast_id: f"broadcast-{broadcast_id}")

ALL: tuple[JobType[Any], ...] = (PROCESS_REPORT, NOTIFY, ESCALATE, RECEIPT, APPLY_ACTION, ANNOUNCE, REFUSE,
                                 MEMBER_COMMAND, ASK_PROMPT, ASK_FROM_GROUP, RELAY_ANSWER, SEND_REPLY,
                                 STATUS_UPDATE, FORGET, SUBSCRIBE, UNSUBSCRIBE, BROADCAST)
