"""Hand a completed report to the workers: a ticket, the draft in Redis, the job, in one transaction.

Used by the conversation engine, the offline batch upload and the web report page, so all produce the same
`ReportDraft` (reports/draft.py).
"""

from __future__ import annotations

import secrets
import time

from redis import Redis
from redis.client import Pipeline

from reports import keys
from reports.draft import ReportDraft
from reports.queue import PROCESS_REPORT, JobQueue
from reports.tickets import make_ticket


def allocate_ticket(redis: Redis) -> str:
    """A new ticket: random digits (not guessable from the last one), a Damm check digit, unique.

    Six digits of random body (a million tickets) plus the check digit: short enough for a keypad; the
    uniqueness claim in Redis (the ticket's status key) makes a collision draw again.
    """
    for _ in range(20):
        ticket = make_ticket(secrets.randbelow(900_000) + 100_000)
        if redis.set(keys.TICKET_STATUS(ticket), "received", nx=True, ex=keys.TICKET_STATUS.ttl_s):
            return ticket
    # A crowded space (hundreds of thousands of live tickets): one digit longer.
    while True:
        ticket = make_ticket(secrets.randbelow(9_000_000) + 1_000_000)
        if redis.set(keys.TICKET_STATUS(ticket), "received", nx=True, ex=keys.TICKET_STATUS.ttl_s):
            return ticket


PENDING = "pending:"


def claim_client_id(redis: Redis, key: str) -> bool:
    """Claim a phone- or device-made client id before queueing its report (the offline batch, the report page's
    outbox). A claim left pending for a minute (the process died between claim and queue) is taken over, so an
    item is never answered as a duplicate of something that was not stored."""
    if redis.set(key, f"{PENDING}{time.time():.0f}", nx=True, ex=keys.BATCH_CLIENT.ttl_s):
        return True
    seen = keys.text(redis.get(key))
    if seen is not None and seen.startswith(PENDING) and time.time() - float(seen[len(PENDING):]) > 60:
        redis.delete(key)
        return bool(redis.set(key, f"{PENDING}{time.time():.0f}", nx=True, ex=keys.BATCH_CLIENT.ttl_s))
    return False


def open_transaction(jobs: JobQueue) -> Pipeline:
    """A MULTI pipeline RQ's enqueue can join (it cannot start MULTI after commands are queued)."""
    pipe = jobs.redis.pipeline(transaction=True)
    pipe.multi()
    return pipe


def queue_report(jobs: JobQueue, pipe: Pipeline, draft: ReportDraft) -> None:
    """Add the draft, the ticket's first status and the job to `pipe` (the caller executes it)."""
    pipe.set(keys.INTAKE(draft.id), draft.to_json())
    pipe.set(keys.TICKET_STATUS(draft.ticket), "received", ex=keys.TICKET_STATUS.ttl_s)
    pipe.set(keys.TICKET_OWNER(draft.ticket), draft.reporter, ex=keys.TICKET_OWNER.ttl_s)
    pipe.zadd(keys.PENDING_REPORTS, {draft.id: time.time()})  # watched by the sweeper until processed
    jobs.enqueue(PROCESS_REPORT(draft.id), pipeline=pipe)
