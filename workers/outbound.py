"""Replies and messages to reporters that do not ride the webhook response: one job per message.

The reporter's address travels encrypted (NTS_SECRET_KEY); a dedup key makes a retried job send once.
"""

from __future__ import annotations

import logging

from flows import keys
from reports.identity import decrypt_contact, encrypt_contact
from workers.context import Context, get_context
from workers.queue import get_queue
from workers.senders import NotConfigured, SendError

log = logging.getLogger("ntswatch.outbound")
RETRY_INTERVALS = [5, 30, 120, 600]


def queue_reply(ctx: Context, channel: str, address: str, text: str, dedup_key: str,
                options: list[list[str]] | None = None) -> None:
    """Queue `text` for `address` on `channel` (retried with back-off; sent once); `options` become buttons
    where the channel has them."""
    from rq import Retry

    token = encrypt_contact(ctx.settings.secret_key, address)
    get_queue(ctx.redis).enqueue_call("workers.outbound.send_reply",
                                      args=(channel, token, text, dedup_key, options or []),
                                      job_id=f"reply-{dedup_key}"[:120].replace(":", "-"),
                                      retry=Retry(max=len(RETRY_INTERVALS), interval=RETRY_INTERVALS))


def send_reply(channel: str, contact_token: str, text: str, dedup_key: str,
               options: list[list[str]] | None = None) -> str:
    """Send one reply through the channel's adapter; raise to let RQ retry a passing failure."""
    ctx = get_context()
    sent_key = keys.sending("reply:" + dedup_key) + ":sent"
    if ctx.redis.get(sent_key) is not None:
        return "already sent"
    from gateway.channels.registry import adapter  # here: the channels themselves queue replies

    send = adapter(channel).send
    if send is None:
        raise NotConfigured(f"channel {channel} cannot send outside a reply")
    address = decrypt_contact(ctx.settings.secret_key, contact_token)
    try:
        provider_id = send(ctx, address, text, options or [])
    except SendError as exc:
        if exc.permanent:
            log.error("reply on %s refused for good: %s", channel, exc)
            return "refused"
        raise
    ctx.redis.set(sent_key, provider_id, ex=7 * 86400)
    return provider_id


def reply_channel(ctx: Context, channel: str, address: str) -> str | None:
    """The channel that can carry an answer now: the reporter's own, or SMS for USSD (sessions are short) and
    for a phone number given as channel "sms" (duty officers)."""
    from gateway.channels.registry import ADAPTERS, adapter

    if channel in {a.name for a in ADAPTERS} and adapter(channel).send is not None:
        return channel
    if not address.startswith("+"):
        return None
    return sms_channel(ctx)


def sms_channel(ctx: Context) -> str | None:
    """The channel that sends an SMS from this gateway: Twilio when configured, else the Android gateway."""
    settings = ctx.settings
    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        return "twilio"
    if settings.smsgateway_api_base:
        return "smsgateway"
    return None
