"""The database unavailable: report jobs back off and retry on RQ's scheduler, alert jobs are re-queued by the
sweeper; when it answers again, everything acknowledged is stored and alerted once."""

from __future__ import annotations

import dataclasses
import time
from datetime import UTC, datetime

from rq import SimpleWorker
from rq.job import Job, JobStatus
from sqlalchemy import select

from flows.engine import Engine
from flows.inbound import Inbound
from reports.db import upgrade
from reports.models import Delivery, Report
from tests.conftest import free_port
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker
from workers import jobs
from workers.context import Context, set_context
from workers.queue import get_queue
from workers.sweeper import sweep


def down(ctx: Context) -> Context:
    """The same settings with the database at a port nobody listens on (connection refused)."""
    return Context(dataclasses.replace(
        ctx.settings, database_url=f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/test"))


def test_report_jobs_back_off_while_the_database_is_down(ctx: Context, telegram: FakeTelegram) -> None:
    upgrade(ctx.engine)
    engine = Engine(ctx.redis, ctx.gazetteer, ctx.settings.secret_key)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678",
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    assert reply.ticket  # the reporter was answered before any database call
    set_context(down(ctx))
    SimpleWorker([get_queue(ctx.redis)], connection=ctx.redis).work(burst=True, logging_level="ERROR")
    job = Job.fetch(f"report-{reply.report_id}", connection=ctx.redis)
    assert job.get_status() == JobStatus.SCHEDULED and job.retries_left == 4  # backing off, not dropped
    set_context(ctx)  # the database is back
    run_worker(ctx.redis, timeout=20)
    with ctx.sessions() as s:
        assert s.get(Report, reply.report_id) is not None
    assert len([c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]) == 1


def test_alert_jobs_lost_to_the_outage_are_swept_and_sent_once(ctx: Context, telegram: FakeTelegram) -> None:
    upgrade(ctx.engine)
    engine = Engine(ctx.redis, ctx.gazetteer, ctx.settings.secret_key)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678",
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    get_queue(ctx.redis).empty()
    assert reply.report_id
    jobs.process_report(reply.report_id)  # stored; its alert jobs are queued ...
    set_context(down(ctx))
    SimpleWorker([get_queue(ctx.redis)], connection=ctx.redis).work(burst=True, logging_level="ERROR")
    assert telegram.sent() == []  # ... and fail: notify jobs have no RQ retry of their own
    set_context(ctx)
    assert sweep(ctx, time.time() + ctx.settings.sweep_grace_s + 1).deliveries == 2
    run_worker(ctx.redis)
    assert len([c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]) == 1
    with ctx.sessions() as s:
        assert {d.status for d in s.execute(select(Delivery)).scalars()} == {"sent"}
