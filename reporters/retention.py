"""Retention: a reporter's encrypted contact is kept only while it may be needed to answer them.

After `NTS_RETENTION_DAYS` (default 180; 0 = keep) without a new report from them, the contact is erased
exactly as FORGET does; reports stay under the pseudonym. A villager subscribed to a centre's news
(`NEWS <district>`) asked us to keep it: their contact stays until STOP or FORGET ends the subscription.
Run daily by a worker's sweeper thread, or by hand with `ntswatch retention purge`.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, update

from reports import store
from reports.context import Context
from reports.models import Reporter, Subscription, utcnow

log = logging.getLogger("ntswatch.retention")


def purge_contacts(ctx: Context, now: datetime | None = None) -> int:
    """Erase contacts of reporters silent for longer than the retention period; return how many."""
    days = ctx.settings.retention_days
    if days <= 0:
        return 0
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    with ctx.sessions.begin() as session:
        result = session.execute(
            update(Reporter).where(Reporter.contact_enc.is_not(None), Reporter.updated_at < cutoff,
                                   ~exists().where(Subscription.reporter_id == Reporter.id,
                                                   Subscription.ended_at.is_(None)))
            .values(contact_enc=None, forgotten_at=now, updated_at=Reporter.updated_at))
        purged = int(getattr(result, "rowcount", 0) or 0)
        if purged:
            store.audit(session, "contacts_purged", None, "retention", {"count": purged, "days": days})
    if purged:
        log.info("retention: erased the contact of %d reporter(s) silent for over %d days", purged, days)
    return int(purged)
