"""reporters/updates.py: the reporter hears when the centre acts, in their language, on their channel, once —
and nothing at all after STOP or FORGET."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from centres import actions
from flows.engine import Engine
from gateway.channels.events import Inbound
from i18n.catalog import text as t
from reports.centres_file import MemberRef
from reports.context import Context
from reports.enums import Action
from reports.models import AuditEvent, Report
from tests.conftest import make_context
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

SMS_PATH = "/2010-04-01/Accounts/"
OFFICER = MemberRef("Somsak", "police")


def say(ctx: Context, text: str, channel: str = "twilio", address: str = "+66812345678") -> str | None:
    engine = Engine.for_context(ctx)
    return engine.handle(Inbound(channel, f"m{time.time_ns()}", address, text, datetime.now(UTC))).report_id


def report_of(ctx: Context, report_id: str) -> Report:
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        report = s.get(Report, report_id)
    assert report is not None
    return report


def texts_to(twilio_api: FakeAPI, number: str) -> list[str]:
    return [r.body["Body"] for r in twilio_api.received("POST", SMS_PATH) if r.body["To"] == number]


@pytest.mark.parametrize("address, text, lang", [
    ("+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", "th"),
    ("+8562055512345", "ແຈ້ງ ຢາເສບຕິດ ທ່າອຸເທນ ເຫັນເຮືອຂົນຂອງຂ້າມຂອງ", "lo"),
    ("+85512345678", "រាយការណ៍ គ្រឿងញៀន ប៉ោយប៉ែត ឃើញឡានដឹកគ្រឿងញៀន", "km"),
])
def test_each_step_reaches_the_reporter_once_in_their_language(ctx: Context, twilio_api: FakeAPI, address: str,
                                                                text: str, lang: str) -> None:
    report_id = say(ctx, text, address=address)
    assert report_id
    report = report_of(ctx, report_id)
    for action in ("ack", "ack", "police", "resolved"):  # a second "ack" is not a second message
        assert actions.apply(ctx, report.ticket, Action(action), report.center_id, OFFICER, "sms") == "done"
        run_worker(ctx.redis)
    district = ctx.gazetteer.district_name(ctx.centers.by_id[report.center_id].districts[0], lang)
    assert district and district in texts_to(twilio_api, address)[0]
    assert texts_to(twilio_api, address) == [t(lang, "update_received", ticket=report.ticket, district=district)] + [
        t(lang, key, ticket=report.ticket) for key in ("update_acknowledged", "update_assigned", "update_closed")]


def test_after_stop_nothing_is_sent(ctx: Context, twilio_api: FakeAPI) -> None:
    report_id = say(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert report_id
    say(ctx, "หยุด")
    report = report_of(ctx, report_id)
    actions.apply(ctx, report.ticket, Action("ack"), report.center_id, OFFICER, "sms")
    run_worker(ctx.redis)
    assert texts_to(twilio_api, "+66812345678") == []
    with ctx.sessions() as s:
        events = [e.event for e in s.execute(select(AuditEvent).where(AuditEvent.report_id == report_id)).scalars()]
    assert "update_withheld" in events and "update_sent" not in events


def test_after_forget_nothing_is_sent(ctx: Context, twilio_api: FakeAPI) -> None:
    report_id = say(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert report_id
    report = report_of(ctx, report_id)
    before = texts_to(twilio_api, "+66812345678")
    assert before == [t("th", "update_received", ticket=report.ticket, district="ท่าอุเทน")]
    say(ctx, "ลบข้อมูล")
    run_worker(ctx.redis)
    actions.apply(ctx, report.ticket, Action("ack"), report.center_id, OFFICER, "sms")
    run_worker(ctx.redis)
    assert texts_to(twilio_api, "+66812345678") == before


def test_a_ussd_reporter_hears_by_sms_and_a_telegram_reporter_in_their_chat(
        ctx: Context, twilio_api: FakeAPI, telegram: FakeTelegram) -> None:
    ussd_report = say(ctx, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", channel="ussd", address="+66899990001")
    tg_report = say(ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคัน", channel="telegram", address="tg:5551234")
    assert ussd_report and tg_report
    for report_id in (ussd_report, tg_report):
        report = report_of(ctx, report_id)
        actions.apply(ctx, report.ticket, Action("ack"), report.center_id, OFFICER, "sms")
    run_worker(ctx.redis)
    by_sms = texts_to(twilio_api, "+66899990001")
    ticket = report_of(ctx, ussd_report).ticket
    assert [text.split(":")[0] for text in by_sms] == [f"เลขที่ {ticket}"] * 2  # received, then acknowledged
    private = [c.params["text"] for c in telegram.sent() if c.params["chat_id"] == "5551234"]
    assert any(text.startswith("เลขที่") and "รับทราบ" in text for text in private)
    assert any(text.startswith("เลขที่") and "ได้รับเรื่อง" in text for text in private)


def test_a_gateway_can_send_fewer_updates(ctx: Context, twilio_api: FakeAPI) -> None:

    from reports.context import install

    thrifty = make_context(ctx.settings.replace(reporter_updates=("closed",)))  # SMS costs money here
    install(thrifty)
    try:
        report_id = say(thrifty, "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
        assert report_id
        report = report_of(thrifty, report_id)
        for action in ("ack", "police", "resolved"):
            actions.apply(ctx, report.ticket, Action(action), report.center_id, OFFICER, "sms")
        run_worker(thrifty.redis)
        assert texts_to(twilio_api, "+66812345678") == [t("th", "update_closed", ticket=report.ticket)]
    finally:
        install(ctx)
