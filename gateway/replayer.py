"""Drain the spool into the normal intake path once Redis answers again (`ntswatch spool replay`).

Records replay in the order they were written across every process's file, through `intake.accept` — the
same dedup, flow step and report queueing as a live webhook — so a message the provider also redelivered
after the outage is handled once. The reporter's answer (the next question, or the ticket) goes out as a
queued outbound message on their channel; USSD sessions are over by then, so USSD answers go by SMS.
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from flows.engine import Engine
from gateway.channels.sending import Outgoing
from gateway.intake import accept
from gateway.metrics import SPOOL
from gateway.spool import Record, Spool
from reporters.outbound import channel_for, queue_message
from reports.context import Context

log = logging.getLogger("ntswatch.replayer")


@dataclass(frozen=True)
class DrainResult:
    """What one pass did."""

    replayed: int = 0
    duplicates: int = 0
    files: int = 0


def replay(ctx: Context, engine: Engine, record: Record) -> bool:
    """Feed one record through intake; True when it was new (not handled before)."""
    msg = record.msg
    accepted = accept(ctx, engine, msg)
    if accepted.duplicate:
        return False
    if accepted.reply and accepted.reply.text:
        channel = channel_for(ctx, msg.channel, msg.address)
        if channel is None:
            log.warning("spooled %s message: no channel can carry the answer now", msg.channel)
        else:
            digest = hashlib.sha256(f"{msg.channel}|{msg.provider_id}".encode()).hexdigest()[:32]
            queue_message(ctx, Outgoing(channel, msg.address, accepted.reply.text, f"spool-{digest}",
                                        options=accepted.reply.options))
    return True


def drain(ctx: Context, engine: Engine, spool: Spool) -> DrainResult:
    """Replay every spooled record in write order; files are deleted only after all their records went in.

    Raises Redis errors when Redis drops again mid-way: the files stay and the next pass starts over
    (records already handled come back as duplicates and change nothing).
    """
    if not spool.pending_files():
        return DrainResult()
    with spool.replayer_lock() as mine:
        if not mine:
            return DrainResult()  # another replayer on this host has it
        ctx.redis.ping()
        return _drain_locked(ctx, engine, spool)


def _drain_locked(ctx: Context, engine: Engine, spool: Spool) -> DrainResult:
    files = spool.take()
    records = [r for path in files for r in spool.read(path)]
    records.sort(key=lambda r: (r.written_at, r.seq))
    new = 0
    for record in records:
        if replay(ctx, engine, record):
            new += 1
    for path in files:
        path.unlink(missing_ok=True)
    SPOOL.labels("replayed").inc(new)
    SPOOL.labels("duplicate").inc(len(records) - new)
    if records:
        log.info("spool: replayed %d message(s), %d already handled, from %d file(s)", new, len(records) - new,
                 len(files))
    return DrainResult(new, len(records) - new, len(files))
