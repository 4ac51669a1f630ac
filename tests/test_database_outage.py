"""The database unavailable: report jobs back off and retry on RQ's scheduler, alert jobs are re-queued by the
sweeper; when it answers again, everything acknowledged is stored and alerted once."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import select

from centres import routing
from flows.engine import Engine
from gateway.channels.events import Inbound
from reports.context import Context, install
from reports.db import upgrade
from reports.models import Delivery, Report
from tests.conftest import free_port, make_context
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import rq_queue, run_worker
from workers import jobs
from workers.sweeper import sweep


def down(ctx: Context) -> Context:
    """The same settings with the database at a port nobody listens on (connection refused)."""
    return make_context(ctx.settings.replace(
        database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"))


def test_report_jobs_back_off_while_the_database_is_down(ctx: Context, telegram: FakeTelegram) -> None:
    upgrade(ctx.engine)
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678",
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    assert reply.ticket  # the reporter was answered before any database call
    install(down(ctx))
    SimpleWorker([rq_queue(ctx)], connection=ctx.jobs.redis).work(burst=True, logging_level="ERROR")
    job = Job.fetch(f"report-{reply.report_id}", connection=ctx.jobs.redis)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 4  # backing off, not dropped
    install(ctx)  # the database is back
    run_worker(ctx.redis, timeout=20)
    with ctx.sessions() as s:
        assert s.get(Report, reply.report_id) is not None
    assert len([c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]) == 1


def test_alerts_lost_to_the_outage_are_swept_and_sent_once(ctx: Context, telegram: FakeTelegram,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    upgrade(ctx.engine)
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678",
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    rq_queue(ctx.redis).empty()
    assert reply.report_id
    with monkeypatch.context() as m:  # the worker dies right after the commit, before the alerts' first attempt
        m.setattr(routing, "_notify_now", lambda _ctx, _delivery_id: None)
        jobs.process_report(reply.report_id)
    install(down(ctx))  # ... and the database goes away: nothing is sent, nothing is lost
    SimpleWorker([rq_queue(ctx)], connection=ctx.jobs.redis).work(burst=True, logging_level="ERROR")
    assert telegram.sent() == []
    install(ctx)
    assert sweep(ctx, time.time() + ctx.settings.sweep_grace_s + 1).deliveries == 2
    run_worker(ctx.redis)
    assert len([c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]) == 1
    with ctx.sessions() as s:
        assert {d.status for d in s.execute(select(Delivery)).scalars()} == {"sent"}
