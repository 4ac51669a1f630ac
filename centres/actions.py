"""What the district working group does with a case: acknowledge, assign to an agency, close — the same rules
and effects whichever surface the member used (an alert button on Telegram or LINE, an SMS command, the web).

Alert buttons carry signed callback data (`a:<action>:<ticket>:<centre>:<signature>`, well under Telegram's
64 bytes) so nobody can forge a button; only members of the case's centre may act, and every action lands in
the hash-chained audit trail. After an action every chat alert of the case shows it: Telegram alerts are edited
in place (buttons gone once closed), LINE groups get a line (LINE messages cannot be edited).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from centres.surfaces import say
from gateway.channels.line import client as line
from gateway.channels.telegram import client as telegram
from i18n.catalog import text as t
from reports import keys, store
from reports.centres_file import Center, MemberRef
from reports.context import Context
from reports.enums import Action, DeliveryStatus, NotifyKind, Outcome, ReportStatus
from reports.models import Delivery, Report, utcnow
from reports.queue import STATUS_UPDATE

log = logging.getLogger("ntswatch.actions")
PREFIX = "a:"
KEYBOARD_ROWS = ((Action.ACK, Action.ASK), (Action.POLICE, Action.IMMIGRATION), (Action.CUSTOMS, Action.OTHER),
                 (Action.RESOLVED,), (Action.FALSE_ALARM, Action.DUPLICATE))
BANGKOK = ZoneInfo("Asia/Bangkok")


def _signature(secret: str, body: str) -> str:
    digest = hmac.new(secret.encode(), body.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode()[:12]


def sign(secret: str, action: str, ticket: str, center_id: str) -> str:
    """Callback data for one alert button."""
    body = f"{PREFIX}{action}:{ticket}:{center_id}"
    return f"{body}:{_signature(secret, body)}"


def verify(secret: str, data: str) -> tuple[Action, str, str] | None:
    """(action, ticket, centre) of genuine callback data, else None."""
    body, _, sig = data.rpartition(":")
    parts = body.split(":")
    if len(parts) != 4 or parts[0] + ":" != PREFIX or parts[1] not in {a.value for a in Action}:
        return None
    if not hmac.compare_digest(sig.encode(), _signature(secret, body).encode()):
        return None
    return Action(parts[1]), parts[2], parts[3]


def keyboard(secret: str, ticket: str, center: Center) -> dict[str, Any]:
    """The buttons under a Telegram alert, labelled in the centre's language."""
    return {"inline_keyboard": [[{"text": t(center.language, f"act_{a}"),
                                  "callback_data": sign(secret, a, ticket, center.id)} for a in row]
                                for row in KEYBOARD_ROWS]}


def buttons(secret: str, ticket: str, center: Center) -> list[tuple[str, str]]:
    """The same actions as (label, signed data) pairs, for LINE's postback buttons."""
    return [(t(center.language, f"act_{a}"), sign(secret, a, ticket, center.id)) for row in KEYBOARD_ROWS
            for a in row]


def apply(ctx: Context, ticket: str, action: Action, center_id: str, member: MemberRef,
          surface: str) -> Outcome:
    """Move the case on (new → acknowledged → assigned → closed): DONE, CLOSED (nothing changed) or MISSING."""
    status = action.status
    if status is None:
        raise ValueError(f"{action} is not a change of status")
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None or report.center_id != center_id:
            return Outcome.MISSING
        if report.status == ReportStatus.CLOSED:
            return Outcome.CLOSED
        report.status = status
        store.audit(session, str(status), report.id, member.actor(surface),
                    {"action": str(action), "detail": action.detail, "at": utcnow().isoformat()})
        report_id = report.id
    ctx.redis.set(keys.TICKET_STATUS(ticket), str(status), ex=keys.TICKET_STATUS.ttl_s)
    ctx.jobs.enqueue(STATUS_UPDATE(report_id, str(status)))
    return Outcome.DONE


def done_line(center: Center, member: MemberRef, action: Action) -> str:
    """"Somchai (head): Acknowledge, 14:05" in the centre's language."""
    now = datetime.now(BANGKOK).strftime("%H:%M")
    return t(center.language, "act_done", name=member.shown, role=member.role,
             action=t(center.language, f"act_{action}"), time=now)


def apply_action(ctx: Context, ticket: str, action: Action, center_id: str, member: MemberRef,
                 origin: dict[str, Any]) -> Outcome:
    """A member's action from a button (the job behind a press): apply it, then show it on every chat alert of
    the case and answer where it was pressed when nothing was changed."""
    center = ctx.centers.get(center_id)
    surface = str(origin.get("surface") or "web")
    outcome = apply(ctx, ticket, action, center_id, member, surface)
    if outcome is Outcome.DONE:
        announce(ctx, ticket, action, center_id, member, surface, origin)
    elif origin.get("surface") == "line":  # on Telegram the button's toast already said it
        text = t(center.language, "act_not_allowed") if outcome is Outcome.CLOSED else \
            t(center.language, "status_unknown", ticket=ticket)
        say(ctx, origin, text)
    return outcome


def announce(ctx: Context, ticket: str, action: Action, center_id: str, member: MemberRef, surface: str,
             origin: dict[str, Any] | None = None) -> int:
    """Show who did what on every chat alert of the case: Telegram alerts edited (buttons gone once closed), a
    line in each LINE group (with the press's reply token in its own group). Returns how many were updated."""
    center = ctx.centers.get(center_id)
    line_text = done_line(center, member, action)
    marker = "" if surface in ("telegram", "line") else \
        f" ({t(center.language, 'via_web' if surface in ('web', 'api') else 'via_sms')})"
    closed = action.status == ReportStatus.CLOSED
    updated = 0
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none()
        if report is None:
            return 0
        alerts = session.execute(select(Delivery).where(Delivery.report_id == report.id,
                                                        Delivery.status == DeliveryStatus.SENT)).scalars().all()
        for d in alerts:
            if d.target.get("partner"):
                continue  # partners read a redacted alert and never act
            if d.channel == NotifyKind.TELEGRAM and d.provider_message_id and d.provider_message_id.isdigit():
                d.text = f"{d.text}\n{line_text}{marker}"
                markup = None if closed else keyboard(ctx.settings.secret_key, ticket, center)
                telegram.edit(ctx.settings, int(d.target["chat_id"]), int(d.provider_message_id), d.text, markup)
                updated += 1
            elif d.channel == NotifyKind.LINE:
                text = f"#{ticket} {line_text}{marker}"
                if origin and origin.get("surface") == "line" and origin.get("to") == d.target["to"] \
                        and origin.get("reply_token"):
                    say(ctx, origin, text, key=f"{d.id}:{action}")
                else:
                    line.push(ctx.settings, d.target["to"], [line.text_message(text)],
                              line.retry_key(f"{d.id}:{action}"))
                updated += 1
    return updated


def refuse(ctx: Context, ticket: str, center_id: str, surface: str, who: str, reply_token: str = "") -> None:
    """Keep a refused attempt in the audit trail (who tried, from where; no message content); on LINE, say so
    (on Telegram the button's toast says it)."""
    with ctx.sessions.begin() as session:
        report = session.execute(select(Report).where(Report.ticket == ticket)).scalar_one_or_none() \
            if ticket else None
        store.audit(session, "refused", report.id if report else None, f"{surface}:{who}"[:64],
                    {"center": center_id, "ticket": ticket})
    if reply_token:
        center = ctx.centers.by_id.get(center_id)
        say(ctx, {"surface": "line", "reply_token": reply_token},
            t(center.language if center else "th", "act_not_member"))
