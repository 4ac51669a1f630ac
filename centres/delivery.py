"""Alerting a centre: one delivery row per report and notify target, sent exactly once, in order per channel,
retried with back-off, moved to the centre's fallback targets when a chat channel keeps failing, dead-lettered
after about a day.

The ledger: the send-once claim and `sent` marker (reports/sendonce.py) around the provider call, and the
delivery row's status, committed even when Redis has gone away meanwhile (the database is the ledger of
record). A delivery waits while an older one to the same channel of the same centre is unsent, so alerts
arrive in order after an outage; each success wakes the next in line.
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from centres import actions
from centres.alerts import render_alert, render_partner_alert, render_sms_alert
from gateway.channels.line import client as line
from gateway.channels.sending import NotConfigured, SendError
from gateway.channels.sms import send_sms
from gateway.channels.telegram import client as telegram
from i18n.catalog import text as t
from reporters import updates
from reports import incidents, sendonce, store
from reports.centres_file import Center, NotifyTarget
from reports.context import Context
from reports.enums import Channel, DeliveryStatus, NotifyKind
from reports.models import Delivery, Report, utcnow
from reports.queue import NOTIFY, STATUS_UPDATE, RetryPolicy

log = logging.getLogger("ntswatch.delivery")

# Alerts to these go out in the order the reports were stored, per centre channel (inbox and photos need not).
ORDERED = frozenset({NotifyKind.TELEGRAM, NotifyKind.LINE, NotifyKind.SMS})
FALLBACK_FROM = frozenset({NotifyKind.TELEGRAM, NotifyKind.LINE})  # chat channels whose outage moves to fallback
WAITING_RECHECK_S = 60
RECEIVED = "received:"  # in notify's follow-up list: tell the reporter now that the centre has their report
# Channels whose reporter got the ticket in the webhook's own answer (TwiML, the USSD screen, the web page, the
# batch response): the "received" update cannot overtake it, so it is sent from the job already running. Chat
# channels get their ticket by a queued message, so their update is queued behind it.
RECEIPT_IN_ANSWER = frozenset({Channel.TWILIO, Channel.USSD, Channel.WEB, Channel.OFFLINE, Channel.WALK_IN})


def delivery_key(report_id: str, target_key: str) -> str:
    """The delivery row's id for one report and target (also part of its job id: no colons)."""
    return f"{report_id}-{hashlib.sha256(target_key.encode()).hexdigest()[:16]}"


def policy(ctx: Context) -> RetryPolicy:
    """The alerts' retry policy (NTS_NOTIFY_BACKOFF, the last interval repeating)."""
    return RetryPolicy(ctx.settings.notify_backoff_s, ctx.settings.notify_max_attempts)


def expand(targets: tuple[NotifyTarget, ...], media: list[dict[str, Any]] | None = None,
           fallback: bool = False, category: str | None = None) -> list[NotifyTarget]:
    """One delivery per duty officer's phone, so a retry never texts the ones already reached; one more per
    photo or voice note for chat groups, so a failed upload never repeats the text alert."""
    out: list[NotifyTarget] = []
    for target in targets:
        if target.params.get("fallback") and not fallback:
            continue  # only when a chat channel keeps failing (see fall_back)
        partner = target.params.get("partner")
        if partner is not None:
            if category in partner["categories"]:
                out.append(target)  # a cross-border partner: a redacted alert, no photos
            continue
        if target.kind == NotifyKind.SMS and len(target.params["to"]) > 1:
            out += [NotifyTarget(NotifyKind.SMS, {**target.params, "to": [number]}) for number in target.params["to"]]
        else:
            out.append(target)
        if target.kind == NotifyKind.TELEGRAM:
            out += [NotifyTarget(NotifyKind.TELEGRAM_MEDIA, {**target.params, "media": m,
                                                              "key_suffix": m["sha256"][:16]})
                    for m in media or []]
    return out


def add_deliveries(session: Session, report: Report, center: Center, targets: list[NotifyTarget]) -> list[str]:
    """Delivery rows for `targets` that the report does not have yet; their ids."""
    have = set(session.execute(select(Delivery.id).where(Delivery.report_id == report.id)).scalars())
    made = []
    for target in targets:
        delivery_id = delivery_key(report.id, target.key)
        if delivery_id not in have:
            session.add(Delivery(id=delivery_id, report_id=report.id, center_id=center.id, channel=target.kind,
                                 target_key=target.key[:64], target=target.params))
            have.add(delivery_id)
            made.append(delivery_id)
    session.flush()
    return made


def enqueue_notify(ctx: Context, delivery_id: str, at_front: bool = False, delay_s: float | None = None) -> None:
    """Queue the notify job of one delivery (its id is derived from the delivery: queued once at a time)."""
    ctx.jobs.enqueue(NOTIFY(delivery_id), at_front=at_front, delay_s=delay_s)


def notify_delivery(ctx: Context, delivery_id: str) -> str:
    """Send one alert to one centre channel, exactly once, in order per channel; back off, fall back, dead-letter.

    An alert that waited for an older one looks again once it has let go of its claim: with two workers the
    older one can be sent in between, and its wake-up for this one can arrive while this one still holds the
    claim (and be turned away), which left the alert to the minute-later recheck."""
    outcome = _notify_once(ctx, delivery_id)
    for _ in range(3):
        if outcome != "waiting" or not _line_is_free(ctx, delivery_id):
            break
        outcome = _notify_once(ctx, delivery_id)
    return outcome


def _line_is_free(ctx: Context, delivery_id: str) -> bool:
    """No older alert to the same channel of the same centre is unsent any more."""
    with ctx.sessions() as session:
        delivery = session.get(Delivery, delivery_id)
        return delivery is not None and _older_unsent(session, delivery) is None


def _notify_once(ctx: Context, delivery_id: str) -> str:
    follow_up: list[str] = []
    with sendonce.claimed(ctx.redis, delivery_id, ctx.settings.send_claim_s) as ledger:
        if ledger is None:
            return "claimed"
        with ctx.sessions.begin() as session:
            outcome = _notify_claimed(ctx, session, delivery_id, ledger, follow_up)
    for next_id in follow_up:
        if next_id.startswith(RECEIVED):
            _tell_reporter_received(ctx, next_id.removeprefix(RECEIVED))
        else:
            enqueue_notify(ctx, next_id, at_front=True)  # the channel is free now: next in line goes first
    return outcome


def _tell_reporter_received(ctx: Context, report_id: str) -> None:
    """"Received by the centre" to the reporter from this job (sent once whatever happens: its own ledger); a
    failed try is queued as the usual job."""
    try:
        updates.send_status_update(ctx, report_id, "received", now=True)
    except Exception as exc:
        log.info("'received' update for %s queued (%s)", report_id, type(exc).__name__)
        try:
            ctx.jobs.enqueue(STATUS_UPDATE(report_id, "received"))
        except Exception as exc2:
            log.warning("'received' update not queued (%s)", type(exc2).__name__)


def _text(ctx: Context, session: Session, delivery: Delivery, report: Report, center: Center) -> str:
    """The alert as this target shows it."""
    if delivery.channel == NotifyKind.SMS:
        prefix = t(center.language, "alert_escalated", minutes=delivery.target["minutes"]) + " " \
            if delivery.target.get("escalation") else ""
        return render_sms_alert(report, center.language, ctx.gazetteer, prefix)
    if delivery.channel == NotifyKind.TELEGRAM_MEDIA:
        return f"#{report.ticket}"  # the caption ties the photo or voice note to its alert
    if delivery.target.get("partner"):
        return render_partner_alert(report, delivery.target["partner"]["language"], ctx.gazetteer, center.name)
    return render_alert(report, center.language, ctx.gazetteer, str(delivery.channel),
                        incidents.incident_of(session, report), precision=delivery.target.get("precision"))


def _send(ctx: Context, delivery: Delivery, report: Report, center: Center, text: str) -> str:
    """Hand the alert to its provider; the provider's message id."""
    settings, target = ctx.settings, dict(delivery.target)
    acts = not target.get("partner")  # partners read; only the centre's own members act on the case
    if delivery.channel == NotifyKind.INBOX:
        return "inbox"  # the inbox is the stored delivery itself, shown on /center
    if delivery.channel == NotifyKind.TELEGRAM:
        if acts:
            target["reply_markup"] = actions.keyboard(settings.secret_key, report.ticket, center)
        return telegram.send(settings, target, text)
    if delivery.channel == NotifyKind.SMS:
        return send_sms(settings, target["to"][0], text, message_id=delivery.id)
    if delivery.channel == NotifyKind.LINE:
        buttons = actions.buttons(settings.secret_key, report.ticket, center) if acts else []
        return line.send_alert(settings, target["to"], text, buttons, line.retry_key(delivery.id))  # same on retry
    if delivery.channel == NotifyKind.TELEGRAM_MEDIA:
        return telegram.send_media(settings, target, settings.media_path() / Path(target["media"]["file"]).name, text)
    raise NotConfigured(f"no sender for {delivery.channel}")


def _notify_claimed(ctx: Context, session: Session, delivery_id: str, ledger: sendonce.Ledger,
                    follow_up: list[str]) -> str:
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        log.warning("delivery %s not found", delivery_id)
        return "missing"
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.DEAD, DeliveryStatus.SKIPPED):
        return str(delivery.status)
    already = ledger.already()
    if already is not None:  # the provider took it; the row was not committed (a crash, a database outage)
        _mark_sent(ctx, session, delivery, already, follow_up)
        return str(DeliveryStatus.SENT)
    if delivery.channel in ORDERED and _older_unsent(session, delivery) is not None:
        # Woken by the older one's success (or dead-letter); the sweeper re-queues it if that wake-up is lost.
        delivery.next_attempt_at = utcnow() + timedelta(seconds=WAITING_RECHECK_S)
        return "waiting"
    report = session.get(Report, delivery.report_id)
    assert report is not None
    center = ctx.centers.get(delivery.center_id)
    text = _text(ctx, session, delivery, report, center)
    delivery.text = text
    delivery.attempts += 1
    try:
        provider_id = _send(ctx, delivery, report, center, text)
    except NotConfigured as exc:
        delivery.status = DeliveryStatus.SKIPPED
        delivery.last_error = str(exc)
        log.warning("delivery %s skipped: %s", delivery.id, exc)
        store.audit(session, "delivery_skipped", report.id, "worker",
                    {"channel": str(delivery.channel), "reason": str(exc)[:200]})
        follow_up += _next_in_line(session, delivery)
        return str(delivery.status)
    except SendError as exc:
        return _failed(ctx, session, delivery, exc, follow_up)
    ledger.record(provider_id)
    _mark_sent(ctx, session, delivery, provider_id, follow_up)
    return str(DeliveryStatus.SENT)


def _same_channel(delivery: Delivery) -> Any:
    return (Delivery.center_id == delivery.center_id) & (Delivery.target_key == delivery.target_key) & \
        Delivery.status.in_(DeliveryStatus.open()) & (Delivery.id != delivery.id)


def _older_unsent(session: Session, delivery: Delivery) -> str | None:
    """An unsent delivery to the same channel of the same centre, stored before this one."""
    older = (Delivery.created_at < delivery.created_at) | \
        ((Delivery.created_at == delivery.created_at) & (Delivery.id < delivery.id))
    found: str | None = session.execute(select(Delivery.id).where(_same_channel(delivery) & older)
                                        .order_by(Delivery.created_at, Delivery.id).limit(1)).scalar()
    return found


def _next_in_line(session: Session, delivery: Delivery) -> list[str]:
    """The oldest delivery still waiting behind this one, to wake now that the channel is free."""
    if delivery.channel not in ORDERED:
        return []
    found = session.execute(select(Delivery.id).where(_same_channel(delivery))
                            .order_by(Delivery.created_at, Delivery.id).limit(1)).scalar()
    return [found] if found else []


def _mark_sent(ctx: Context, session: Session, delivery: Delivery, provider_id: str, follow_up: list[str]) -> None:
    delivery.status = DeliveryStatus.SENT
    delivery.provider_message_id = provider_id[:64]
    delivery.sent_at = utcnow()
    delivery.next_attempt_at = None
    delivery.last_error = None
    store.audit(session, "delivered", delivery.report_id, "worker",
                {"channel": str(delivery.channel), "target": delivery.target_key, "attempts": delivery.attempts})
    follow_up += _next_in_line(session, delivery)
    if not delivery.target.get("partner") and not _sent_before(session, delivery):
        # The centre has it now: "received by the Tha Uthen centre" to the reporter (reporters/updates.py).
        report = session.get(Report, delivery.report_id)
        if report is not None and report.channel in RECEIPT_IN_ANSWER:
            follow_up.append(RECEIVED + delivery.report_id)  # after this transaction commits, from this job
            return
        try:
            ctx.jobs.enqueue(STATUS_UPDATE(delivery.report_id, "received"))
        except Exception as exc:
            log.warning("'received' update not queued (%s)", type(exc).__name__)


def _sent_before(session: Session, delivery: Delivery) -> bool:
    """Whether another of the centre's own alerts for this report already went out."""
    rows = session.execute(select(Delivery.target).where(
        Delivery.report_id == delivery.report_id, Delivery.id != delivery.id,
        Delivery.status == DeliveryStatus.SENT)).scalars()
    return any(not target.get("partner") for target in rows)


def _failed(ctx: Context, session: Session, delivery: Delivery, exc: SendError, follow_up: list[str]) -> str:
    delivery.last_error = str(exc)[:500]
    retries = policy(ctx)
    if delivery.attempts == ctx.settings.notify_fallback_after and delivery.channel in FALLBACK_FROM:
        follow_up += fall_back(ctx, session, delivery)
    if exc.permanent or delivery.attempts >= retries.attempts:
        delivery.status = DeliveryStatus.DEAD
        delivery.next_attempt_at = None
        store.audit(session, "dead_letter", delivery.report_id, "worker",
                    {"channel": str(delivery.channel), "attempts": delivery.attempts, "error": delivery.last_error})
        log.error("delivery %s dead after %d attempts: %s", delivery.id, delivery.attempts, exc)
        if delivery.channel in FALLBACK_FROM and delivery.attempts < ctx.settings.notify_fallback_after:
            follow_up += fall_back(ctx, session, delivery)  # refused for good before the fallback count
        follow_up += _next_in_line(session, delivery)
        return str(delivery.status)
    # RQ's scheduler keeps whole seconds (rounded down): one more second keeps us from knocking early.
    delay = math.ceil(exc.retry_after) + 1 if exc.retry_after is not None else retries.delay(delivery.attempts)
    delivery.status = DeliveryStatus.RETRYING
    delivery.next_attempt_at = utcnow() + timedelta(seconds=float(delay))
    ctx.jobs.enqueue(NOTIFY(delivery.id), delay_s=float(delay), job_id=f"notify-{delivery.id}-r{delivery.attempts}")
    log.warning("delivery %s attempt %d failed (%s); retry in %.1fs", delivery.id, delivery.attempts, exc, delay)
    return str(delivery.status)


def fall_back(ctx: Context, session: Session, delivery: Delivery) -> list[str]:
    """The centre's fallback targets (`fallback: true`, e.g. duty officers' SMS) for this report, made once."""
    center = ctx.centers.by_id.get(delivery.center_id)
    report = session.get(Report, delivery.report_id)
    if center is None or report is None:
        return []
    made = add_deliveries(session, report, center,
                          expand(tuple(n for n in center.notify if n.params.get("fallback")), fallback=True))
    if made:
        store.audit(session, "fallback", delivery.report_id, "worker",
                    {"from": str(delivery.channel), "attempts": delivery.attempts, "to": len(made)})
        log.warning("delivery %s failing on %s: falling back to %d other target(s)", delivery.id,
                    delivery.channel, len(made))
    return made


def record_receipt(ctx: Context, channel: str, provider_message_id: str, status: str, error: str = "") -> bool:
    """A provider's delivery receipt: a failed SMS marks the delivery dead (an officer did not get it)."""
    with ctx.sessions.begin() as session:
        delivery = session.execute(select(Delivery).where(Delivery.provider_message_id == provider_message_id)
                                   .limit(1)).scalar_one_or_none()
        if delivery is None:
            return False  # a reply to a reporter, not an alert: nothing stored about it
        if status == "failed" and delivery.status == DeliveryStatus.SENT:
            delivery.status = DeliveryStatus.DEAD
            delivery.last_error = f"{channel} delivery failed {error}".strip()
            store.audit(session, "delivery_failed", delivery.report_id, channel,
                        {"channel": str(delivery.channel), "error": error})
        return True
