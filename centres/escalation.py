"""Escalation: an alert nobody acknowledged goes out again, louder, up the chain, until someone does.

When a report is stored, a timer is set on RQ's scheduler (in Redis: it survives a restart of every process)
for the time its urgency allows: a person in danger (trafficking happening now) 5 minutes, anything else
happening now 15, the rest 60 — a centre may set its own (`escalation:` in the centres file, minutes, 0 =
never). If the case is still `new` when the timer fires, the alert goes to the next rung by SMS: the duty
officers' phones (the centre's `sms` targets), then the secretary, then the head, one rung per interval.
Each rung is a delivery row, so the exactly-once machinery of alerts applies to it as well.
"""

from __future__ import annotations

import logging
import math
import time
from datetime import UTC, datetime

from sqlalchemy import select

from centres.delivery import delivery_key, enqueue_notify
from reports import store
from reports.centres_file import Center, NotifyTarget
from reports.context import Context
from reports.enums import NotifyKind, ReportStatus, Role, When
from reports.models import Delivery, Report
from reports.queue import ESCALATE

log = logging.getLogger("ntswatch.escalation")

DEFAULT_MINUTES = {"person_in_danger": 5.0, "now": 15.0, "default": 60.0}


def clock() -> float:
    """Now, in seconds since the epoch (tests replace it to move time)."""
    return time.time()


def urgency(report: Report) -> str:
    """person_in_danger (trafficking happening now), now (anything happening now), or default."""
    if report.when_code == When.NOW:
        return "person_in_danger" if report.category == "trafficking" else "now"
    return "default"


def delay_s(center: Center, report: Report) -> float | None:
    """Seconds without acknowledgement before escalating; None when this centre never escalates this case."""
    key = urgency(report)
    minutes = center.escalation.get(key, DEFAULT_MINUTES[key])
    return minutes * 60 if minutes > 0 else None


def rungs(center: Center) -> list[list[NotifyTarget]]:
    """Who is alerted at each step: duty phones, then the secretary, then the head (empty rungs skipped)."""
    duty = sorted({n for t in center.notify if t.kind == NotifyKind.SMS for n in t.params["to"]})
    chain = [duty] + [sorted({m.phone for m in center.members if m.role == role and m.phone})
                      for role in (Role.SECRETARY, Role.HEAD)]
    return [[NotifyTarget(NotifyKind.SMS, {"to": [n]}) for n in phones] for phones in chain if phones]


def schedule(ctx: Context, report: Report, center: Center, step: int = 1,
             after_s: float | None = None) -> float | None:
    """Set the timer for `step`; return when it is due (epoch seconds), or None when nothing to escalate to."""
    wait = delay_s(center, report) if after_s is None else after_s
    if wait is None or step > len(rungs(center)):
        return None
    due = clock() + wait
    # RQ's scheduler keeps whole seconds: the next whole second at or after `due`, so it never fires early.
    ctx.jobs.enqueue(ESCALATE(report.id, step, due), at=datetime.fromtimestamp(math.ceil(due), UTC))
    return due


def escalate(ctx: Context, report_id: str, step: int, due: float) -> str:
    """If the case is still unacknowledged, alert the next rung and set the timer for the one after."""
    now = clock()
    if now < due:  # woken early (a clock step, a manual run): wait for the rest
        with ctx.sessions() as session:
            report = session.get(Report, report_id)
        if report is not None:
            schedule(ctx, report, ctx.centers.get(report.center_id), step, after_s=due - now)
        return "early"
    with ctx.sessions.begin() as session:
        report = session.get(Report, report_id)
        if report is None:
            return "missing"
        if report.status != ReportStatus.NEW:
            return "acknowledged"
        center = ctx.centers.get(report.center_id)
        chain = rungs(center)
        if step > len(chain):
            return "top"
        minutes = round((now - report.created_at.timestamp()) / 60)
        made = []
        for target in chain[step - 1]:
            key = f"esc{step}:{target.key}"
            delivery_id = delivery_key(report.id, key)
            if session.get(Delivery, delivery_id) is None:
                session.add(Delivery(id=delivery_id, report_id=report.id, center_id=center.id, channel=NotifyKind.SMS,
                                     target_key=key[:64], target={**target.params, "escalation": step,
                                                                  "minutes": minutes}))
                made.append(delivery_id)
        store.audit(session, "escalated", report.id, "worker",
                    {"step": step, "late_s": round(now - due, 3), "targets": len(made)})
    for delivery_id in made:
        enqueue_notify(ctx, delivery_id, at_front=True)
    log.warning("report %s not acknowledged after %d min: escalated to step %d", report_id, minutes, step)
    schedule(ctx, report, center, step + 1)
    return "escalated"


def _shortest_delay_s(ctx: Context) -> float | None:
    """The shortest wait before any centre escalates any case (None: no centre escalates)."""
    waits = [minutes * 60 for center in ctx.centers.by_id.values() if rungs(center)
             for minutes in (*center.escalation.values(), *DEFAULT_MINUTES.values()) if minutes > 0]
    return min(waits, default=None)


def lost_timers(ctx: Context, now: float, horizon_s: float = 2 * 86400, limit: int = 500) -> list[tuple[str, int]]:
    """(report id, step) of unacknowledged cases whose next escalation is overdue but has no timer queued:
    a Redis that lost its scheduled jobs must not silence an escalation (the sweeper sets them again)."""
    since = datetime.fromtimestamp(now - horizon_s, UTC)
    # Only cases old enough for the shortest escalation delay anywhere: a fresh backlog is not read each pass.
    shortest = _shortest_delay_s(ctx)
    if shortest is None:
        return []
    before = datetime.fromtimestamp(now - shortest, UTC)
    lost: list[tuple[str, int]] = []
    with ctx.sessions() as session:
        reports = session.execute(select(Report).where(Report.status == ReportStatus.NEW,
                                                       Report.created_at >= since, Report.created_at <= before)
                                  .order_by(Report.created_at).limit(limit)).scalars().all()
        steps_by_report: dict[str, list[int]] = {}
        for report_id, target_key in session.execute(select(Delivery.report_id, Delivery.target_key).where(
                Delivery.report_id.in_([r.id for r in reports]), Delivery.target_key.like("esc%"))):
            steps_by_report.setdefault(report_id, []).append(int(target_key[3:].split(":", 1)[0]))
        for report in reports:
            center = ctx.centers.get(report.center_id)
            wait = delay_s(center, report)
            if wait is None:
                continue
            step = max(steps_by_report.get(report.id, []), default=0) + 1
            if step > len(rungs(center)) or report.created_at.timestamp() + wait * step > now:
                continue  # the top of the chain, or not due yet
            job_id = ESCALATE(report.id, step, 0.0).job_id or ""
            if not ctx.jobs.queued_or_scheduled(job_id):
                lost.append((report.id, step))  # neither scheduled nor queued
    return lost
