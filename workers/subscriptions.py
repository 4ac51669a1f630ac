"""The villager's side of awareness broadcasts: `NEWS <district>` subscribes (flows/engine.py answers at
once and queues `subscribe`), STOP and FORGET end it. The database keeps who asked for which district's
news; their number stays encrypted on their reporter row, read only when a broadcast is sent
(workers/broadcasts.py)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from reports import store
from reports.models import Reporter, Subscription, utcnow
from workers.context import get_context


def subscribe(pid: str, contact: str, channel: str, language: str, district: str) -> str:
    """RQ job: keep (or move, or renew) a villager's subscription to a district centre's news."""
    ctx = get_context()
    with ctx.sessions.begin() as session:
        reporter = session.get(Reporter, pid)
        if reporter is None:
            reporter = Reporter(id=pid, channel=channel, language=language, report_count=0)
            session.add(reporter)
        reporter.contact_enc, reporter.channel, reporter.language = contact, channel, language
        reporter.forgotten_at = None
        session.flush()  # the reporter row before its subscription (foreign key)
        sub = session.execute(select(Subscription).where(Subscription.reporter_id == pid)).scalar_one_or_none()
        if sub is None:
            session.add(Subscription(reporter_id=pid, district_code=district))
        else:
            sub.district_code, sub.ended_at, sub.created_at = district, None, utcnow()
        store.audit(session, "subscribed", None, f"reporter:{pid}", {"district": district, "channel": channel})
    return "subscribed"


def unsubscribe(pid: str, reason: str = "stop") -> bool:
    """End a villager's subscription (STOP, FORGET); True when there was one."""
    with get_context().sessions.begin() as session:
        return end_subscription(session, pid, reason)


def end_subscription(session: Session, pid: str, reason: str) -> bool:
    """End the subscription of `pid` inside the caller's transaction."""
    sub = session.execute(select(Subscription).where(Subscription.reporter_id == pid,
                                                     Subscription.ended_at.is_(None))).scalar_one_or_none()
    if sub is None:
        return False
    sub.ended_at = utcnow()
    store.audit(session, "unsubscribed", None, f"reporter:{pid}", {"reason": reason})
    return True
