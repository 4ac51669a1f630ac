"""The daily digest per centre: new in the last 24 h, still open, overdue (unacknowledged past the
escalation time), closed in the last 24 h — in the centre's language, to its Telegram and LINE groups.

Sent once a day after DIGEST_HOUR (Bangkok time) by one worker's sweeper thread (a Redis key per centre and
day), or by hand with `ntswatch digest --send`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, select

from centres.escalation import DEFAULT_MINUTES
from gateway.channels.line import client as line
from gateway.channels.sending import SendError
from gateway.channels.telegram import client as telegram
from i18n.catalog import text as t
from i18n.normalize import ce_to_be
from reports import keys
from reports.centres_file import Center
from reports.context import Context
from reports.enums import NotifyKind, ReportStatus, When
from reports.models import AuditEvent, Report, utcnow

log = logging.getLogger("ntswatch.digest")
BANGKOK = ZoneInfo("Asia/Bangkok")
DIGEST_HOUR = 7


@dataclass(frozen=True)
class Digest:
    """The four counts of one centre."""

    new: int
    open: int
    overdue: int
    closed: int


def count(ctx: Context, center: Center, now: datetime | None = None) -> Digest:
    """The digest figures of `center` at `now`, each counted in SQL (the dashboard asks for it at every view)."""
    now = now or utcnow()
    day_ago = now - timedelta(days=1)
    mine = Report.center_id == center.id
    is_new = Report.status == ReportStatus.NEW

    def minutes(level: str) -> float:
        return center.escalation.get(level, DEFAULT_MINUTES[level])

    # The three urgencies of centres/escalation.py, each with its own delay before a case is overdue.
    overdue_when = {
        "person_in_danger": and_(Report.when_code == When.NOW, Report.category == "trafficking"),
        "now": and_(Report.when_code == When.NOW, Report.category != "trafficking"),
        "default": Report.when_code != When.NOW,
    }
    with ctx.sessions() as session:
        new = session.execute(select(func.count()).where(mine, Report.created_at >= day_ago)).scalar_one()
        open_count = session.execute(select(func.count()).where(mine, Report.status != ReportStatus.CLOSED)
                                     ).scalar_one()
        overdue = sum(session.execute(select(func.count()).where(
            mine, is_new, condition, Report.created_at <= now - timedelta(minutes=minutes(level)))).scalar_one()
            for level, condition in overdue_when.items())
        closed = session.execute(select(func.count()).select_from(AuditEvent).join(
            Report, Report.id == AuditEvent.report_id).where(mine, AuditEvent.event == "closed",
                                                             AuditEvent.created_at >= day_ago)).scalar_one()
    return Digest(int(new), int(open_count), int(overdue), int(closed))


def render(center: Center, digest: Digest, now: datetime) -> str:
    """One line in the centre's language; the date in the Buddhist era for Thai."""
    local = now.astimezone(BANGKOK)
    year = ce_to_be(local.year) if center.language == "th" else local.year
    return "📋 " + t(center.language, "digest", date=f"{local.day:02d}/{local.month:02d}/{year}", new=digest.new,
                     open=digest.open, overdue=digest.overdue, closed=digest.closed)


def send_digests(ctx: Context, now: datetime | None = None) -> int:
    """Send today's digest to every centre's chat groups, once per centre and day; return how many sent."""
    now = now or utcnow()
    day = now.astimezone(BANGKOK).date().isoformat()
    sent = 0
    for center in ctx.centers.by_id.values():
        chats = [n for n in center.notify if n.kind in (NotifyKind.TELEGRAM, NotifyKind.LINE)
                 and not n.params.get("partner")]
        if not chats or not ctx.redis.set(keys.DIGEST_SENT(center.id, day), 1, nx=True, ex=keys.DIGEST_SENT.ttl_s):
            continue
        text = render(center, count(ctx, center, now), now)
        for target in chats:
            try:
                if target.kind == NotifyKind.TELEGRAM:
                    telegram.send(ctx.settings, {"chat_id": target.params["chat_id"],
                                                 "thread_id": target.params.get("thread_id")}, text)
                else:
                    line.send_alert(ctx.settings, target.params["to"], text, [],
                                    line.retry_key(f"digest:{center.id}:{day}"))
                sent += 1
            except SendError as exc:
                log.warning("digest for %s on %s not sent: %s", center.id, target.kind, exc)
    return sent


def due(now: datetime | None = None) -> bool:
    """True after DIGEST_HOUR, Bangkok time (the per-day key makes it once a day)."""
    return (now or utcnow()).astimezone(BANGKOK).hour >= DIGEST_HOUR
