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
from tests.conftest import OFFICER_PIN
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


def done(ticket: str) -> str:
    return f"{t('th', 'act_received')} {ticket}: {t('th', 'act_ack')}"


def sms(ctx: Context, sender: str, text: str) -> str | None:
    engine = Engine.for_context(ctx)
    return accept(ctx, engine, Inbound("twilio", f"SM{time.time_ns()}", sender, text, datetime.now(UTC))).text


def test_officer_acknowledges_assigns_and_closes_by_sms(ctx: Context, officer_pin: str) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    assert sms(ctx, OFFICER, f"OK {ticket} {OFFICER_PIN}") == done(ticket)
    sms(ctx, OFFICER, f"มอบ {ticket} {OFFICER_PIN} ตำรวจ")
    assert sms(ctx, OFFICER, f"ปิด {ticket} {OFFICER_PIN}") is not None
    assert sms(ctx, OFFICER, f"ปิด {ticket} {OFFICER_PIN}") == t("th", "act_not_allowed")
    with ctx.sessions() as s:
        assert s.execute(select(Report.status).where(Report.ticket == ticket)).scalar_one() == "closed"
        actors = {e.actor for e in s.execute(select(AuditEvent)).scalars() if e.event in ("acknowledged", "closed")}
    assert actors == {"twilio:police:Duty officer Somsak"}
    # The reporter hears the case is closed.
    assert sms(ctx, "+66812345678", f"STATUS {ticket}") == t("th", "status_reply", ticket=ticket,
                                                           status=t("th", "status_closed"))


PIN_CASES = [  # (sender, PIN written, expected answer): members and strangers get the same refusal
    ("member, right PIN", OFFICER, OFFICER_PIN, "done"),
    ("member, no PIN", OFFICER, "", "refused"),
    ("member, wrong PIN", OFFICER, "1357", "refused"),
    ("stranger, a PIN", "+66899999999", "4821", "refused"),
    ("stranger, no PIN", "+66899999999", "", "refused"),
    ("Lao stranger", "+8562055512345", "4821", "refused_lo"),
]


@pytest.mark.parametrize(("case", "sender", "pin", "expected"), PIN_CASES, ids=[c[0] for c in PIN_CASES])
def test_a_change_of_state_by_sms_needs_the_officers_pin(ctx: Context, officer_pin: str, case: str, sender: str,
                                                        pin: str, expected: str) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    answer = sms(ctx, sender, f"OK {ticket} {pin}".strip())
    with ctx.sessions() as s:
        status = s.execute(select(Report.status).where(Report.ticket == ticket)).scalar_one()
        refusals = [e for e in s.execute(select(AuditEvent)).scalars() if e.event == "pin_refused"]
    if expected == "done":
        assert answer == f"{t('th', 'act_received')} {ticket}: {t('th', 'act_ack')}" and status == "acknowledged"
        assert refusals == []
        return
    assert answer == t("lo" if expected == "refused_lo" else "th", "officer_refused") and status == "new"
    assert len(refusals) == 1 and sender[3:] not in refusals[0].actor  # audited, the number hashed


def test_wrong_pins_block_the_number_for_an_hour(ctx: Context, officer_pin: str) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    for guess in ("1111", "2222", "3333", "4444", "5555"):
        assert sms(ctx, OFFICER, f"OK {ticket} {guess}") == t("th", "officer_refused")
    assert sms(ctx, OFFICER, f"OK {ticket} {OFFICER_PIN}") == t("th", "officer_refused")  # blocked: even the right one
    ctx.redis.delete(*ctx.redis.keys("nts:pinfail:*"))  # the hour has passed
    assert sms(ctx, OFFICER, f"OK {ticket} {OFFICER_PIN}") == done(ticket)


@pytest.mark.parametrize("sender", ["whatsapp:+66811112222", "66811112222", "๐๘๑๑๑๑๒๒๒๒"])
def test_a_sender_that_is_not_a_provider_number_is_never_an_officer(ctx: Context, officer_pin: str,
                                                                     sender: str) -> None:
    from gateway.channels.twilio_sms import parse_params
    from tests.helpers import twilio_params

    msg = parse_params(twilio_params(f"OK 1234567 {OFFICER_PIN}", sender=sender))
    assert msg.address != OFFICER  # kept as delivered, never promoted to the officer's number
    assert parse_params(twilio_params("OK 1234567", sender="0811112222")).address == OFFICER  # national format


def test_pins_are_refused_when_trivial() -> None:
    from centres.pins import PinError, check_format

    for bad in ("12", "1234", "0000", "98765", "12a4"):
        with pytest.raises(PinError):
            check_format(bad)
    assert check_format("4821") == "4821"


def test_officer_cannot_act_on_another_centres_case(ctx: Context, officer_pin: str) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด อรัญประเทศ เห็นรถขนของ")  # centre 2706
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    assert sms(ctx, OFFICER, f"OK {ticket} {OFFICER_PIN}") == t("th", "status_unknown", ticket=ticket)


def test_the_group_sees_what_an_officer_did_by_sms(ctx: Context, telegram: FakeTelegram, officer_pin: str) -> None:
    reply = sms(ctx, "+66812345678", "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง")
    assert reply
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    run_worker(ctx.redis)
    (alert,) = [c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890"]
    sms(ctx, OFFICER, f"OK {ticket} {OFFICER_PIN}")
    run_worker(ctx.redis)
    sms(ctx, OFFICER, f"ปิด {ticket} {OFFICER_PIN}")
    run_worker(ctx.redis)
    edits = [c.params for c in telegram.sent("editMessageText")]
    assert len(edits) == 2 and {e["chat_id"] for e in edits} == {"-1001234567890"}
    assert "Duty officer Somsak (police): รับทราบ" in edits[0]["text"] and edits[0]["text"].startswith(
        alert.params["text"])
    assert t("th", "act_resolved") in edits[1]["text"] and "reply_markup" not in edits[1]  # closed: buttons gone
    assert "reply_markup" in edits[0]
