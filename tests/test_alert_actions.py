"""Acting on an alert from Telegram: signed buttons, members only, status moves on, the reporter's STATUS
follows, the alert is edited to show who did what, refusals land in the audit trail."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from centres import actions
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from i18n.catalog import text as t
from reports import keys
from reports.context import Context
from reports.models import AuditEvent, Report
from tests.conftest import TELEGRAM_WEBHOOK_SECRET
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

HEAD = {"id": 111, "is_bot": False, "first_name": "Nai Amphoe"}  # a member of 4803 in tests/fixtures/centers.yaml
STRANGER = {"id": 999, "is_bot": False, "first_name": "Someone"}


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


@pytest.fixture
def alert(ctx: Context, telegram: FakeTelegram) -> dict[str, object]:
    """A Tha Uthen report alerted to its group; returns the ticket and the alert as Telegram sent it."""
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", f"SM{time.time_ns()}", "+66812345678",
                                  "แจ้ง ยาเสพติด ท่าอุเทน เห็นเรือขนของข้ามโขง", datetime.now(UTC)))
    run_worker(ctx.redis)
    sent = next(c for c in telegram.sent() if c.params["chat_id"] == "-1001234567890")
    return {"ticket": reply.ticket, "text": sent.params["text"], "markup": json.loads(sent.params["reply_markup"]),
            "message_id": 1001}


def press(client: FlaskClient, alert: dict[str, object], data: str, user: dict[str, object]) -> dict[str, str]:
    update = {"update_id": int(time.time_ns() % 10**9), "callback_query": {
        "id": f"cb{time.time_ns()}", "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": alert["message_id"], "date": 1, "text": alert["text"],
                    "chat": {"id": -1001234567890, "type": "supergroup", "title": "NTS-MWCC Tha Uthen"}}}}
    resp = client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
    assert resp.status_code == 200
    answer: dict[str, str] = resp.get_json()
    assert answer["method"] == "answerCallbackQuery"  # every press is answered
    return answer


def button(alert: dict[str, object], action: str) -> str:
    markup = alert["markup"]
    assert isinstance(markup, dict)
    for row in markup["inline_keyboard"]:
        for b in row:
            if b["callback_data"].startswith(f"a:{action}:"):
                return str(b["callback_data"])
    raise AssertionError(action)


def status_of(ctx: Context, ticket: object) -> str:
    with ctx.sessions() as s:
        return s.execute(select(Report.status).where(Report.ticket == ticket)).scalar_one()


def test_alert_has_signed_buttons_in_the_centres_language(alert: dict[str, object]) -> None:
    markup = alert["markup"]
    assert isinstance(markup, dict)
    labels = [b["text"] for row in markup["inline_keyboard"] for b in row]
    assert labels[0] == t("th", "act_ack") and t("th", "act_police") in labels
    for row in markup["inline_keyboard"]:
        for b in row:
            assert len(b["callback_data"].encode()) <= 64


def test_member_acknowledges_assigns_and_closes(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                                alert: dict[str, object]) -> None:
    ticket = alert["ticket"]
    assert press(client, alert, button(alert, "ack"), HEAD)["text"] == t("th", "act_received")
    run_worker(ctx.redis)
    assert status_of(ctx, ticket) == "acknowledged"
    assert ctx.redis.get(keys.TICKET_STATUS(str(ticket))) == "acknowledged"
    edits = [c for c in telegram.sent("editMessageText")]
    assert len(edits) == 1 and "Nai Amphoe (head): " + t("th", "act_ack") in edits[0].params["text"]
    # The reporter asking STATUS now hears that the centre has seen it.
    engine = Engine.for_context(ctx)
    reply = engine.handle(Inbound("twilio", "SMx", "+66812345678", f"สถานะ {ticket}", datetime.now(UTC)))
    assert reply.text.endswith(t("th", "status_acknowledged"))
    press(client, alert, button(alert, "police"), HEAD)
    press(client, alert, button(alert, "false_alarm"), HEAD)
    run_worker(ctx.redis)
    assert status_of(ctx, ticket) == "closed"
    last = telegram.sent("editMessageText")[-1]
    assert "reply_markup" not in last.params  # a closed case has no buttons left
    with ctx.sessions() as s:
        events = [(e.event, e.detail.get("detail")) for e in s.execute(select(AuditEvent)).scalars()
                  if e.event in ("acknowledged", "assigned", "closed")]
    assert events == [("acknowledged", ""), ("assigned", "police"), ("closed", "false_alarm")]
    assert press(client, alert, button(alert, "resolved"), HEAD)["text"] == t("th", "act_received")
    run_worker(ctx.redis)
    assert status_of(ctx, ticket) == "closed" and len(telegram.sent("editMessageText")) == 3


def test_a_stranger_is_refused_and_recorded(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                            alert: dict[str, object]) -> None:
    answer = press(client, alert, button(alert, "ack"), STRANGER)
    assert answer["text"] == t("th", "act_not_member")
    run_worker(ctx.redis)
    assert status_of(ctx, alert["ticket"]) == "new"
    assert telegram.sent("editMessageText") == []
    with ctx.sessions() as s:
        refused = [e for e in s.execute(select(AuditEvent)).scalars() if e.event == "refused"]
    assert len(refused) == 1 and refused[0].actor == "telegram:user:999"


@pytest.mark.parametrize("forge", ["a:ack:100009:4803:AAAAAAAAAAAA", "a:close:100009:4803:x", "a:ack:100009", "a:"])
def test_forged_buttons_do_nothing(client: FlaskClient, ctx: Context, alert: dict[str, object], forge: str) -> None:
    assert press(client, alert, forge, HEAD)["text"] == t("th", "act_not_member")
    run_worker(ctx.redis)
    assert status_of(ctx, alert["ticket"]) == "new"


def test_a_signature_for_another_centre_does_not_fit(ctx: Context) -> None:
    data = actions.sign(ctx.settings.secret_key, "ack", "100009", "2706")
    assert actions.verify(ctx.settings.secret_key, data) == ("ack", "100009", "2706")
    assert actions.verify(ctx.settings.secret_key, data.replace(":2706:", ":4803:")) is None
    assert actions.verify("another-secret-key-0123456789", data) is None


def test_one_press_delivered_three_times_acts_once(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                                   alert: dict[str, object]) -> None:
    """Telegram redelivers an update it thinks was not answered: one audit row and one edit for one press."""
    update = {"update_id": 424242, "callback_query": {
        "id": "cb-once", "from": HEAD, "chat_instance": "1", "data": button(alert, "ack"),
        "message": {"message_id": alert["message_id"], "date": 1, "text": alert["text"],
                    "chat": {"id": -1001234567890, "type": "supergroup", "title": "NTS-MWCC Tha Uthen"}}}}
    for _ in range(3):
        resp = client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                           headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
        assert resp.status_code == 200
    run_worker(ctx.redis)
    with ctx.sessions() as s:
        acks = [e for e in s.execute(select(AuditEvent)).scalars() if e.event == "acknowledged"]
    assert len(acks) == 1 and len(telegram.sent("editMessageText")) == 1
