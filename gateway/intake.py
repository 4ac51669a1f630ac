"""Dedup on the provider id, then one step of the conversation: the channel-independent request path.

Redis only (no database): a duplicate delivery of the same provider message gets the same reply again and
changes nothing.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass
from typing import Any

from redis.client import Pipeline

from flows import keys
from flows.engine import Engine, Reply
from flows.inbound import Inbound, sender_language
from flows.officer import OfficerCommand, parse_officer_command
from flows.parse import parse_command
from flows.submit import open_transaction
from gateway.metrics import RATE_LIMITED, REPORTS
from i18n.catalog import text as t
from reports.centers import Center, Member
from reports.tickets import is_valid_ticket
from workers.context import Context

IN_FLIGHT = b"\x00"  # the dedup marker while the first delivery is still being handled
# Longer than any request takes; if the process handling it dies, a redelivery after this is handled afresh.
IN_FLIGHT_TTL_S = 30


class InFlight(Exception):
    """The same provider message is being handled right now (or its handler died < IN_FLIGHT_TTL_S ago)."""


@dataclass(frozen=True)
class Accepted:
    """The reply to give, and whether this delivery was a duplicate."""

    reply: str | None
    duplicate: bool
    reply_info: Reply | None = None


def officer_reply(ctx: Context, center: Center, member: Member, command: OfficerCommand, surface: str) -> str:
    """Apply a duty officer's SMS command to a case of their own centre; the answer in the centre's language.

    This is the one request path that touches the database: officers' commands are few and must be
    confirmed, unlike reports, which are queued.
    """
    from workers import actions

    lang = center.language
    if not is_valid_ticket(command.ticket):
        return t(lang, "status_unknown", ticket=command.ticket)
    if command.action == "ask":
        from workers import relay

        asked = relay.ask(command.ticket, center.id, {"name": member.name, "role": member.role}, command.question,
                          {"kind": "sms", "to": member.phone})
        return {"asked": t(lang, "act_asked", ticket=command.ticket),
                "no_contact": t(lang, "act_no_contact", ticket=command.ticket)}.get(
            asked, t(lang, "status_unknown", ticket=command.ticket))
    outcome = actions.apply(command.ticket, command.action, center.id, {"name": member.name, "role": member.role},
                            surface)
    if outcome == "missing":
        return t(lang, "status_unknown", ticket=command.ticket)
    if outcome == "closed":
        return t(lang, "act_not_allowed")
    from workers.queue import get_queue

    get_queue(ctx.redis).enqueue_call("workers.actions.announce", args=(
        command.ticket, command.action, center.id, {"name": member.name, "role": member.role}, surface))
    return f"{t(lang, 'act_received')} {command.ticket}: {t(lang, 'act_' + command.action)}"


# Abuse guards, checked in the same round trip as dedup: a sender gets at most RATE_LIMIT messages handled
# per window (a polite answer once, then silence), and the same text repeated more than LOOP_LIMIT times in
# 30 minutes (an auto-responder talking to us) stops getting answers.
RATE_LIMIT = 30
RATE_WINDOW_S = 600
LOOP_LIMIT = 5
LOOP_WINDOW_S = 1800
LOOP_MIN_CHARS = 8


def _limited(ctx: Context, msg: Inbound, raw_profile: Any, count: int, same: int, key: str,
             ttl: int) -> Accepted | None:
    """An answer for a sender over the limits (None when within them)."""
    # Keypad answers ("1", "2") repeat in every honest conversation; a loop repeats sentences.
    looping = same > LOOP_LIMIT and len(msg.text.strip()) >= LOOP_MIN_CHARS
    if count <= RATE_LIMIT and not looping:
        return None
    lang = sender_language(msg, raw_profile)
    text = t(lang, "rate_limited") if count == RATE_LIMIT + 1 and not looping else None
    RATE_LIMITED.labels(msg.channel).inc()
    ctx.redis.set(key, (text or "").encode(), ex=ttl)
    return Accepted(text, duplicate=False)


def _relay_answer(ctx: Context, msg: Inbound, pid: str, pending: bytes, raw_profile: Any, key: str,
                  ttl: int) -> Accepted:
    """The reporter answers a centre's question: carried back by a job, thanked in their language."""
    from workers.queue import get_queue

    lang = sender_language(msg, raw_profile)
    text = t(lang, "relay_sent")
    pipe = open_transaction(ctx.redis)
    from rq import Retry

    from workers.relay import ANSWER_RETRY_S

    get_queue(ctx.redis).enqueue_call("workers.relay.answer", args=(pending.decode(), pid, msg.text[:1000]),
                                      retry=Retry(max=len(ANSWER_RETRY_S), interval=ANSWER_RETRY_S), pipeline=pipe)
    pipe.delete(keys.relay(pid))
    pipe.set(key, text.encode(), ex=ttl)
    pipe.execute()
    return Accepted(text, duplicate=False)


def accept(ctx: Context, engine: Engine, msg: Inbound) -> Accepted:
    """Handle `msg` once; a redelivery returns the first reply (or none while the first is in flight).

    Two round trips for a conversation step: the dedup claim batched with the engine's reads, then the
    engine's write batched with the reply kept for redeliveries.
    """
    key = keys.dedup(msg.channel, msg.provider_id)
    ttl = ctx.settings.dedup_ttl_s
    if msg.address.startswith("+"):
        officer = ctx.centers.member_by_phone(msg.address)
        command = parse_officer_command(msg.text) if officer else None
        if officer is not None and command is not None:
            if not ctx.redis.set(key, IN_FLIGHT, nx=True, ex=IN_FLIGHT_TTL_S):
                if ctx.redis.get(key) == IN_FLIGHT:
                    raise InFlight(msg.provider_id)
                return Accepted(None, duplicate=True)
            answer = officer_reply(ctx, officer[0], officer[1], command, msg.channel)
            ctx.redis.set(key, answer.encode(), ex=ttl)
            return Accepted(answer, duplicate=False)
    pid = engine.pseudonym(msg)
    window = int(time.time() // RATE_WINDOW_S)
    rate_key = f"nts:rate:{pid}:{window}"
    same_key = f"nts:same:{pid}:{hashlib.sha256(msg.text.encode('utf-8', 'replace')).hexdigest()[:16]}"
    pipe = ctx.redis.pipeline(transaction=False)
    pipe.set(key, IN_FLIGHT, nx=True, ex=IN_FLIGHT_TTL_S)
    pipe.get(key)
    engine.queue_load(pipe, pid)
    pipe.get(keys.relay(pid))
    pipe.incr(rate_key)
    pipe.expire(rate_key, RATE_WINDOW_S * 2)
    pipe.incr(same_key)
    pipe.expire(same_key, LOOP_WINDOW_S)  # (no EXPIRE NX: the embedded redis-server is 6.2)
    claimed, cached, raw_state, raw_profile, pending, count, _, same, _ = pipe.execute()
    if not claimed:
        # A provider's redelivery is not the sender talking again: take it back off the abuse counters
        # (or a message retried while in flight would trip the loop guard and be dropped).
        undo = ctx.redis.pipeline(transaction=False)
        undo.decr(rate_key)
        undo.decr(same_key)
        undo.execute()
        if cached == IN_FLIGHT:
            raise InFlight(msg.provider_id)
        text = cached.decode() if isinstance(cached, bytes) else None
        return Accepted(text, duplicate=True)
    limited = _limited(ctx, msg, raw_profile, int(count), int(same), key, ttl)
    if limited is not None:
        return limited
    if pending and raw_state is None and msg.text.strip() and parse_command(msg.text) is None:
        return _relay_answer(ctx, msg, pid, pending, raw_profile, key, ttl)

    def keep_reply(write: Pipeline, reply: str) -> None:
        write.set(key, reply.encode(), ex=ttl)

    try:
        reply = engine.handle(msg, loaded=(raw_state, raw_profile), on_save=keep_reply)
    except Exception:
        ctx.redis.delete(key)  # let the provider's retry (if any) try again
        raise
    if reply.ticket:
        REPORTS.labels(msg.channel, reply.language).inc()
    return Accepted(reply.text, duplicate=False, reply_info=reply)
