"""workers/sweeper.py: work whose job was lost (emptied queue, worker SIGKILLed mid-job) is queued again, once;
work that is queued or running is left alone."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rq.job import Job, JobStatus
from sqlalchemy import select

from centres import routing
from flows.engine import Engine
from gateway.channels.events import Inbound
from gateway.settings import PROJECT_ROOT
from reports import keys
from reports.context import Context
from reports.models import Delivery, Report
from tests.conftest import ALL_BACKENDS, SECRET_KEY, TELEGRAM_TOKEN
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import rq_queue, run_worker
from tests.test_channel_telegram import JPEG
from workers import jobs
from workers.sweeper import sweep

THA_UTHEN = "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง"


def complete(ctx: Context, text: str = THA_UTHEN, media: tuple[dict[str, str], ...] = ()) -> str:
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("telegram", f"u{time.time_ns()}", "tg:5551234", text, datetime.now(UTC),
                                  media=media))
    assert reply.report_id
    return reply.report_id


def later(ctx: Context) -> float:
    return time.time() + ctx.settings.sweep_grace_s + 1


def alerts(telegram: FakeTelegram) -> list[str]:
    return [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"
            and c.params["text"].startswith("🚨")]  # not the daily digest a real worker may send


@ALL_BACKENDS
def test_a_report_whose_job_vanished_is_processed_and_alerted_once(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx)
    rq_queue(ctx.redis).empty()  # the job is gone (Redis restarted between two writes, say)
    assert sweep(ctx, later(ctx)).reports == 1
    assert sweep(ctx, later(ctx)).reports == 0  # queued now: not twice
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        assert s.get(Report, report_id) is not None
    assert len(alerts(telegram)) == 1
    assert ctx.redis.zscore(keys.PENDING_REPORTS, report_id) is None


@ALL_BACKENDS
def test_lost_alerts_are_sent_once(ctx: Context, telegram: FakeTelegram, monkeypatch: pytest.MonkeyPatch) -> None:
    report_id = complete(ctx)
    rq_queue(ctx.redis).empty()
    with monkeypatch.context() as m:  # stored, and the worker dies before the alerts' first attempt
        m.setattr(routing, "_notify_now", lambda _ctx, _delivery_id: None)
        jobs.process_report(report_id)
    rq_queue(ctx.redis).empty()
    assert sweep(ctx, time.time()).deliveries == 0  # not overdue yet
    assert sweep(ctx, later(ctx)).deliveries == 2  # Telegram and the inbox
    run_worker(ctx.redis)
    assert len(alerts(telegram)) == 1
    assert sweep(ctx, later(ctx)) == sweep(ctx, later(ctx)) == type(sweep(ctx, later(ctx)))()  # nothing left


def test_queued_work_is_left_alone(ctx: Context) -> None:
    complete(ctx)
    assert sweep(ctx, later(ctx)).reports == 0
    assert rq_queue(ctx.redis).count == 1


def test_a_started_job_without_its_claim_was_abandoned(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx)
    job = Job.fetch(f"report-{report_id}", connection=ctx.jobs.redis)
    rq_queue(ctx.redis).remove(job)
    job.set_status(JobStatus.STARTED)
    ctx.redis.set(keys.PROCESSING(report_id), 1)  # its worker is alive ...
    assert sweep(ctx, later(ctx)).reports == 0
    ctx.redis.delete(keys.PROCESSING(report_id))  # ... and then its claim expired with it
    assert sweep(ctx, later(ctx)).reports == 1
    run_worker(ctx.redis)
    assert len(alerts(telegram)) == 1


def test_a_retrying_delivery_waits_for_its_own_time(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with(502, "Bad Gateway")
    report_id = complete(ctx)
    rq_queue(ctx.redis).empty()
    jobs.process_report(report_id)  # the alert's first attempt is turned away: a retry is scheduled
    with ctx.sessions.begin() as s:
        row = s.execute(select(Delivery).where(Delivery.channel == "telegram")).scalar_one()
        assert row.status == "retrying" and row.next_attempt_at is not None
        row.next_attempt_at = datetime.now(UTC) + timedelta(hours=1)  # as a long back-off would
    assert sweep(ctx, later(ctx)).deliveries == 0  # the inbox went at once; the retry waits for its own time


@pytest.mark.system
def test_a_worker_sigkilled_mid_job_loses_nothing(ctx: Context, telegram: FakeTelegram, tmp_path: Path) -> None:
    """A real `ntswatch worker` is killed with SIGKILL while it holds a report; the next worker's sweeper
    finds the abandoned job and the centre gets exactly one alert."""
    from reports.db import upgrade

    upgrade(ctx.engine)
    telegram.files["AgACAgUAAxkBAAIBslow"] = JPEG
    telegram.file_delay_s = 8  # the photo download keeps the first worker mid-job
    report_id = complete(ctx, media=({"provider": "telegram", "kind": "photo", "file_id": "AgACAgUAAxkBAAIBslow"},))
    env = {**os.environ, "REDIS_URL": ctx.settings.redis_url, "DATABASE_URL": ctx.settings.database_url,
           "NTS_CENTERS_FILE": ctx.settings.centers_file, "NTS_SECRET_KEY": SECRET_KEY,
           "TELEGRAM_BOT_TOKEN": TELEGRAM_TOKEN, "TELEGRAM_API_BASE": ctx.settings.telegram_api_base,
           "NTS_VAR_DIR": str(tmp_path), "NTS_SWEEP_INTERVAL_S": "0.5", "NTS_SWEEP_GRACE_S": "1",
           "NTS_PROCESSING_CLAIM_S": "2"}
    worker_cmd = [sys.executable, "-m", "gateway.cli", "worker"]
    first = subprocess.Popen(worker_cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    second: subprocess.Popen[bytes] | None = None
    try:
        deadline = time.monotonic() + 30
        while not ctx.redis.exists(keys.PROCESSING(report_id)):
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.05)
        time.sleep(0.5)
        first.send_signal(signal.SIGKILL)
        first.wait(10)
        telegram.file_delay_s = 0
        assert Job.fetch(f"report-{report_id}", connection=ctx.jobs.redis).get_status() == JobStatus.STARTED
        second = subprocess.Popen(worker_cmd, env=env, cwd=PROJECT_ROOT, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 40
        while not alerts(telegram):
            assert time.monotonic() < deadline, "the abandoned report was never alerted"
            time.sleep(0.2)
        time.sleep(2)  # room for a second alert, if the recovery were to send one
    finally:
        for proc in (first, second):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(10)
    assert len(alerts(telegram)) == 1
    assert len(telegram.sent("sendPhoto")) == 1
    with ctx.sessions() as s:
        assert [r.id for r in s.execute(select(Report)).scalars()] == [report_id]
