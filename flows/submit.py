"""Hand a completed report to the workers: a ticket, the payload in Redis, the job, in one transaction.

Used by the conversation engine and by the offline batch upload, so both produce the same payload.
"""

from __future__ import annotations

import json
import time
from typing import Any

from redis import Redis
from redis.client import Pipeline

from flows import keys
from reports.tickets import FIRST_SEQUENCE, make_ticket
from workers.queue import enqueue_report

TICKET_STATUS_TTL_S = 90 * 86400


def allocate_ticket(redis: Redis) -> str:
    """The next ticket number (atomic across every gateway process)."""
    pipe = redis.pipeline(transaction=True)
    pipe.set(keys.TICKET_SEQUENCE, FIRST_SEQUENCE - 1, nx=True)
    pipe.incr(keys.TICKET_SEQUENCE)
    return make_ticket(int(pipe.execute()[1]))


def open_transaction(redis: Redis) -> Pipeline:
    """A MULTI pipeline RQ's enqueue can join (it cannot start MULTI after commands are queued)."""
    pipe = redis.pipeline(transaction=True)
    pipe.multi()
    return pipe


def queue_report(redis: Redis, pipe: Pipeline, payload: dict[str, Any]) -> None:
    """Add the payload, the ticket's first status and the job to `pipe` (the caller executes it)."""
    pipe.set(keys.intake(payload["id"]), json.dumps(payload, ensure_ascii=False))
    pipe.set(keys.ticket(payload["ticket"]), "received", ex=TICKET_STATUS_TTL_S)
    pipe.zadd(keys.PENDING_REPORTS, {payload["id"]: time.time()})  # watched by the sweeper until processed
    enqueue_report(redis, pipe, payload["id"])
