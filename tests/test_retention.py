"""reporters/retention.py: contacts are erased after the retention period (reports stay); recent ones are kept."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from flows.engine import Engine
from gateway.channels.events import Inbound
from reporters.retention import purge_contacts
from reports.context import Context
from reports.models import AuditEvent, Report, Reporter
from tests.conftest import ALL_BACKENDS, make_context
from tests.helpers import run_worker


def report_from(ctx: Context, sender: str) -> str:
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", sender,
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    assert reply.report_id
    return reply.report_id


@ALL_BACKENDS
def test_old_contacts_are_erased_and_reports_stay(ctx: Context) -> None:
    old, recent = report_from(ctx, "+66811110101"), report_from(ctx, "+66811110102")
    run_worker(ctx.redis)
    with ctx.sessions.begin() as s:
        old_reporter = s.get(Report, old).reporter_id  # type: ignore[union-attr]
        s.get(Reporter, old_reporter).updated_at = datetime.now(UTC) - timedelta(days=181)  # type: ignore[union-attr]
    assert purge_contacts(ctx) == 1
    assert purge_contacts(ctx) == 0
    with ctx.sessions() as s:
        reporters = {r.id: r for r in s.execute(select(Reporter)).scalars()}
        assert reporters[old_reporter].contact_enc is None and reporters[old_reporter].forgotten_at is not None
        assert sum(1 for r in reporters.values() if r.contact_enc) == 1
        assert s.get(Report, old) is not None and s.get(Report, recent) is not None
        assert [e.detail for e in s.execute(select(AuditEvent).where(AuditEvent.event == "contacts_purged"))
                .scalars()] == [{"count": 1, "days": 180}]


def test_zero_days_keeps_everything(ctx: Context) -> None:
    report_from(ctx, "+66811110103")
    run_worker(ctx.redis)
    keep = make_context(ctx.settings.replace(retention_days=0))
    assert purge_contacts(keep, datetime.now(UTC) + timedelta(days=10_000)) == 0
    assert purge_contacts(ctx, datetime.now(UTC) + timedelta(days=181)) == 1
