"""From a completed report to the centre that is responsible: resolve the place (the words again, or the GPS
point), route to the district's centre (the fallback centre, flagged, when there is none), store it once, link
it to an incident, set its escalation timer, and make one delivery per notify target of the centre."""

from __future__ import annotations

import logging
import os
from typing import Any

from sqlalchemy import select

from centres import escalation
from centres.delivery import add_deliveries, enqueue_notify, expand, notify_delivery
from reporters.media import collect
from reports import incidents, keys, store
from reports.centres_file import Center
from reports.context import Context
from reports.draft import ReportDraft
from reports.enums import DeliveryStatus
from reports.models import Delivery, Report
from reports.places import Place

log = logging.getLogger("ntswatch.routing")


def resolve(ctx: Context, draft: ReportDraft) -> tuple[dict[str, Any] | None, list[str]]:
    """The place of a report: as resolved at intake, else from GPS, else from the words again; its flags."""
    place = draft.place
    if not place or not place.get("district_code"):
        found: Place | None = None
        if draft.location:
            lat, lon = draft.location[:2]
            found = ctx.gazetteer.locate(float(lat), float(lon))
        if found is None and draft.place_text:
            found = ctx.gazetteer.search(draft.place_text)
        place = found.as_dict() if found else place
    return place, list((place or {}).get("flags", []))


def route(ctx: Context, place: dict[str, Any] | None, flags: list[str]) -> Center:
    """The centre serving the place's district; the fallback centre (and a flag saying why) otherwise."""
    district = (place or {}).get("district_code")
    center = ctx.centers.for_district(district)
    if center is None:
        flags.append("unresolved_place" if not district else "no_center_for_district")
        center = ctx.centers.fallback
    return center


def _notify_now(ctx: Context, delivery_id: str) -> None:
    """The first attempt of an alert, from the job that stored the report: a job less per alert, and the alert
    leaves without a trip through the queue. Retries, fallback and order per channel are notify's own, as when
    it runs as a job; anything unforeseen leaves the alert to a notify job."""
    try:
        notify_delivery(ctx, delivery_id)
    except Exception as exc:
        log.warning("delivery %s: first attempt failed (%s); queued", delivery_id, type(exc).__name__)
        enqueue_notify(ctx, delivery_id)


def process_report(ctx: Context, report_id: str) -> list[str]:
    """Resolve, route and persist a report, then send its alerts (one attempt each here; retries are notify
    jobs); the delivery ids."""
    ctx.redis.set(keys.PROCESSING(report_id), os.getpid(), ex=ctx.settings.processing_claim_s)
    raw = keys.text(ctx.redis.get(keys.INTAKE(report_id)))
    draft = ReportDraft.from_json(raw) if raw is not None else None
    media: list[dict[str, Any]] = []
    media_flags: list[str] = []
    if draft is not None and draft.media:
        with ctx.sessions() as session:
            stored = session.get(Report, report_id) is not None
        if not stored:  # fetch before the transaction: a slow download must not hold the database
            media, media_flags = collect(ctx.settings, draft.media)
    with ctx.sessions.begin() as session:
        report = session.get(Report, report_id)
        if report is None:
            if draft is None:
                log.error("report %s: no intake draft and not stored; nothing to do", report_id)
                ctx.redis.zrem(keys.PENDING_REPORTS, report_id)
                return []
            place, flags = resolve(ctx, draft)
            center = route(ctx, place, flags)
            report, created = store.save_report(session, draft, center.id, place, sorted(set(flags + media_flags)),
                                                media)
            if created:
                session.flush()
                incidents.link(session, report)
                escalation.schedule(ctx, report, ctx.centers.get(report.center_id))
        center = ctx.centers.get(report.center_id)
        add_deliveries(session, report, center, expand(center.notify, report.media, category=report.category))
        pending = list(session.execute(select(Delivery.id).where(
            Delivery.report_id == report.id, Delivery.status == DeliveryStatus.PENDING)).scalars())
        ticket, status, center_id = report.ticket, report.status, report.center_id
    pipe = ctx.redis.pipeline(transaction=False)
    pipe.set(keys.TICKET_STATUS(ticket), str(status), ex=keys.TICKET_STATUS.ttl_s)
    pipe.expire(keys.INTAKE(report_id), keys.INTAKE_KEPT_S)  # kept a day for forensics, then gone
    pipe.execute()
    ctx.redis.zrem(keys.PENDING_REPORTS, report_id)  # stored: the sweeper watches its deliveries from here
    for delivery_id in pending:
        _notify_now(ctx, delivery_id)
    ctx.redis.delete(keys.PROCESSING(report_id))
    log.info("report %s stored, ticket %s, centre %s, %d deliveries", report_id, ticket, center_id, len(pending))
    return pending

