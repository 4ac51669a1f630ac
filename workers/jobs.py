"""The RQ jobs. Each takes an id, is idempotent, and may run again after a crash or a retry."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

from redis.exceptions import RedisError
from sqlalchemy import select

from flows import keys
from i18n.catalog import text as t
from reports import incidents, store
from reports.centers import Center, NotifyTarget
from reports.models import Delivery, DeliveryStatus, Report, utcnow
from reports.places import Place
from workers import actions, escalation
from workers.alerts import render_alert, render_partner_alert, render_sms_alert
from workers.context import get_context
from workers.media import collect
from workers.queue import get_queue
from workers.senders import NotConfigured, SendError

log = logging.getLogger("ntswatch.worker")

# Alerts to these go out in the order the reports were stored, per centre channel (inbox and photos need not).
ORDERED_CHANNELS = frozenset({"telegram", "line", "sms"})
FALLBACK_FROM = frozenset({"telegram", "line"})  # chat channels whose outage moves a centre to its fallback
WAITING_RECHECK_S = 60


def _resolve(payload: dict[str, Any]) -> tuple[dict[str, Any] | None, list[str]]:
    """The place of a report: as resolved at intake, else from GPS, else from the words again."""
    gaz = get_context().gazetteer
    place = payload.get("place")
    if not place or not place.get("district_code"):
        found: Place | None = None
        if payload.get("location"):
            lat, lon = payload["location"]
            found = gaz.locate(float(lat), float(lon))
        if found is None and payload.get("place_text"):
            found = gaz.search(payload["place_text"])
        place = found.as_dict() if found else place
    flags = list((place or {}).get("flags", []))
    return place, flags


def _route(place: dict[str, Any] | None, flags: list[str]) -> Center:
    centers = get_context().centers
    district = (place or {}).get("district_code")
    center = centers.for_district(district)
    if center is None:
        flags.append("unresolved_place" if not district else "no_center_for_district")
        center = centers.fallback
    return center


def _expand(targets: tuple[NotifyTarget, ...], media: list[dict[str, Any]] | None = None,
            fallback: bool = False, category: str | None = None) -> list[NotifyTarget]:
    """One delivery per duty officer's phone, so a retry never texts the ones already reached; one more per
    photo or voice note for chat groups, so a failed upload never repeats the text alert."""
    out: list[NotifyTarget] = []
    for target in targets:
        if target.params.get("fallback") and not fallback:
            continue  # only when a chat channel keeps failing (see _fall_back)
        partner = target.params.get("partner")
        if partner is not None:
            if category in partner["categories"]:
                out.append(target)  # a cross-border partner: a redacted alert, no photos
            continue
        if target.kind == "sms" and len(target.params["to"]) > 1:
            out += [NotifyTarget("sms", {**target.params, "to": [number]}) for number in target.params["to"]]
        else:
            out.append(target)
        if target.kind == "telegram":
            out += [NotifyTarget("telegram_media", {**target.params, "media": m, "key_suffix": m["sha256"][:16]})
                    for m in media or []]
    return out


def delivery_key(report_id: str, target_key: str) -> str:
    """The delivery row's id for one report and target (also the RQ job id suffix)."""
    return f"{report_id}-{hashlib.sha256(target_key.encode()).hexdigest()[:16]}"  # RQ job ids: no colons


def process_report(report_id: str) -> list[str]:
    """Normalise, resolve, route and persist a report, then queue one notify job per centre channel."""
    ctx = get_context()
    ctx.redis.set(keys.processing(report_id), os.getpid(), ex=ctx.settings.processing_claim_s)
    raw = ctx.redis.get(keys.intake(report_id))
    media: list[dict[str, Any]] = []
    media_flags: list[str] = []
    if raw is not None and json.loads(raw).get("media"):
        with ctx.sessions() as session:
            stored = session.get(Report, report_id) is not None
        if not stored:  # fetch before the transaction: a slow download must not hold the database
            media, media_flags = collect(ctx.settings, json.loads(raw)["media"])
    with ctx.sessions.begin() as session:
        report = session.get(Report, report_id)
        if report is None:
            if raw is None:
                log.error("report %s: no intake payload and not stored; nothing to do", report_id)
                ctx.redis.zrem(keys.PENDING_REPORTS, report_id)
                return []
            payload = json.loads(raw)
            place, flags = _resolve(payload)
            center = _route(place, flags)
            payload["media_records"] = media
            report, created = store.save_report(session, payload, center.id, place,
                                                sorted(set(flags + media_flags)))
            if created:
                session.flush()
                incidents.link(session, report)
                escalation.schedule(report, ctx.centers.by_id.get(report.center_id) or ctx.centers.fallback)
        center = ctx.centers.by_id.get(report.center_id) or ctx.centers.fallback
        wanted = {delivery_key(report.id, target.key): target
                  for target in _expand(center.notify, report.media, category=report.category)}
        have = set(session.execute(select(Delivery.id).where(Delivery.report_id == report.id)).scalars())
        for delivery_id, target in wanted.items():
            if delivery_id not in have:
                session.add(Delivery(id=delivery_id, report_id=report.id, center_id=center.id,
                                     channel=target.kind, target_key=target.key[:64], target=target.params))
        session.flush()
        pending = list(session.execute(
            select(Delivery.id).where(Delivery.report_id == report.id,
                                      Delivery.status.in_([DeliveryStatus.PENDING.value]))
        ).scalars())
        ticket = report.ticket
        status = report.status
    pipe = ctx.redis.pipeline(transaction=False)
    pipe.set(keys.ticket(ticket), status, ex=365 * 86400)
    pipe.expire(keys.intake(report_id), 86400)  # kept a day for forensics, then gone
    pipe.execute()
    for delivery_id in pending:
        enqueue_notify(delivery_id)
    ctx.redis.zrem(keys.PENDING_REPORTS, report_id)  # done: the sweeper no longer watches it
    ctx.redis.delete(keys.processing(report_id))
    log.info("report %s stored, ticket %s, centre %s, %d deliveries queued", report_id, ticket,
             report.center_id, len(pending))
    return pending


def _send(channel: str, target: dict[str, Any], text: str) -> str:
    settings = get_context().settings
    if channel == "inbox":
        return "inbox"  # the inbox is the stored delivery itself, shown on /center
    if channel == "telegram":
        from workers.senders import telegram

        return telegram.send(settings, target, text)  # the alert's action buttons ride in target
    if channel == "sms":
        return send_sms(settings, target["to"][0], text)
    if channel == "line":
        from workers.senders import line

        return line.send_alert(settings, target["to"], text, target.get("buttons", []), target["retry_key"])
    if channel == "telegram_media":
        from workers.senders import telegram

        return telegram.send_media(settings, target, Path(settings.media_path()) / target["media"]["file"], text)
    raise NotConfigured(f"no sender for {channel} on this gateway yet")


def send_sms(settings: Any, number: str, text: str) -> str:
    """Duty officers' SMS: through Twilio when configured, else through the office's Android phone."""
    from workers.senders import smsgateway, twilio_sms

    if settings.twilio_account_sid and settings.twilio_auth_token and settings.twilio_from:
        return twilio_sms.send(settings, number, text)
    if settings.smsgateway_api_base:
        return smsgateway.send(settings, [number], text, message_id=hashlib.sha256(text.encode()).hexdigest()[:32])
    raise NotConfigured("no SMS provider: set TWILIO_* or SMSGATEWAY_API_BASE")


def notify_delivery(delivery_id: str) -> str:
    """Send one alert to one centre channel, exactly once, in order per channel; back off, fall back, dead-letter.

    The dedup guard: a Redis claim so two workers never send the same delivery at once, a Redis `sent`
    marker written the moment the provider accepted it, and the delivery row's status, committed even when
    Redis has gone away meanwhile (the database is the ledger of record). A delivery waits while an older one
    to the same channel of the same centre is unsent, so alerts arrive in order after an outage.
    """
    ctx = get_context()
    claim = keys.sending(delivery_id)
    if not ctx.redis.set(claim, os.getpid(), nx=True, ex=ctx.settings.send_claim_s):
        return "claimed"
    follow_up: list[str] = []
    try:
        with ctx.sessions.begin() as session:
            outcome = _notify_claimed(session, delivery_id, follow_up)
    finally:
        _quietly(lambda: ctx.redis.delete(claim))
    for next_id in follow_up:
        enqueue_notify(next_id, at_front=True)  # the channel is free now: next in line goes first
    return outcome


def enqueue_notify(delivery_id: str, at_front: bool = False) -> None:
    """Queue the notify job of one delivery (its id is derived from the delivery: queued once at a time)."""
    get_queue(get_context().redis).enqueue_call("workers.jobs.notify_delivery", args=(delivery_id,),
                                                job_id=f"notify-{delivery_id}", result_ttl=3600,
                                                failure_ttl=30 * 86400, at_front=at_front)


def _quietly(action: Callable[[], object]) -> None:
    """Run a Redis write that only speeds things up; its failure must not undo what the database recorded."""
    try:
        action()
    except RedisError as exc:
        log.warning("redis unavailable after the send (%s); the database keeps the outcome", type(exc).__name__)


def _notify_claimed(session: Any, delivery_id: str, follow_up: list[str]) -> str:
    ctx = get_context()
    sent_key = keys.sending(delivery_id) + ":sent"
    delivery = session.get(Delivery, delivery_id)
    if delivery is None:
        log.warning("delivery %s not found", delivery_id)
        return "missing"
    if delivery.status in (DeliveryStatus.SENT, DeliveryStatus.DEAD, DeliveryStatus.SKIPPED):
        return str(delivery.status)
    already = ctx.redis.get(sent_key)
    if already is not None:
        _mark_sent(session, delivery, already.decode() if isinstance(already, bytes) else already, follow_up)
        return DeliveryStatus.SENT.value
    if delivery.channel in ORDERED_CHANNELS and _older_unsent(session, delivery) is not None:
        # Woken by the older one's success (or dead-letter); the sweeper re-queues it if that wake-up is lost.
        delivery.next_attempt_at = utcnow() + timedelta(seconds=WAITING_RECHECK_S)
        return "waiting"
    report = session.get(Report, delivery.report_id)
    assert report is not None
    center = ctx.centers.by_id.get(delivery.center_id) or ctx.centers.fallback
    if delivery.channel == "sms":
        prefix = t(center.language, "alert_escalated", minutes=delivery.target["minutes"]) + " " \
            if delivery.target.get("escalation") else ""
        text = render_sms_alert(report, center.language, ctx.gazetteer, prefix)
    elif delivery.channel == "telegram_media":
        text = f"#{report.ticket}"  # the caption ties the photo or voice note to its alert
    elif delivery.target.get("partner"):
        text = render_partner_alert(report, delivery.target["partner"]["language"], ctx.gazetteer, center.name)
    else:
        text = render_alert(report, center.language, ctx.gazetteer, delivery.channel,
                            incidents.incident_of(session, report))
    target = dict(delivery.target)
    acts = not target.get("partner")  # partners read; only the centre's own members act on the case
    if delivery.channel == "telegram" and acts:
        target["reply_markup"] = actions.keyboard(ctx.settings.secret_key, report.ticket, center)
    if delivery.channel == "line" and acts:
        target["buttons"] = actions.buttons(ctx.settings.secret_key, report.ticket, center)
    if delivery.channel == "line":
        target["retry_key"] = str(uuid.uuid5(uuid.NAMESPACE_URL, f"ntswatch:{delivery.id}"))  # same on retry
    delivery.text = text
    delivery.attempts += 1
    try:
        provider_id = _send(delivery.channel, target, text)
    except NotConfigured as exc:
        delivery.status = DeliveryStatus.SKIPPED.value
        delivery.last_error = str(exc)
        store.audit(session, "delivery_skipped", report.id, "worker",
                    {"channel": delivery.channel, "reason": str(exc)})
        follow_up += _next_in_line(session, delivery)
        return str(delivery.status)
    except SendError as exc:
        return _failed(session, delivery, exc, follow_up)
    _quietly(lambda: ctx.redis.set(sent_key, provider_id, ex=7 * 86400))
    _mark_sent(session, delivery, provider_id, follow_up)
    return DeliveryStatus.SENT.value


def _same_channel(delivery: Delivery) -> Any:
    return (Delivery.center_id == delivery.center_id) & (Delivery.target_key == delivery.target_key) & \
        Delivery.status.in_([DeliveryStatus.PENDING.value, DeliveryStatus.RETRYING.value]) & \
        (Delivery.id != delivery.id)


def _older_unsent(session: Any, delivery: Delivery) -> str | None:
    """An unsent delivery to the same channel of the same centre, stored before this one."""
    older = (Delivery.created_at < delivery.created_at) | \
        ((Delivery.created_at == delivery.created_at) & (Delivery.id < delivery.id))
    found: str | None = session.execute(select(Delivery.id).where(_same_channel(delivery) & older)
                                        .order_by(Delivery.created_at, Delivery.id).limit(1)).scalar()
    return found


def _next_in_line(session: Any, delivery: Delivery) -> list[str]:
    """The oldest delivery still waiting behind this one, to wake now that the channel is free."""
    if delivery.channel not in ORDERED_CHANNELS:
        return []
    found = session.execute(select(Delivery.id).where(_same_channel(delivery))
                            .order_by(Delivery.created_at, Delivery.id).limit(1)).scalar()
    return [found] if found else []


def _mark_sent(session: Any, delivery: Delivery, provider_id: str, follow_up: list[str]) -> None:
    delivery.status = DeliveryStatus.SENT.value
    delivery.provider_message_id = provider_id
    delivery.sent_at = utcnow()
    delivery.next_attempt_at = None
    delivery.last_error = None
    store.audit(session, "delivered", delivery.report_id, "worker",
                {"channel": delivery.channel, "target": delivery.target_key, "attempts": delivery.attempts})
    follow_up += _next_in_line(session, delivery)
    if not delivery.target.get("partner") and not _sent_before(session, delivery):
        # The centre has it now: "received by the Tha Uthen centre" to the reporter (workers/updates.py).
        report_id = delivery.report_id
        _quietly(lambda: get_queue(get_context().redis).enqueue_call(
            "workers.updates.send_status_update", args=(report_id, "received"), job_id=f"update-{report_id}-received"))


def _sent_before(session: Any, delivery: Delivery) -> bool:
    """Whether another of the centre's own alerts for this report already went out."""
    rows = session.execute(select(Delivery.target).where(
        Delivery.report_id == delivery.report_id, Delivery.id != delivery.id,
        Delivery.status == DeliveryStatus.SENT.value)).scalars()
    return any(not target.get("partner") for target in rows)


def _failed(session: Any, delivery: Delivery, exc: SendError, follow_up: list[str]) -> str:
    ctx = get_context()
    delivery.last_error = str(exc)[:500]
    if delivery.attempts == ctx.settings.notify_fallback_after and delivery.channel in FALLBACK_FROM:
        follow_up += _fall_back(session, delivery)
    if exc.permanent or delivery.attempts >= ctx.settings.notify_max_attempts:
        delivery.status = DeliveryStatus.DEAD.value
        delivery.next_attempt_at = None
        store.audit(session, "dead_letter", delivery.report_id, "worker",
                    {"channel": delivery.channel, "attempts": delivery.attempts, "error": delivery.last_error})
        log.error("delivery %s dead after %d attempts: %s", delivery.id, delivery.attempts, exc)
        if delivery.channel in FALLBACK_FROM and delivery.attempts < ctx.settings.notify_fallback_after:
            follow_up += _fall_back(session, delivery)  # refused for good before the fallback count
        follow_up += _next_in_line(session, delivery)
        return str(delivery.status)
    backoff = ctx.settings.notify_backoff_s
    delay = exc.retry_after
    if delay is not None:
        # RQ's scheduler keeps whole seconds (rounded down): one more second keeps us from knocking early.
        delay = math.ceil(delay) + 1
    else:
        delay = backoff[min(delivery.attempts - 1, len(backoff) - 1)]
    delivery.status = DeliveryStatus.RETRYING.value
    delivery.next_attempt_at = utcnow() + timedelta(seconds=float(delay))
    get_queue(ctx.redis).enqueue_in(timedelta(seconds=float(delay)), "workers.jobs.notify_delivery", delivery.id)
    log.warning("delivery %s attempt %d failed (%s); retry in %.1fs", delivery.id, delivery.attempts, exc, delay)
    return str(delivery.status)


def _fall_back(session: Any, delivery: Delivery) -> list[str]:
    """The centre's fallback targets (`fallback: true`, e.g. duty officers' SMS) for this report, made once."""
    center = get_context().centers.by_id.get(delivery.center_id)
    if center is None:
        return []
    made: list[str] = []
    for target in _expand(tuple(n for n in center.notify if n.params.get("fallback")), fallback=True):
        delivery_id = delivery_key(delivery.report_id, target.key)
        if session.get(Delivery, delivery_id) is None:
            session.add(Delivery(id=delivery_id, report_id=delivery.report_id, center_id=center.id,
                                 channel=target.kind, target_key=target.key[:64], target=target.params))
            made.append(delivery_id)
    if made:
        session.flush()
        store.audit(session, "fallback", delivery.report_id, "worker",
                    {"from": delivery.channel, "attempts": delivery.attempts, "to": len(made)})
        log.warning("delivery %s failing on %s: falling back to %d other target(s)", delivery.id,
                    delivery.channel, len(made))
    return made


def record_delivery_status(channel: str, provider_message_id: str, status: str, error: str = "") -> bool:
    """A provider's delivery receipt: a failed SMS marks the delivery failed (an officer did not get it)."""
    with get_context().sessions.begin() as session:
        delivery = session.execute(select(Delivery).where(Delivery.provider_message_id == provider_message_id)
                                   ).scalar_one_or_none()
        if delivery is None:
            return False  # a reply to a reporter, not an alert: nothing stored about it
        if status == "failed" and delivery.status == DeliveryStatus.SENT:
            delivery.status = DeliveryStatus.DEAD.value
            delivery.last_error = f"{channel} delivery failed {error}".strip()
            store.audit(session, "delivery_failed", delivery.report_id, channel,
                        {"channel": delivery.channel, "error": error})
        return True


def forget_reporter(reporter_id: str) -> bool:
    """Erase a reporter's stored contact (FORGET); reports stay under the pseudonym."""
    with get_context().sessions.begin() as session:
        return store.forget_reporter(session, reporter_id)
