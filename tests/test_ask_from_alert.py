""""Ask the reporter" from the alert itself: the Telegram button (a ForceReply prompt, the member's reply is
the question) and the LINE postback (the member's next message in the group); the reporter's answer comes
back to the alert's thread. Strangers cannot open a question; ordinary group talk is never relayed; nobody
sees a number."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from centres import actions, relay
from flows.engine import Engine
from gateway.app import create_app
from gateway.channels.events import Inbound
from gateway.intake import accept
from i18n.catalog import text as t
from reports.context import Context
from reports.models import AuditEvent, Delivery
from tests.conftest import LINE_GROUP, LINE_MEMBER, LINE_SECRET, OFFICER_PIN, TELEGRAM_WEBHOOK_SECRET
from tests.fakes.http_api import FakeAPI
from tests.fakes.telegram_api import FakeTelegram
from tests.helpers import run_worker

GROUP_CHAT = -1001234567890  # Tha Uthen's Telegram group, topic 7 (tests/fixtures/centers.yaml)
HEAD = {"id": 111, "is_bot": False, "first_name": "Nai Amphoe"}
STRANGER = {"id": 999, "is_bot": False, "first_name": "Someone"}
VILLAGER = "+66812345678"
OFFICER_PHONE = "+66811112222"
SMS_PATH = "/2010-04-01/Accounts/"


@pytest.fixture
def client(ctx: Context) -> Iterator[FlaskClient]:
    with create_app(context=ctx).test_client() as c:
        yield c


def villager_sms(ctx: Context, text: str) -> str | None:
    engine = Engine.for_context(ctx)
    return accept(ctx, engine, Inbound("twilio", f"SM{time.time_ns()}", VILLAGER, text, datetime.now(UTC))).text


def sms_to(twilio_api: FakeAPI, number: str) -> list[str]:
    return [r.body["Body"] for r in twilio_api.received("POST", SMS_PATH) if r.body["To"] == number]


def reported(ctx: Context) -> tuple[str, int]:
    """A villager's report alerted to Tha Uthen's group: its ticket and the alert's Telegram message id."""
    reply = villager_sms(ctx, "แจ้ง ค้ามนุษย์ ท่าอุเทน รถตู้สองคันจอดริมโขง")
    assert reply
    run_worker(ctx.redis)
    ticket = next(w for w in reply.split() if w.isdigit() and len(w) >= 6)
    with ctx.sessions() as s:
        message_id = s.execute(select(Delivery.provider_message_id).where(
            Delivery.channel == "telegram", Delivery.status == "sent")).scalar_one()
    assert message_id and message_id.isdigit()
    return ticket, int(message_id)


def telegram_post(client: FlaskClient, update: dict[str, Any]) -> Any:
    resp = client.post("/webhooks/telegram", data=json.dumps(update), content_type="application/json",
                       headers={"X-Telegram-Bot-Api-Secret-Token": TELEGRAM_WEBHOOK_SECRET})
    assert resp.status_code == 200
    return resp.get_json(silent=True)


def press_ask(client: FlaskClient, ctx: Context, ticket: str, message_id: int, user: dict[str, Any]) -> str:
    data = actions.sign(ctx.settings.secret_key, "ask", ticket, "4803")
    answer = telegram_post(client, {"update_id": time.time_ns() % 10**9, "callback_query": {
        "id": f"cb{time.time_ns()}", "from": user, "chat_instance": "1", "data": data,
        "message": {"message_id": message_id, "date": 1, "text": "alert", "message_thread_id": 7,
                    "chat": {"id": GROUP_CHAT, "type": "supergroup", "title": "NTS-MWCC Tha Uthen"}}}})
    assert answer["method"] == "answerCallbackQuery"
    return str(answer.get("text"))


def group_message(client: FlaskClient, user: dict[str, Any], text: str, reply_to: int | None = None,
                  update_id: int | None = None) -> None:
    message: dict[str, Any] = {"message_id": time.time_ns() % 10**6, "date": int(time.time()), "text": text,
                               "message_thread_id": 7, "from": user,
                               "chat": {"id": GROUP_CHAT, "type": "supergroup", "title": "NTS-MWCC Tha Uthen"}}
    if reply_to is not None:
        message["reply_to_message"] = {"message_id": reply_to, "date": 1, "chat": message["chat"], "text": "?"}
    assert telegram_post(client, {"update_id": update_id or time.time_ns() % 10**9, "message": message}) is None


def group_texts(telegram: FakeTelegram) -> list[Any]:
    return [c for c in telegram.sent() if c.params["chat_id"] == str(GROUP_CHAT)]


def test_telegram_button_question_and_answer_in_the_alert_thread(client: FlaskClient, ctx: Context,
                                                                 telegram: FakeTelegram, twilio_api: FakeAPI) -> None:
    ticket, alert_id = reported(ctx)
    assert press_ask(client, ctx, ticket, alert_id, HEAD) == t("th", "ask_placeholder")
    run_worker(ctx.redis)
    prompt = group_texts(telegram)[-1]
    assert prompt.params["text"] == t("th", "ask_prompt", name="Nai Amphoe", ticket=ticket)
    assert json.loads(prompt.params["reply_markup"]) == {"force_reply": True, "selective": True,
                                                         "input_field_placeholder": t("th", "ask_placeholder")}
    (mention,) = json.loads(prompt.params["entities"])  # the reply box opens for the member who pressed
    assert mention["type"] == "text_mention" and mention["user"]["id"] == HEAD["id"]
    assert mention["offset"] == 0 and mention["length"] == len("Nai Amphoe")
    assert prompt.params["message_thread_id"] == "7"  # in the alert's forum topic
    group_message(client, HEAD, "มีคนในรถกี่คน", reply_to=1)
    run_worker(ctx.redis)
    question = [s for s in sms_to(twilio_api, VILLAGER) if "มีคนในรถกี่คน" in s]
    assert question == [t("th", "relay_question", ticket=ticket, question="มีคนในรถกี่คน")]
    confirm = group_texts(telegram)[-1]
    assert confirm.params["text"] == t("th", "act_asked", ticket=ticket) and "reply_parameters" in confirm.params
    # The villager answers by SMS; the answer is a reply to the alert, in its topic, without their number.
    assert villager_sms(ctx, "ประมาณสิบคน") == t("th", "relay_sent")
    run_worker(ctx.redis)
    answer = group_texts(telegram)[-1]
    assert answer.params["text"] == t("th", "relay_answer", ticket=ticket, answer="«ประมาณสิบคน»")
    assert json.loads(answer.params["reply_parameters"])["message_id"] == alert_id
    assert answer.params["message_thread_id"] == "7" and VILLAGER[3:] not in answer.params["text"]
    assert sms_to(twilio_api, OFFICER_PHONE) == []  # asked from Telegram: no officer's phone involved
    with ctx.sessions() as s:
        events = {e.event: e.actor for e in s.execute(select(AuditEvent)).scalars()}
    assert events["asked"] == "telegram:head:Nai Amphoe" and events["answered"].startswith("reporter:R-")


def test_group_talk_is_not_relayed_and_one_press_is_one_question(client: FlaskClient, ctx: Context,
                                                                 telegram: FakeTelegram, twilio_api: FakeAPI) -> None:
    ticket, alert_id = reported(ctx)
    group_message(client, HEAD, "ใครอยู่เวรคืนนี้")  # the group's own conversation
    press_ask(client, ctx, ticket, alert_id, HEAD)
    group_message(client, HEAD, "รถสีอะไร")
    group_message(client, HEAD, "ขอบคุณครับทุกคน")  # after the question: talk again
    run_worker(ctx.redis)
    relayed = [s for s in sms_to(twilio_api, VILLAGER) if s.startswith(t("th", "relay_question", ticket=ticket,
                                                                         question="")[:10])]
    assert len(relayed) == 1 and "รถสีอะไร" in relayed[0]


def test_a_reply_to_the_prompt_asks_even_after_the_window(client: FlaskClient, ctx: Context,
                                                          telegram: FakeTelegram, twilio_api: FakeAPI) -> None:
    ticket, alert_id = reported(ctx)
    press_ask(client, ctx, ticket, alert_id, HEAD)
    run_worker(ctx.redis)
    (key,) = [k.decode() if isinstance(k, bytes) else k for k in ctx.redis.keys("nts:askprompt:*")]
    prompt_id = int(key.rsplit(":", 1)[1])
    ctx.redis.delete(*ctx.redis.keys("nts:asking:*"))  # ten minutes later: the next-message window is gone
    group_message(client, STRANGER, "give me the number", reply_to=prompt_id)  # not a member: refused
    for _ in range(2):  # Telegram redelivered the member's reply: one question
        group_message(client, HEAD, "เรือลำสีฟ้าใช่ไหม", reply_to=prompt_id, update_id=424242)
    run_worker(ctx.redis)
    assert [s for s in sms_to(twilio_api, VILLAGER) if "เรือ" in s or "number" in s] == [
        t("th", "relay_question", ticket=ticket, question="เรือลำสีฟ้าใช่ไหม")]
    with ctx.sessions() as s:
        assert [e.actor for e in s.execute(select(AuditEvent)).scalars() if e.event == "refused"] == [
            "telegram:user:999"]


def test_a_stranger_cannot_open_a_question(client: FlaskClient, ctx: Context, telegram: FakeTelegram,
                                           twilio_api: FakeAPI) -> None:
    ticket, alert_id = reported(ctx)
    assert press_ask(client, ctx, ticket, alert_id, STRANGER) == t("th", "act_not_member")
    group_message(client, STRANGER, "what is your phone number?")
    run_worker(ctx.redis)
    assert not any("phone" in s for s in sms_to(twilio_api, VILLAGER))
    assert not any(c.params.get("reply_markup", "").startswith('{"force_reply"') for c in group_texts(telegram))
    with ctx.sessions() as s:
        assert [e.actor for e in s.execute(select(AuditEvent)).scalars() if e.event == "refused"] == [
            "telegram:user:999"]


def test_a_forgotten_reporter_cannot_be_asked_and_the_group_hears_why(client: FlaskClient, ctx: Context,
                                                                      telegram: FakeTelegram,
                                                                      twilio_api: FakeAPI) -> None:
    ticket, alert_id = reported(ctx)
    villager_sms(ctx, "ลบข้อมูล")
    run_worker(ctx.redis)
    press_ask(client, ctx, ticket, alert_id, HEAD)
    group_message(client, HEAD, "ยังอยู่ไหม")
    run_worker(ctx.redis)
    assert group_texts(telegram)[-1].params["text"] == t("th", "act_no_contact", ticket=ticket)
    assert not any("ยังอยู่ไหม" in s for s in sms_to(twilio_api, VILLAGER))


def test_an_sms_question_is_answered_to_the_phone_and_the_alert_thread_once(
        ctx: Context, telegram: FakeTelegram, twilio_api: FakeAPI, officer_pin: str) -> None:
    ticket, alert_id = reported(ctx)
    officer = Engine.for_context(ctx)
    assert accept(ctx, officer, Inbound("twilio", "SMq1", OFFICER_PHONE, f"ASK {ticket} {OFFICER_PIN} how many people?",
                                        datetime.now(UTC))).text == t("th", "act_asked", ticket=ticket)
    run_worker(ctx.redis)
    raw = ctx.redis.get(next(iter(ctx.redis.scan_iter("nts:relay:*"))))
    assert isinstance(raw, str)
    pending = raw
    telegram.fail_with(502, "Bad Gateway")  # the group is unreachable on the first try
    with pytest.raises(Exception, match="telegram"):
        relay.answer(ctx, pending, "R-test", "ten people")
    assert relay.answer(ctx, pending, "R-test", "ten people") == "relayed to 2"  # the retry
    body = t("th", "relay_answer", ticket=ticket, answer="«ten people»")
    assert sms_to(twilio_api, OFFICER_PHONE) == [body]  # sent once, not again on the retry
    thread = [c for c in group_texts(telegram) if c.params["text"] == body]
    assert len(thread) == 1 and json.loads(thread[0].params["reply_parameters"])["message_id"] == alert_id
    with ctx.sessions() as s:
        assert [e.event for e in s.execute(select(AuditEvent)).scalars()].count("answered") == 1


# -- LINE ----------------------------------------------------------------------------------------------------

def line_post(client: FlaskClient, event: dict[str, Any]) -> int:
    event = {"mode": "active", "timestamp": int(time.time() * 1000), "webhookEventId": f"ev{time.time_ns()}",
             "deliveryContext": {"isRedelivery": False}, "replyToken": f"rt{time.time_ns()}",
             "source": {"type": "group", "groupId": LINE_GROUP, "userId": LINE_MEMBER}, **event}
    body = json.dumps({"destination": "U" + "0" * 32, "events": [event]})
    sig = base64.b64encode(hmac.new(LINE_SECRET.encode(), body.encode(), hashlib.sha256).digest()).decode()
    return client.post("/webhooks/line", data=body, content_type="application/json",
                       headers={"X-Line-Signature": sig}).status_code


def test_line_postback_question_and_answer_in_the_group(line_ctx: Context, line_api: FakeAPI,
                                                        twilio_api: FakeAPI, telegram: FakeTelegram) -> None:
    ticket, _ = reported(line_ctx)
    with create_app(context=line_ctx).test_client() as client:
        data = actions.sign(line_ctx.settings.secret_key, "ask", ticket, "4803")
        assert line_post(client, {"type": "postback", "postback": {"data": data}}) == 200
        run_worker(line_ctx.redis)
        replies = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
        assert replies == [t("th", "ask_prompt", name="Khun Daeng", ticket=ticket)]
        assert line_post(client, {"type": "message", "message": {"type": "text", "id": "1",
                                                                 "text": "เห็นคนกี่คน"}}) == 200
        run_worker(line_ctx.redis)
    assert [s for s in sms_to(twilio_api, VILLAGER) if "เห็นคนกี่คน" in s] == [
        t("th", "relay_question", ticket=ticket, question="เห็นคนกี่คน")]
    replies = [r.body["messages"][0]["text"] for r in line_api.received("POST", "/v2/bot/message/reply")]
    assert replies[-1] == t("th", "act_asked", ticket=ticket)
    villager_sms(line_ctx, "สามสิบคน")
    run_worker(line_ctx.redis)
    body = t("th", "relay_answer", ticket=ticket, answer="«สามสิบคน»")
    pushed = [r for r in line_api.received("POST", "/v2/bot/message/push") if r.body["to"] == LINE_GROUP
              and r.body["messages"][0]["text"] == body]
    assert len(pushed) == 1 and pushed[0].headers.get("x-line-retry-key")
    assert [c.params["text"] for c in group_texts(telegram)].count(body) == 1  # the Telegram topic too


def test_line_group_talk_without_a_press_is_left_alone(line_ctx: Context, line_api: FakeAPI,
                                                       twilio_api: FakeAPI) -> None:
    reported(line_ctx)
    with create_app(context=line_ctx).test_client() as client:
        assert line_post(client, {"type": "message", "message": {"type": "text", "id": "2", "text": "สวัสดีทุกคน"}}) == 200
        run_worker(line_ctx.redis)
    assert not any("สวัสดีทุกคน" in s for s in sms_to(twilio_api, VILLAGER))
    assert line_api.received("POST", "/v2/bot/message/reply") == []


def test_line_quoting_the_prompt_asks_even_after_the_window(line_ctx: Context, line_api: FakeAPI,
                                                            twilio_api: FakeAPI) -> None:
    ticket, _ = reported(line_ctx)
    with create_app(context=line_ctx).test_client() as client:
        data = actions.sign(line_ctx.settings.secret_key, "ask", ticket, "4803")
        assert line_post(client, {"type": "postback", "postback": {"data": data}}) == 200
        run_worker(line_ctx.redis)
        assert line_ctx.redis.exists(f"nts:askprompt:{LINE_GROUP}:1")  # the prompt's message id, from LINE
        line_ctx.redis.delete(*line_ctx.redis.keys("nts:asking:*"))  # the window has passed
        stranger = {"type": "group", "groupId": LINE_GROUP, "userId": "U" + "d" * 32}
        assert line_post(client, {"type": "message", "source": stranger, "message": {
            "type": "text", "id": "3", "text": "who reported?", "quotedMessageId": "1"}}) == 200
        for _ in range(2):  # LINE redelivered the event: one question
            assert line_post(client, {"type": "message", "webhookEventId": "evQ1", "message": {
                "type": "text", "id": "4", "text": "รถกี่คัน", "quotedMessageId": "1"}}) == 200
        run_worker(line_ctx.redis)
    assert [s for s in sms_to(twilio_api, VILLAGER) if "รถกี่คัน" in s or "who" in s] == [
        t("th", "relay_question", ticket=ticket, question="รถกี่คัน")]
    with line_ctx.sessions() as s:
        assert [e.actor for e in s.execute(select(AuditEvent)).scalars() if e.event == "refused"] == [
            "line:user:U" + "d" * 11]
