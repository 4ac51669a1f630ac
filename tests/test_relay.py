"""centres/relay.py: a duty officer's question reaches the reporter and the answer comes back, both by SMS,
neither seeing the other's number; strangers cannot ask; a forgotten reporter cannot be reached."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from sqlalchemy import select

from flows.engine import Engine
from gateway.channels.events import Inbound
from gateway.intake import accept
from i18n.catalog import text as t
from reports.context import Context
from reports.models import AuditEvent
from tests.conftest import OFFICER_PIN
from tests.fakes.http_api import FakeAPI
from tests.helpers import run_worker

OFFICER = "+66811112222"  # Duty officer Somsak, Tha Uthen (tests/fixtures/centers.yaml)
VILLAGER = "+66812345678"
SMS_PATH = "/2010-04-01/Accounts/"


def sms(ctx: Context, sender: str, text: str) -> str | None:
    engine = Engine.for_context(ctx)
    return accept(ctx, engine, Inbound("twilio", f"SM{time.time_ns()}", sender, text, datetime.now(UTC))).text


def texts_to(twilio_api: FakeAPI, number: str) -> list[str]:
    """What `number` got by SMS, leaving out the "received by the centre" update every report brings."""
    return [r.body["Body"] for r in twilio_api.received("POST", SMS_PATH) if r.body["To"] == number
            and "ได้รับเรื่องของคุณแล้ว" not in r.body["Body"]]


def reported(ctx: Context) -> str:
    reply = sms(ctx, VILLAGER, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง")
    assert reply
    run_worker(ctx.redis)
    return next(w for w in reply.split() if w.isdigit() and len(w) >= 6)


def test_question_and_answer_go_both_ways_without_numbers(ctx: Context, twilio_api: FakeAPI, officer_pin: str) -> None:
    ticket = reported(ctx)
    assert sms(ctx, OFFICER, f"ถาม {ticket} {OFFICER_PIN} มีคนในรถกี่คน") == t("th", "act_asked", ticket=ticket)
    run_worker(ctx.redis)
    (question,) = texts_to(twilio_api, VILLAGER)
    assert question == t("th", "relay_question", ticket=ticket, question="มีคนในรถกี่คน")
    assert OFFICER[3:] not in question and "Somsak" not in question
    assert sms(ctx, VILLAGER, "ประมาณสิบคน ผู้หญิงเยอะ") == t("th", "relay_sent")
    run_worker(ctx.redis)
    (answer,) = texts_to(twilio_api, OFFICER)
    assert answer == t("th", "relay_answer", ticket=ticket, answer="«ประมาณสิบคน ผู้หญิงเยอะ»")
    assert VILLAGER[3:] not in answer
    # the question is answered: the next message is an ordinary conversation again
    assert sms(ctx, VILLAGER, "สวัสดี") == t("th", "ask_category")
    with ctx.sessions() as s:
        events = {e.event: e for e in s.execute(select(AuditEvent)).scalars() if e.event in ("asked", "answered")}
    assert events["asked"].actor == "sms:police:Duty officer Somsak" and events["answered"].actor.startswith(
        "reporter:R-")


def test_a_report_in_progress_is_not_taken_for_an_answer(ctx: Context, twilio_api: FakeAPI, officer_pin: str) -> None:
    ticket = reported(ctx)
    sms(ctx, OFFICER, f"ASK {ticket} {OFFICER_PIN} how many?")
    run_worker(ctx.redis)
    assert sms(ctx, VILLAGER, "แจ้ง") == t("th", "ask_category")  # a new report starts
    assert sms(ctx, VILLAGER, "2") == t("th", "ask_place")  # and its answers stay in it
    run_worker(ctx.redis)
    assert texts_to(twilio_api, OFFICER) == []


def test_a_stranger_cannot_ask_and_a_forgotten_reporter_cannot_be_reached(
        ctx: Context, twilio_api: FakeAPI, officer_pin: str) -> None:
    ticket = reported(ctx)
    assert sms(ctx, "+66899998888", f"ASK {ticket} {OFFICER_PIN} who are you?") != t("th", "act_asked", ticket=ticket)
    sms(ctx, VILLAGER, "ลบข้อมูล")
    run_worker(ctx.redis)
    assert sms(ctx, OFFICER, f"ASK {ticket} {OFFICER_PIN} how many?") == t("th", "act_no_contact", ticket=ticket)
    run_worker(ctx.redis)
    assert texts_to(twilio_api, VILLAGER) == []
