"""The villager's side of awareness broadcasts: `NEWS <district>` subscribes (flows/engine.py answers at
once and queues `subscribe`), STOP and FORGET end it. The database keeps who asked for which district's
news; their number stays encrypted on their reporter row, read only when a broadcast is sent
(centres/broadcasts.py)."""

from __future__ import annotations

from sqlalchemy import select

from reports import store
from reports.context import Context
from reports.enums import Channel
from reports.models import Reporter, Subscription, utcnow
from reports.store import end_subscription


def subscribe(ctx: Context, pid: str, contact: str, channel: str, language: str, district: str) -> str:
    """Keep (or move, or renew) a villager's subscription to a district centre's news."""
    with ctx.sessions.begin() as session:
        reporter = session.get(Reporter, pid)
        if reporter is None:
            reporter = Reporter(id=pid, channel=channel, language=language, report_count=0)
            session.add(reporter)
        reporter.contact_enc, reporter.channel, reporter.language = contact, Channel(channel), language
        reporter.forgotten_at = None
        session.flush()  # the reporter row before its subscription (foreign key)
        sub = session.execute(select(Subscription).where(Subscription.reporter_id == pid)).scalar_one_or_none()
        if sub is None:
            session.add(Subscription(reporter_id=pid, district_code=district))
        else:
            sub.district_code, sub.ended_at, sub.created_at = district, None, utcnow()
        store.audit(session, "subscribed", None, "reporter", {"district": district, "channel": channel})
    return "subscribed"


def unsubscribe(ctx: Context, pid: str, reason: str = "stop") -> bool:
    """End a villager's subscription (STOP, FORGET); True when there was one."""
    with ctx.sessions.begin() as session:
        return end_subscription(session, pid, reason)
