"""Messages to people that do not ride a webhook answer (chat replies, status updates, relayed questions, the
answer to a spooled message): sent once, each by a job of its own, or — when a job is already running, as for
the "received" update after an alert — tried at once and queued only if that try fails.

The address travels encrypted with NTS_SECRET_KEY (identity stays home, even in Redis and in job data); the
send-once ledger makes a retried job send nothing twice; a provider without credentials is one log line.
"""

from __future__ import annotations

import logging
from typing import Any

from gateway.channels import registry
from gateway.channels.base import ChannelContext
from gateway.channels.sending import NotConfigured, Outgoing, SendError
from reports import sendonce
from reports.context import Context
from reports.identity import decrypt_contact, encrypt_contact
from reports.queue import SEND_REPLY

log = logging.getLogger("ntswatch.outbound")


def transport(ctx: Context) -> ChannelContext:
    """What the channels may use of the context: the settings and Redis."""
    return ChannelContext(ctx.settings, ctx.redis)


def channel_for(ctx: Context, channel: str, address: str) -> str | None:
    """The channel that can carry a message to `address` now (SMS for a USSD reporter), or None."""
    return registry.route(transport(ctx), channel, address)


def queue_message(ctx: Context, out: Outgoing) -> None:
    """Queue `out` (retried with back-off; sent once)."""
    ctx.jobs.enqueue(SEND_REPLY(out.to_json(lambda a: encrypt_contact(ctx.settings.secret_key, a))))


def send_now(ctx: Context, out: Outgoing) -> str:
    """Send `out` from a job that is already running (a worker), sent once; a failure that a retry may cure
    queues it as a job of its own with the retry policy. Saves a job per message in the common case."""
    try:
        return _send_once(ctx, out)
    except Exception as exc:  # a passing failure (provider down, claim held, Redis blinked): the queue retries
        log.info("message on %s queued after a first try failed (%s)", out.channel, type(exc).__name__)
        queue_message(ctx, out)
        return "queued"


def _send_once(ctx: Context, out: Outgoing) -> str:
    try:
        return sendonce.once(ctx.redis, f"reply:{out.dedup_key}", lambda: registry.send(transport(ctx), out),
                             hold_s=ctx.settings.send_claim_s)
    except NotConfigured as exc:
        log.warning("message on %s not sent: %s", out.channel, exc)
        return "not configured"
    except SendError as exc:
        if exc.permanent:
            log.error("message on %s refused for good: %s", out.channel, exc)
            return "refused"
        raise


def send_message(ctx: Context, data: dict[str, Any]) -> str:
    """Send one queued message through its channel; raise to let RQ retry a passing failure."""
    return _send_once(ctx, Outgoing.from_json(data, lambda token: decrypt_contact(ctx.settings.secret_key, token)))
