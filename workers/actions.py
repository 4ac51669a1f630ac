"""What the district working group does with an alert: acknowledge, assign to an agency, close.

Alert buttons carry signed callback data (`a:<action>:<ticket>:<centre>:<signature>`, well under Telegram's
64 bytes) so nobody can forge a button; only members of the alert's centre may act (checked against the
centres file), and every action lands in the hash-chained audit trail.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
import uuid
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from flows import keys
from i18n.catalog import text as t
from reports import store
from reports.centers import Center, Member
from reports.models import Delivery, Report, ReportStatus, utcnow
from workers.context import get_context
from workers.queue import get_queue

log = logging.getLogger("ntswatch.actions")
PREFIX = "a:"
# action -> (new status, detail)
ACTIONS: dict[str, tuple[ReportStatus, str]] = {
    "ack": (ReportStatus.ACKNOWLEDGED, ""),
    "police": (ReportStatus.ASSIGNED, "police"),
    "immigration": (ReportStatus.ASSIGNED, "immigration"),
    "customs": (ReportStatus.ASSIGNED, "customs"),
    "other": (ReportStatus.ASSIGNED, "other"),
    "resolved": (ReportStatus.CLOSED, "resolved"),
    "false_alarm": (ReportStatus.CLOSED, "false_alarm"),
    "duplicate": (ReportStatus.CLOSED, "duplicate"),
}
ASK = "ask"  # not a status change: opens a question to the reporter (workers/relay.py)
KEYBOARD_ROWS = (("ack", ASK), ("police", "immigration"), ("customs", "other"), ("resolved",),
                 ("false_alarm", "duplicate"))


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:12]


def sign(secret: str, action: str, ticket: str, center_id: str) -> str:
    """Callback data for one alert button."""
    body = f"{PREFIX}{action}:{ticket}:{center_id}"
    return f"{body}:{_signature(secret, body)}"


def verify(secret: str, data: str) -> tuple[str, str, str] | None:
    """(action, ticket, centre) of genuine callback data, else None."""
    body, _, sig = data.rpartition(":")
    parts = body.split(":")
    if len(parts) != 4 or parts[0] + ":" != PREFIX or (parts[1] not in ACTIONS and parts[1] != ASK):
        return None
    if not hmac.compare_digest(sig.encode(), _signature(secret, body).encode()):
        return None
    return parts[1], parts[2], parts[3]


def keyboard(secret: str, ticket: str, center: Center) -> dict[str, Any]:
    """The buttons under an alert, labelled in the centre's language."""
    return {"inline_keyboard": [[{"text": t(center.language, f"act_{a}"),
                                  "callback_data": sign(secret, a, ticket, center.id)} for a in row]
                                for row in KEYBOARD_ROWS]}


def buttons(secret: str, ticket: str, center: Center) -> list[tuple[str, str]]:
    """The same actions as (label, signed data) pairs, for LINE's postback buttons."""
    return [(t(center.language, f"act_{a}"), sign(secret, a, ticket, center.id)) for row in KEYBOARD_ROWS
            for a in row]


def member_by_line(center: Center, user_id: str) -> Member | None:
    """The working-group member with this LINE account (centres file, or joined with an invite), if any."""
    found = next((m for m in center.members if m.line_user_id and m.line_user_id == user_id), None)
    if found is None:
        from reports.membership import joined

        with get_context().sessions() as session:
            found = joined(session, center.id, line_user_id=user_id)
    return found


def apply_line_action(ticket: str, action: str, center_id: str, member: dict[str, Any], reply_token: str) -> str:
    """RQ job: apply a postback from a LINE group, then answer in the group who did what (LINE alerts cannot
    be edited in place)."""
    from workers.senders import line

    ctx = get_context()
    center = ctx.centers.by_id[center_id]
    outcome = apply(ticket, action, center_id, member, "line")
    text = {"done": f"#{ticket} {done_line(center, member, action)}" if outcome == "done" else "",
            "closed": t(center.language, "act_not_allowed"),
            "missing": t(center.language, "status_unknown", ticket=ticket)}[outcome]
    if reply_token:
        line.reply(ctx.settings, reply_token, text)
    return outcome


def member_by_telegram(center: Center, user_id: int) -> Member | None:
    """The working-group member with this Telegram account (centres file, or joined with an invite), if any."""
    found = next((m for m in center.members if m.telegram_user_id == user_id), None)
    if found is None:
        from reports.membership import joined

        with get_context().sessions() as session:
            found = joined(session, center.id, telegram_user_id=user_id)
    return found


def refuse(ticket: str, center_id: str, surface: str, who: str, reply_token: str = "") -> None:
    """Keep a refused attempt in the audit trail (who tried, from where; no message content); on LINE, say so."""
    ctx = get_context()
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        store.audit(session, "refused", report.id if report else None, f"{surface}:{who}",
                    {"center": center_id, "ticket": ticket})
    if reply_token:
        from workers.senders import line

        center = ctx.centers.by_id.get(center_id)
        line.reply(ctx.settings, reply_token, t(center.language if center else "th", "act_not_member"))


def apply(ticket: str, action: str, center_id: str, member: dict[str, Any], surface: str) -> str:
    """Move the case on (new → acknowledged → assigned → closed); return "done", "closed" or "missing"."""
    ctx = get_context()
    status, detail = ACTIONS[action]
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None or report.center_id != center_id:
            return "missing"
        if report.status == ReportStatus.CLOSED:
            return "closed"
        report.status = status.value
        event = {"acknowledged": "acknowledged", "assigned": "assigned", "closed": "closed"}[status.value]
        store.audit(session, event, report.id, f"{surface}:{member['role']}:{member['name']}",
                    {"action": action, "detail": detail, "at": utcnow().isoformat()})
        report_id = report.id
    ctx.redis.set(keys.ticket(ticket), status.value, ex=365 * 86400)
    get_queue(ctx.redis).enqueue_call("workers.updates.send_status_update", args=(report_id, status.value),
                                      job_id=f"update-{report_id}-{status.value}")
    return "done"


def done_line(center: Center, member: dict[str, Any], action: str) -> str:
    """"Somchai (head): Acknowledge, 14:05" in the centre's language."""
    now = datetime.now(ZoneInfo("Asia/Bangkok")).strftime("%H:%M")
    return t(center.language, "act_done", name=member["name"] or member["role"], role=member["role"],
             action=t(center.language, f"act_{action}"), time=now)


def announce(ticket: str, action: str, center_id: str, member: dict[str, Any], surface: str) -> int:
    """RQ job: after an officer acted by SMS, show the group who did what — the Telegram alert is edited
    (buttons gone once closed), a LINE group gets a line; return how many alerts were updated."""
    from workers.senders import telegram

    ctx = get_context()
    center = ctx.centers.by_id[center_id]
    line_text = done_line(center, member, action)
    closed = ACTIONS[action][0] == ReportStatus.CLOSED
    updated = 0
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None:
            return 0
        for d in session.execute(select(Delivery).where(Delivery.report_id == report.id,
                                                        Delivery.status == "sent")).scalars():
            if d.channel == "telegram" and d.provider_message_id and d.provider_message_id.isdigit():
                d.text = f"{d.text}\n{line_text} ({surface.upper()})"
                markup = None if closed else keyboard(ctx.settings.secret_key, ticket, center)
                telegram.edit(ctx.settings, int(d.target["chat_id"]), int(d.provider_message_id), d.text, markup)
                updated += 1
            elif d.channel == "line":
                from workers.senders import line

                line.send_alert(ctx.settings, d.target["to"], f"#{ticket} {line_text}", [],
                                str(uuid.uuid5(uuid.NAMESPACE_URL, f"ntswatch:{d.id}:{action}")))
                updated += 1
    return updated


def apply_telegram_action(ticket: str, action: str, center_id: str, member: dict[str, Any], chat_id: int,
                          message_id: int, alert_text: str) -> str:
    """RQ job: apply a button press, then edit the alert so the group sees who did what."""
    from workers.senders import telegram

    ctx = get_context()
    center = ctx.centers.by_id[center_id]
    outcome = apply(ticket, action, center_id, member, "telegram")
    if outcome != "done":
        return outcome
    closed = ACTIONS[action][0] == ReportStatus.CLOSED
    text = f"{alert_text}\n{done_line(center, member, action)}"
    markup = None if closed else keyboard(ctx.settings.secret_key, ticket, center)
    telegram.edit(ctx.settings, chat_id, message_id, text, markup)
    with ctx.sessions.begin() as session:  # the stored alert text follows, for the next edit
        for d in session.execute(select(Delivery).where(Delivery.provider_message_id == str(message_id),
                                                        Delivery.channel == "telegram")).scalars():
            d.text = text
    return outcome
