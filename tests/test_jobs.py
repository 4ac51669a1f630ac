"""centres/routing.py and centres/delivery.py (run through workers/jobs.py): persist once, route (fallback flagged),
Telegram 429/5xx (retry_after honoured), dead-letter after the last attempt."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from redis import Redis
from sqlalchemy import select

from flows.engine import Engine
from gateway.channels.events import Inbound
from reports import keys
from reports.context import Context
from reports.models import AuditEvent, Delivery, Report
from tests.conftest import ALL_BACKENDS, make_context
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import is_received_update, run_worker
from workers import jobs

pytestmark = ALL_BACKENDS


def complete(ctx: Context, text: str, sender: str = "+66812345678", location: tuple[float, float] | None = None,
             ) -> str:
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", sender, text, datetime.now(UTC),
                                  location=location))
    assert reply.report_id
    return reply.report_id


def deliveries(ctx: Context, report_id: str) -> dict[str, Delivery]:
    with ctx.sessions() as s:
        rows = s.execute(select(Delivery).where(Delivery.report_id == report_id)).scalars()
        return {d.channel: d for d in rows}


def test_report_is_stored_routed_and_alerted_once(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.center_id == "4803" and report.district_code == "4803"
    sent = telegram.sent()
    assert len(sent) == 1
    assert sent[0].params["chat_id"] == "-1001234567890" and sent[0].params["message_thread_id"] == "7"
    text = sent[0].params["text"]
    assert report.ticket in text and "ยาเสพติด" in text and "อ.ท่าอุเทน" in text and "2569" in text
    assert "812345678" not in text and report.reporter_alias and report.reporter_alias in text
    assert report.reporter_id not in text  # the centre sees its own alias of the reporter, not the stored id
    assert {c: d.status for c, d in deliveries(ctx, report_id).items()} == {"telegram": "sent", "inbox": "sent"}
    assert ctx.redis.get(keys.TICKET_STATUS(report.ticket)) == "new"


def test_running_the_jobs_again_alerts_nobody_twice(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    jobs.process_report(report_id)  # a retried or duplicated job
    run_worker(ctx.redis)
    for delivery_id in [d.id for d in deliveries(ctx, report_id).values()]:
        assert jobs.notify(delivery_id) == "sent"
    assert len(telegram.sent()) == 1
    with ctx.sessions() as s:
        assert len(s.execute(select(Report)).scalars().all()) == 1


def test_sent_marker_prevents_a_resend_when_the_commit_was_lost(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    telegram.fail_with_429(retry_after=1)  # the first attempt (from process_report) is turned away
    jobs.process_report(report_id)
    tg = deliveries(ctx, report_id)["telegram"]
    assert tg.status == "retrying"
    # The provider accepted it and the marker was written, but the worker died before its commit.
    ctx.redis.set(keys.SENT(tg.id), "999")
    assert jobs.notify(tg.id) == "sent"
    assert telegram.sent() == []
    assert deliveries(ctx, report_id)["telegram"].provider_message_id == "999"


def test_unresolved_place_goes_to_the_fallback_centre_flagged(ctx: Context, telegram: FakeTelegram) -> None:
    engine = Engine.for_context(ctx)
    for text in ["สวัสดี", "2", "xyzzy", "หลังวัดริมน้ำ", "1", "เรือสองลำ"]:
        reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678", text, datetime.now(UTC)))
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678", "1", datetime.now(UTC)))
    assert reply.report_id
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, reply.report_id)
        assert report is not None and report.center_id == "national" and "unresolved_place" in report.flags
    assert telegram.sent()[0].params["chat_id"] == "-1009999999999"
    assert "Place not found" in telegram.sent()[0].params["text"]  # the national desk reads English


def test_district_without_a_centre_goes_to_the_fallback(ctx: Context, telegram: FakeTelegram) -> None:
    report_id = complete(ctx, "แจ้ง ยาเสพติด เชียงแสน เห็นเรือขนของ")  # 5708 has no centre in the test file
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, report_id)
        assert report is not None and report.center_id == "national"
        assert "no_center_for_district" in report.flags and report.district_code == "5708"


def test_gps_point_routes_the_report(ctx: Context, telegram: FakeTelegram) -> None:
    engine = Engine.for_context(ctx)
    for text, loc in [("แจ้ง ยาเสพติด", None), ("", (17.57, 104.6)), ("1", None), ("เรือ", None), ("1", None)]:
        reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678", text, datetime.now(UTC),
                                      location=loc))
    assert reply.report_id
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, reply.report_id)
        assert report is not None and report.center_id == "4803" and report.resolved_via == "gps"
        assert report.lat == pytest.approx(17.57)
    assert "https://maps.google.com/?q=17.57000,104.60000" in telegram.sent()[0].params["text"]


def test_telegram_429_retry_after_is_honoured(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with_429(retry_after=2)
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    started = time.monotonic()
    run_worker(ctx.redis)
    waited = time.monotonic() - started
    assert len(telegram.sent()) == 1
    attempts = [c for c in telegram.calls if c.method == "sendMessage"]
    assert len(attempts) == 2
    assert waited >= 2.0  # never before Telegram said so
    tg = deliveries(ctx, report_id)["telegram"]
    assert tg.status == "sent" and tg.attempts == 2


def test_server_errors_back_off_then_dead_letter(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with(502, "Bad Gateway", times=ctx.settings.notify_max_attempts)
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis, timeout=30)
    tg = deliveries(ctx, report_id)["telegram"]
    assert tg.status == "dead" and tg.attempts == ctx.settings.notify_max_attempts
    assert "telegram 502" in (tg.last_error or "")
    assert telegram.sent() == []
    assert deliveries(ctx, report_id)["inbox"].status == "sent"  # the other channel is not held up
    with ctx.sessions() as s:
        events = [e.event for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == report_id)).scalars()]
    assert "dead_letter" in events


def test_recovery_after_a_few_failures(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with(500, "Internal Server Error", times=2)
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis, timeout=30)
    assert len(telegram.sent()) == 1
    assert deliveries(ctx, report_id)["telegram"].attempts == 3


def test_permanent_refusal_dead_letters_at_once(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with(400, "Bad Request: chat not found")
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    tg = deliveries(ctx, report_id)["telegram"]
    assert tg.status == "dead" and tg.attempts == 1 and "chat not found" in (tg.last_error or "")


def test_missing_bot_token_skips_telegram(ctx: Context, telegram: FakeTelegram) -> None:

    ctx.settings = ctx.settings.replace(telegram_bot_token="")
    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    assert deliveries(ctx, report_id)["telegram"].status == "skipped"
    assert deliveries(ctx, report_id)["inbox"].status == "sent"


def test_database_down_job_retries_later(ctx: Context, redis: Redis, telegram: FakeTelegram) -> None:

    from reports.context import install

    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    broken = make_context(ctx.settings.replace(database_url="sqlite:////nonexistent-dir/x/y.db"))
    install(broken)
    with pytest.raises(Exception):  # noqa: B017 (whatever the driver raises, the job fails and RQ retries)
        jobs.process_report(report_id)
    install(ctx)
    assert redis.get(keys.INTAKE(report_id)) is not None  # nothing acknowledged is dropped
    jobs.process_report(report_id)
    run_worker(redis)
    assert len(telegram.sent()) == 1


def test_forget_job_erases_the_contact(ctx: Context) -> None:
    from reports.identity import pseudonym
    from reports.models import Reporter

    complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    pid = pseudonym(ctx.settings.secret_key, "+66812345678")
    assert jobs.forget(pid)
    with ctx.sessions() as s:
        assert s.get(Reporter, pid) is None  # nothing keyed by the number is left
        (moved,) = s.execute(select(Reporter)).scalars().all()
        assert moved.contact_enc is None and moved.forgotten_at is not None and moved.id.startswith("F-")


ARANYAPRATHET = "แจ้ง ลักลอบข้ามแดน อรัญประเทศ คนสิบคนข้ามมา"


def test_after_an_outage_alerts_arrive_in_the_order_they_were_stored(ctx: Context, telegram: FakeTelegram) -> None:
    telegram.fail_with(502, "Bad Gateway", times=2)
    first = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    jobs.process_report(first)
    time.sleep(0.01)
    second = complete(ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคัน")
    run_worker(ctx.redis, timeout=30)
    tickets = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]
    with ctx.sessions() as s:
        order = [s.get(Report, first).ticket, s.get(Report, second).ticket]  # type: ignore[union-attr]
    assert len(tickets) == 2 and order[0] in tickets[0] and order[1] in tickets[1]
    assert deliveries(ctx, second)["telegram"].attempts == 1  # it waited instead of failing too


def test_a_long_telegram_outage_falls_back_to_the_duty_phones_once(ctx: Context, telegram: FakeTelegram,
                                                                     twilio_api: FakeAPI) -> None:
    telegram.fail_with(502, "Bad Gateway", times=ctx.settings.notify_fallback_after + 1)
    report_id = complete(ctx, ARANYAPRATHET)
    run_worker(ctx.redis, timeout=30)
    sms = [r for r in twilio_api.received("POST", "/2010-04-01/Accounts/") if not is_received_update(r.body["Body"])]
    assert [r.body["To"] for r in sms] == ["+66811119999"]
    found = deliveries(ctx, report_id)
    assert found["telegram"].status == "sent" and found["telegram"].attempts == ctx.settings.notify_fallback_after + 2
    assert found["sms"].status == "sent"
    with ctx.sessions() as s:
        events = [e.event for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == report_id)).scalars()]
    assert events.count("fallback") == 1


def test_no_fallback_when_telegram_works(ctx: Context, telegram: FakeTelegram, twilio_api: FakeAPI) -> None:
    telegram.fail_with(502, "Bad Gateway", times=ctx.settings.notify_fallback_after - 1)
    report_id = complete(ctx, ARANYAPRATHET)
    run_worker(ctx.redis, timeout=30)
    assert [r for r in twilio_api.received("POST", "/2010-04-01/Accounts/")
            if not is_received_update(r.body["Body"])] == []
    assert set(deliveries(ctx, report_id)) == {"telegram"}



def test_an_sms_report_is_one_job_from_storing_to_the_reporters_update(ctx: Context, telegram: FakeTelegram,
                                                                     twilio_api: FakeAPI) -> None:
    """process_report stores, alerts (first attempts) and, the SMS reporter's ticket having gone in the webhook's
    answer, tells them "received" from the same job; a chat reporter's update stays a job of its own, queued
    behind their ticket (tests/test_channel_line.py checks that order)."""
    from rq.registry import FinishedJobRegistry

    report_id = complete(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    run_worker(ctx.redis)
    finished = FinishedJobRegistry(queue=ctx.jobs.rq).get_job_ids()
    assert finished == [f"report-{report_id}"]
    assert len(telegram.sent()) == 1 and {d.status for d in deliveries(ctx, report_id).values()} == {"sent"}
    updates = [r.body["Body"] for r in twilio_api.received("POST", "/2010-04-01/Accounts/")]
    assert len(updates) == 1 and is_received_update(updates[0])
