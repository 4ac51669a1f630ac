"""Dedup on the provider id, then one step of the conversation: the channel-independent request path.

Redis only (no database): a duplicate delivery of the same provider message gets the same reply again and
changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from flows import keys
from flows.engine import Engine, Reply
from flows.inbound import Inbound
from gateway.metrics import REPORTS
from workers.context import Context

IN_FLIGHT = b"\x00"  # the dedup marker while the first delivery is still being handled


@dataclass(frozen=True)
class Accepted:
    """The reply to give, and whether this delivery was a duplicate."""

    reply: str | None
    duplicate: bool
    reply_info: Reply | None = None


def accept(ctx: Context, engine: Engine, msg: Inbound) -> Accepted:
    """Handle `msg` once; a redelivery returns the first reply (or none while the first is in flight)."""
    key = keys.dedup(msg.channel, msg.provider_id)
    ttl = ctx.settings.dedup_ttl_s
    if not ctx.redis.set(key, IN_FLIGHT, nx=True, ex=ttl):
        cached = ctx.redis.get(key)
        text = cached.decode() if isinstance(cached, bytes) and cached != IN_FLIGHT else None
        return Accepted(text, duplicate=True)
    try:
        reply = engine.handle(msg)
    except Exception:
        ctx.redis.delete(key)  # let the provider's retry (if any) try again
        raise
    ctx.redis.set(key, reply.text.encode(), ex=ttl)
    if reply.ticket:
        REPORTS.labels(msg.channel, reply.language).inc()
    return Accepted(reply.text, duplicate=False, reply_info=reply)
