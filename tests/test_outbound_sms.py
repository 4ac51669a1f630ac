"""SMS out: duty officers' alerts through Twilio's REST API (or the office phone), one per number, status
callbacks (signed) updating the delivery; reporter replies outside TwiML."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from urllib.parse import urlencode

from sqlalchemy import select

from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.channels.sending import Outgoing
from i18n.sms import sms_size
from reporters.outbound import queue_message
from reports.context import Context
from reports.models import Delivery
from tests.fakes.http_api import FakeAPI
from tests.helpers import is_received_update, run_worker, sign

ONE_LINE = "แจ้ง ลักลอบขนของ เชียงของ รถกระบะขนบุหรี่เต็มคันจอดริมโขง"


def report(ctx: Context) -> str:
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678", ONE_LINE, datetime.now(UTC)))
    assert reply.report_id
    run_worker(ctx.redis)
    return reply.report_id


def sms_deliveries(ctx: Context, report_id: str) -> list[Delivery]:
    with ctx.sessions() as s:
        return list(s.execute(select(Delivery).where(Delivery.report_id == report_id, Delivery.channel == "sms"))
                    .scalars())


def test_duty_officers_get_one_sms_each_through_twilio(ctx: Context, twilio_api: FakeAPI) -> None:
    report_id = report(ctx)
    sent = [r for r in twilio_api.received("POST", "/2010-04-01/Accounts/") if not is_received_update(r.body["Body"])]
    assert sorted(r.body["To"] for r in sent) == ["+66811110001", "+66811110002"]
    for r in sent:
        assert r.body["From"] == "+6640001234"
        assert r.body["StatusCallback"] == "https://gateway.example.org/webhooks/twilio/status"
        assert "ลักลอบขนของ" in r.body["Body"] and sms_size(r.body["Body"]).parts <= 2
        assert "812345678" not in r.body["Body"]  # the reporter's number never goes to officers
    assert {d.status for d in sms_deliveries(ctx, report_id)} == {"sent"}


def test_one_officer_failing_does_not_resend_to_the_other(ctx: Context, twilio_api: FakeAPI) -> None:
    twilio_api.fail_next(503, {"code": 20500, "message": "Service unavailable", "status": 503})
    report(ctx)
    run_worker(ctx.redis, timeout=30)
    numbers = [r.body["To"] for r in twilio_api.received("POST", "/2010-04-01/Accounts/")
               if not is_received_update(r.body["Body"])]
    assert sorted(numbers) == ["+66811110001", "+66811110002"]  # each exactly once


def test_without_twilio_the_office_phone_sends(ctx: Context, twilio_api: FakeAPI, phone_api: FakeAPI) -> None:
    ctx.settings = ctx.settings.replace(twilio_account_sid="")
    report(ctx)
    assert sorted(r.body["phoneNumbers"][0] for r in phone_api.received("POST", "/message")) == [
        "+66811110001", "+66811110002"]
    assert twilio_api.received("POST", "/") == []


def test_failed_status_callback_marks_the_delivery(ctx: Context, twilio_api: FakeAPI) -> None:
    report_id = report(ctx)
    sid = sms_deliveries(ctx, report_id)[0].provider_message_id
    assert sid
    params = {"MessageSid": sid, "MessageStatus": "undelivered", "ErrorCode": "30003", "AccountSid": "AC" + "1" * 32}
    url = "https://gateway.example.org/webhooks/twilio/status"
    with create_app(context=ctx).test_client() as c:
        form = "application/x-www-form-urlencoded"
        bad = c.post("/webhooks/twilio/status", data=urlencode(params), content_type=form,
                     headers={"X-Twilio-Signature": "forged"})
        assert bad.status_code == 403
        ok = c.post("/webhooks/twilio/status", data=urlencode(params), content_type=form,
                    headers={"X-Twilio-Signature": sign(params, url=url)})
        assert ok.status_code == 204
    run_worker(ctx.redis)
    statuses = {d.provider_message_id: (d.status, d.last_error) for d in sms_deliveries(ctx, report_id)}
    assert statuses[sid] == ("dead", "twilio delivery failed 30003")


def test_reply_outside_twiml_goes_through_the_rest_api_once(ctx: Context, twilio_api: FakeAPI) -> None:
    for _ in range(2):
        queue_message(ctx, Outgoing("twilio", "+66812345678", "เลขที่ 100009: ศูนย์รับทราบแล้ว", "status-100009-ack"))
    run_worker(ctx.redis)
    sent = twilio_api.received("POST", "/2010-04-01/Accounts/")
    assert [r.body["To"] for r in sent] == ["+66812345678"]
