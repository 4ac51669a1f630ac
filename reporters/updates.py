"""Proactive status updates to the reporter: "the centre has seen your report", "an officer is on it",
"closed", on the channel they used, in their language — unless they chose silence (STOP), forgot their
number (FORGET), or the contact is gone. Silence matters: a seized phone must not show the conversation.
"""

from __future__ import annotations

import logging

from gateway.channels.sending import Outgoing
from i18n.catalog import text as t
from reporters.outbound import channel_for, queue_message, send_now
from reports import keys, store
from reports.context import Context
from reports.identity import decrypt_contact
from reports.models import Report, Reporter

log = logging.getLogger("ntswatch.updates")

UPDATES = {"received": "update_received", "acknowledged": "update_acknowledged", "assigned": "update_assigned",
           "closed": "update_closed"}


def _text(ctx: Context, report: Report, lang: str, status: str) -> str:
    if status != "received":
        return t(lang, UPDATES[status], ticket=report.ticket)
    center = ctx.centers.by_id.get(report.center_id)
    district = ctx.gazetteer.district_name(center.districts[0], lang) if center and center.districts else None
    if not district:  # the national desk (place not resolved) or a centre without a known district
        return t(lang, "update_received_national", ticket=report.ticket)
    return t(lang, "update_received", ticket=report.ticket, district=district)


def send_status_update(ctx: Context, report_id: str, status: str, now: bool = False) -> str:
    """Tell the reporter their case moved to `status` (once per report and status). `now`: send it from this
    (worker) process at once, queueing it only if that fails; otherwise queue it."""
    if status not in UPDATES:
        return "no update for this status"
    if status not in ctx.settings.reporter_updates:
        return "not sent on this gateway"  # NTS_REPORTER_UPDATES (each one is an SMS someone pays for)
    with ctx.sessions.begin() as session:
        report = session.get(Report, report_id)
        reporter = session.get(Reporter, report.reporter_id) if report else None
        if report is None or reporter is None or not reporter.contact_enc:
            return "no contact"
        silent = ctx.redis.hget(keys.PROFILE(reporter.id), "silent") == "1"
        if silent:
            store.audit(session, "update_withheld", report.id, "worker", {"status": status, "reason": "silence"})
            return "silent"
        address = decrypt_contact(ctx.settings.secret_key, reporter.contact_enc)
        channel = channel_for(ctx, reporter.channel, address)
        if channel is None:
            return "no channel"
        if not ctx.redis.set(keys.UPDATE_SENT(report_id, status), 1, nx=True, ex=keys.UPDATE_SENT.ttl_s):
            return "already sent"
        text = _text(ctx, report, reporter.language, status)
        store.audit(session, "update_sent", report.id, "worker", {"status": status, "channel": channel})
    out = Outgoing(channel, address, text, f"update-{report_id}-{status}")
    if now:
        return send_now(ctx, out)
    queue_message(ctx, out)
    return "queued"
