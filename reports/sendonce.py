"""The one send-once primitive: claim → provider call → `sent` marker.

Every outbound message (alerts, replies, relayed questions and answers, broadcasts, digests) goes through
it, so a retried job or two workers racing never send the same thing twice:

1. a claim (SET NX with a TTL) keeps other workers off the send while one makes the call; a worker killed
   mid-call loses its claim after the TTL, and the send is tried again;
2. the `sent` marker, written the moment the provider accepted, holds the provider's message id; a retry
   that finds it returns that id without calling the provider;
3. callers that keep a ledger of record (a delivery row, a broadcast send row) write it after the marker;
   a crash between the two is healed by the marker on the next run.

The window that remains is between the provider's acceptance and the marker (a few milliseconds): a
worker SIGKILLed there sends again on retry. Providers with an idempotency key (LINE's X-Line-Retry-Key,
the Android gateway's message id) close it; Telegram and Twilio have none.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from redis import Redis
from redis.exceptions import RedisError

from reports import keys

log = logging.getLogger("ntswatch.sendonce")


class SendBusy(Exception):
    """Another worker holds the claim on this send right now (the caller's job may retry later)."""


@dataclass(frozen=True)
class Ledger:
    """One claimed send: what was sent before, and recording what is sent now."""

    redis: Redis
    name: str

    def already(self) -> str | None:
        """The provider id of an earlier accepted send, or None."""
        raw = self.redis.get(keys.SENT(self.name))
        if raw is None:
            return None
        return raw.decode() if isinstance(raw, bytes) else str(raw)

    def record(self, provider_id: str) -> None:
        """Remember the provider accepted it; a Redis outage here must not undo a ledger of record."""
        try:
            self.redis.set(keys.SENT(self.name), provider_id or "sent", ex=keys.SENT.ttl_s)
        except RedisError as exc:
            log.warning("sent marker not written (%s); the caller's ledger keeps the outcome", type(exc).__name__)


@contextmanager
def claimed(redis: Redis, name: str, hold_s: int | None = None) -> Iterator[Ledger | None]:
    """Hold the claim on send `name` for the block; None when another worker holds it."""
    claim = keys.SENDING(name)
    if not redis.set(claim, os.getpid(), nx=True, ex=hold_s or keys.SENDING.ttl_s):
        yield None
        return
    try:
        yield Ledger(redis, name)
    finally:
        try:
            redis.delete(claim)
        except RedisError as exc:  # the claim expires on its own
            log.warning("claim not released (%s)", type(exc).__name__)


def once(redis: Redis, name: str, send: Callable[[], str], hold_s: int | None = None) -> str:
    """Call `send` unless send `name` was accepted before; the provider's message id either way.

    Raises SendBusy while another worker holds the claim, and whatever `send` raises (nothing recorded).
    """
    with claimed(redis, name, hold_s) as ledger:
        if ledger is None:
            raise SendBusy(name)
        earlier = ledger.already()
        if earlier is not None:
            return earlier
        provider_id = send()
        ledger.record(provider_id)
        return provider_id


def was_sent(redis: Redis, name: str) -> bool:
    """Whether send `name` was accepted before."""
    return redis.exists(keys.SENT(name)) > 0
