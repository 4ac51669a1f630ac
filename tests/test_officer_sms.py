"""Duty officers act on alerts by SMS in four languages; only their numbers are read as officers."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from centres.sms_commands import OfficerCommand, parse_officer_command
from flows.engine import Engine
from gateway.channels.events import Inbound
from gateway.intake import accept
from i18n.catalog import text as t
from reports.context import Context
from reports.enums import Action
from reports.models import AuditEvent, Report
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

OFFICER = "+66811112222"  # "Duty officer Somsak", police, centre 4803 in tests/fixtures/centers.yaml


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("OK 100009", OfficerCommand(Action("ack"), "100009")),
        ("รับทราบ ๑๐๐๐๐๙", OfficerCommand(Action("ack"), "100009")),
        ("ASSIGN 100009 POLICE", OfficerCommand(Action("police"), "100009")),
        ("มอบ 100009 ตม", OfficerCommand(Action("immigration"), "100009")),
        ("ມອບ 100009 ພາສີ", OfficerCommand(Action("customs"), "100009")),
        ("ប្រគល់ 100009 ប៉ូលិស", OfficerCommand(Action("police"), "100009")),
        ("CLOSE 100009", OfficerCommand(Action("resolved"), "100009")),
        ("ปิด 100009 แจ้งเท็จ", OfficerCommand(Action("false_alarm"), "100009")),
        ("ປິດ 100009 ຊ້ຳ", OfficerCommand(Action("duplicate"), "100009")),
        ("បិទ 100009", OfficerCommand(Action("resolved"), "100009")),
        ("ASSIGN 100009", None),  # no agency
        ("OK", None),  # no ticket
        ("แจ้ง ยาเสพติด ท่าอุเทน", None),
    ],
)
def test_parse_officer_command(text: str, command: OfficerCommand | None) -> None:
    assert parse_officer_command(text) == command


def sms(ctx: Context, sender: str, text: str) -> str | None:
    engine = Engine.for_context(ctx)
    return accept(ctx, engine, Inbound("twilio", f"SM{time.time_ns()}", sender, text, datetime.now(UTC))).text


def test_officer_acknowledges_assigns_and_closes_by_sms(ctx: Context) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    assert sms(ctx, OFFICER, f"OK {ticket}") == f"{t('th', 'act_received')} {ticket}: {t('th', 'act_ack')}"
    sms(ctx, OFFICER, f"มอบ {ticket} ตำรวจ")
    assert sms(ctx, OFFICER, f"ปิด {ticket}") is not None
    assert sms(ctx, OFFICER, f"ปิด {ticket}") == t("th", "act_not_allowed")
    with ctx.sessions() as s:
        assert s.execute(select(Report.status).where(Report.ticket == ticket)).scalar_one() == "closed"
        actors = {e.actor for e in s.execute(select(AuditEvent)).scalars() if e.event in ("acknowledged", "closed")}
    assert actors == {"twilio:police:Duty officer Somsak"}
    # The reporter hears the case is closed.
    assert sms(ctx, "+66812345678", f"STATUS {ticket}") == t("th", "status_reply", ticket=ticket,
                                                           status=t("th", "status_closed"))


def test_a_villager_typing_ok_is_still_a_reporter(ctx: Context) -> None:
    reply = sms(ctx, "+66899999999", "OK 100009")
    assert reply is not None and t("th", "act_received") not in reply


def test_officer_cannot_act_on_another_centres_case(ctx: Context) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด อรัญประเทศ เห็นรถขนของ")  # centre 2706
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    assert sms(ctx, OFFICER, f"OK {ticket}") == t("th", "status_unknown", ticket=ticket)


def test_the_group_sees_what_an_officer_did_by_sms(ctx: Context, telegram: FakeTelegram) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    (alert,) = [c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]
    sms(ctx, OFFICER, f"OK {ticket}")
    run_worker(ctx.redis)
    sms(ctx, OFFICER, f"ปิด {ticket}")
    run_worker(ctx.redis)
    edits = [c.params for c in telegram.sent("editMessageText")]
    assert len(edits) == 2 and {e["chat_id"] for e in edits} == {"-1001234567890"}
    assert "Duty officer Somsak (police): รับทราบ" in edits[0]["text"] and edits[0]["text"].startswith(
        alert.params["text"])
    assert "ปิด: จบเรื่อง" in edits[1]["text"] and "reply_markup" not in edits[1]  # closed: buttons gone
    assert "reply_markup" in edits[0]
