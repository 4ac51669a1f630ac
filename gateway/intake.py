"""The dispatcher: every event a channel parsed goes through here once — dedup on the provider id, the abuse
guards, then to the place that decides what it means: the reporters' conversation (flows/), or the centre's
work (centres/events.py) for members' presses, group texts, bot commands and officers' SMS commands.

Redis only for reporters (no database): a duplicate delivery of the same provider message gets the same reply
again and changes nothing.
"""

from __future__ import annotations

import hashlib
import time

from redis.client import Pipeline

from centres import events as centre_events
from flows.engine import Engine
from flows.language import sender_language
from flows.parse import parse_command
from flows.submit import open_transaction
from gateway.channels.events import ButtonPress, Event, GroupText, Inbound, Receipt, Reply, Result
from gateway.metrics import RATE_LIMITED, REPORTS
from i18n.catalog import text as t
from reports import keys
from reports.context import Context
from reports.queue import RECEIPT, RELAY_ANSWER

IN_FLIGHT = "\x00"  # the dedup marker while the first delivery is still being handled

# Abuse guards, checked in the same round trip as dedup: a sender gets at most RATE_LIMIT messages handled
# per window (a polite answer once, then silence), and the same text repeated more than LOOP_LIMIT times in
# 30 minutes (an auto-responder talking to us) stops getting answers.
RATE_LIMIT = 30
RATE_WINDOW_S = 600
LOOP_LIMIT = 5
LOOP_MIN_CHARS = 8


class InFlight(Exception):
    """The same provider message is being handled right now (or its handler died < IN_FLIGHT_TTL_S ago)."""


def dispatch(ctx: Context, engine: Engine, event: Event) -> Result:
    """Hand one event to whoever decides what it means; what to answer."""
    if isinstance(event, Inbound):
        return accept(ctx, engine, event)
    if isinstance(event, ButtonPress):
        return Result(toast=centre_events.on_press(ctx, event))
    if isinstance(event, GroupText):
        centre_events.on_group_text(ctx, event)
        return Result()
    if isinstance(event, Receipt):
        ctx.jobs.enqueue(RECEIPT(event.channel, event.provider_message_id, event.status, event.error))
        return Result()
    raise TypeError(f"unknown event {type(event).__name__}")


def _claim(ctx: Context, key: str) -> str | None:
    """Claim a provider id; None when this delivery is the first, else the reply given before (raises
    InFlight while the first is still being handled)."""
    if ctx.redis.set(key, IN_FLIGHT, nx=True, ex=keys.IN_FLIGHT_TTL_S):
        return None
    cached = keys.text(ctx.redis.get(key))
    if cached == IN_FLIGHT:
        raise InFlight(key)
    return cached or ""


def _officer(ctx: Context, msg: Inbound, key: str) -> Result | None:
    """A duty officer's SMS command, applied once; None when `msg` is not one."""
    found = centre_events.officer_of(ctx, msg)
    if found is None:
        return None
    cached = _claim(ctx, key)
    if cached is not None:
        return Result(Reply(cached, ""), duplicate=True)
    try:
        answer = centre_events.officer_reply(ctx, *found, msg=msg)
    except Exception:
        ctx.redis.delete(key)  # the provider's retry (if any) tries again
        raise
    ctx.redis.set(key, answer, ex=ctx.settings.dedup_ttl_s)
    return Result(Reply(answer, found[0].language if found[0] else sender_language(msg)))


def _limited(ctx: Context, msg: Inbound, profile: dict[str, str], count: int, same: int, key: str) -> Result | None:
    """An answer for a sender over the limits (None when within them)."""
    # Keypad answers ("1", "2") repeat in every honest conversation; a loop repeats sentences.
    looping = same > LOOP_LIMIT and len(msg.text.strip()) >= LOOP_MIN_CHARS
    if count <= RATE_LIMIT and not looping:
        return None
    lang = sender_language(msg, profile)
    text = t(lang, "rate_limited") if count == RATE_LIMIT + 1 and not looping else ""
    RATE_LIMITED.labels(msg.channel).inc()
    ctx.redis.set(key, text, ex=ctx.settings.dedup_ttl_s)
    return Result(Reply(text, lang) if text else None)


def _relay_answer(ctx: Context, msg: Inbound, pid: str, pending: str, profile: dict[str, str], key: str) -> Result:
    """The reporter answers a centre's question: carried back by a job, thanked in their language."""
    lang = sender_language(msg, profile)
    text = t(lang, "relay_sent")
    pipe = open_transaction(ctx.jobs)
    ctx.jobs.enqueue(RELAY_ANSWER(pending, pid, msg.text[:1000]), pipeline=pipe)
    pipe.delete(keys.RELAY(pid))
    pipe.set(key, text, ex=ctx.settings.dedup_ttl_s)
    pipe.execute()
    return Result(Reply(text, lang))


def accept(ctx: Context, engine: Engine, msg: Inbound) -> Result:
    """Handle `msg` once; a redelivery returns the first reply (or none while the first is in flight).

    Two round trips for a conversation step: the dedup claim batched with the engine's reads, then the
    engine's write batched with the reply kept for redeliveries.
    """
    key = keys.DEDUP(msg.channel, msg.provider_id)
    officer = _officer(ctx, msg, key)
    if officer is not None:
        return officer
    if centre_events.member_command(ctx, msg):  # JOIN, /invite, /broadcast to the bot: centres/commands.py
        return Result()
    pid = engine.pseudonym(msg)
    rate_key = keys.RATE(pid, int(time.time() // RATE_WINDOW_S))
    same_key = keys.SAME(pid, hashlib.sha256(msg.text.encode("utf-8", "replace")).hexdigest()[:16])
    pipe = ctx.redis.pipeline(transaction=False)
    pipe.set(key, IN_FLIGHT, nx=True, ex=keys.IN_FLIGHT_TTL_S)
    pipe.get(key)
    engine.queue_load(pipe, pid)
    pipe.get(keys.RELAY(pid))
    pipe.incr(rate_key)
    pipe.expire(rate_key, keys.RATE.ttl_s or 0)
    pipe.incr(same_key)
    pipe.expire(same_key, keys.SAME.ttl_s or 0)  # (no EXPIRE NX: the embedded redis-server is 6.2)
    claimed, cached, raw_state, raw_profile, pending, count, _, same, _ = pipe.execute()
    profile = {str(k): str(v) for k, v in (raw_profile or {}).items()}
    if not claimed:
        # A provider's redelivery is not the sender talking again: take it back off the abuse counters
        # (or a message retried while in flight would trip the loop guard and be dropped).
        undo = ctx.redis.pipeline(transaction=False)
        undo.decr(rate_key)
        undo.decr(same_key)
        undo.execute()
        if cached == IN_FLIGHT:
            raise InFlight(msg.provider_id)
        return Result(Reply(cached or "", sender_language(msg, profile)) if cached else None, duplicate=True)
    limited = _limited(ctx, msg, profile, int(count), int(same), key)
    if limited is not None:
        return limited
    if pending and raw_state is None and msg.text.strip() and parse_command(msg.text) is None:
        return _relay_answer(ctx, msg, pid, pending, profile, key)

    def keep_reply(write: Pipeline, reply: str) -> None:
        write.set(key, reply, ex=ctx.settings.dedup_ttl_s)

    try:
        reply = engine.handle(msg, loaded=(raw_state, raw_profile), on_save=keep_reply)
    except Exception:
        ctx.redis.delete(key)  # let the provider's retry (if any) try again
        raise
    if reply.ticket:
        REPORTS.labels(msg.channel, reply.language).inc()
    return Result(reply)
